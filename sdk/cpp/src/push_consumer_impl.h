// The engine behind DefaultMQPushConsumer: lifecycle, heartbeats, route refresh and the
// rebalance step that decides which queues this instance pulls, plus where each starts.
//
// Rebalance runs on the client's scheduler thread only: periodically, after a route
// change, and soon after the broker says the group's members changed. It may block there
// (member list, offset queries, the synchronous commit of a queue handed over).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "allocate.h"
#include "client_instance.h"
#include "consume_service.h"
#include "consumer_context.h"
#include "offset_store.h"
#include "pull_loop.h"
#include "sprocket/push_consumer.h"

namespace sprocket::sdk {

class PushConsumerImpl {
 public:
  explicit PushConsumerImpl(std::string group);
  ~PushConsumerImpl();  // Shutdown()

  // Settings; read at Start().
  ConsumerConfig& config() { return ctx_.config; }
  const ConsumerConfig& config() const { return ctx_.config; }

  void Subscribe(const std::string& topic, const std::string& expression);
  void RegisterListener(MessageListenerConcurrently* listener) { listener_ = listener; }

  void Start();     // throws MQClientException
  void Shutdown();  // idempotent
  std::string client_id() const;
  std::vector<MessageQueue> AssignedQueues() const;

 private:
  enum class State { kCreated, kRunning, kShutDown };

  protocol::HeartbeatData BuildHeartbeat() const;
  void SendHeartbeat();
  // Every 30 s: re-reads the routes; on a change, heartbeats (new brokers must know us
  // before we pull) and rebalances.
  void RefreshRoutes();
  void Rebalance();
  // Asks for a rebalance on the scheduler thread; safe from any thread, never blocks.
  // Requests made while one is pending are merged.
  void RequestRebalance();
  void RebalanceTopic(const std::string& topic, const protocol::SubscriptionData& sub);
  // The queues this instance should own for `topic`; nullopt when that cannot be decided
  // now (no member list), in which case the current ones are kept.
  std::optional<std::vector<MessageQueue>> AllocateTopic(const std::string& topic,
                                                         const protocol::TopicRouteData& route);
  // GET_CONSUMER_LIST_BY_GROUP at one of the topic's brokers.
  Result<std::vector<std::string>> FetchConsumerIds(const std::string& topic,
                                                    const protocol::TopicRouteData& route);
  bool Broadcasting() const { return ctx_.config.message_model == BROADCASTING; }
  // Where a newly owned queue starts: the group's committed offset, else per
  // consumeFromWhere.
  Result<int64_t> ComputeStartOffset(const MessageQueue& mq);
  // GET_MAX_OFFSET / SEARCH_OFFSET_BY_TIMESTAMP at the queue's master.
  Result<int64_t> QueryQueueOffset(const MessageQueue& mq, RemotingCommand request);
  std::optional<RemotingCommand> OnBrokerRequest(const std::string& addr,
                                                 const RemotingCommand& request);

  ConsumerContext ctx_;
  std::map<std::string, std::string> expressions_;  // topic -> tag expression
  MessageListenerConcurrently* listener_ = nullptr;
  std::shared_ptr<AllocateMessageQueueStrategy> allocate_;
  int64_t consume_timestamp_ms_ = 0;
  std::atomic<bool> rebalance_pending_{false};

  std::mutex state_mu_;
  State state_ = State::kCreated;
  std::unique_ptr<ClientInstance> client_;
  std::unique_ptr<OffsetStore> offsets_;
  std::unique_ptr<ConsumeService> consume_;
  std::unique_ptr<PullLoop> pull_;
  // topic -> subscription, the group's retry topic included; fixed once started.
  std::map<std::string, protocol::SubscriptionData> subscriptions_;

  mutable std::mutex rebalance_mu_;
  std::map<MessageQueue, std::shared_ptr<PullRequest>> owned_;
};

}  // namespace sprocket::sdk
