// The long-poll loop of each owned queue (RocketMQ's PullMessageService + the pull
// callback of DefaultMQPushConsumerImpl). One pull per queue is in flight at a time; its
// answer, on the remoting I/O thread, hands messages to the consume service and issues
// the next pull at once, or after a pause on errors (3 s) and when too many messages of
// the queue wait for the listener (flow control).
#pragma once

#include <memory>
#include <string>

#include "consume_service.h"
#include "consumer_context.h"
#include "requests.h"
#include "sprocket/remoting/client.h"

namespace sprocket::sdk {

class PullLoop {
 public:
  PullLoop(ConsumerContext* ctx, ConsumeService* consume);

  // Starts the queue's pull chain; it ends when the queue is dropped or the consumer
  // stops.
  void Start(const std::shared_ptr<PullRequest>& req) { Pull(req); }

 private:
  bool Active(const PullRequest& req) const;
  void Pull(const std::shared_ptr<PullRequest>& req);
  void PullLater(const std::shared_ptr<PullRequest>& req, std::chrono::milliseconds delay);
  void OnResponse(const std::shared_ptr<PullRequest>& req, const std::string& addr,
                  Result<RemotingCommand> result);
  void OnFound(const std::shared_ptr<PullRequest>& req, const PullResponseHeader& header,
               const RemotingCommand& response);

  ConsumerContext* const ctx_;
  ConsumeService* const consume_;
};

}  // namespace sprocket::sdk
