// The engine behind DefaultMQProducer: routes per topic, queue choice, the send with
// retries, heartbeats.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client_instance.h"
#include "requests.h"
#include "config.h"
#include "sprocket/message.h"
#include "sprocket/mq_exception.h"
#include "sprocket/producer.h"
#include "sprocket/send_result.h"
#include "topic_route.h"

namespace sprocket::sdk {

class ProducerImpl {
 public:
  explicit ProducerImpl(std::string group);
  ~ProducerImpl();  // Shutdown()

  // Settings; read at Start().
  ProducerConfig& config() { return config_; }
  const ProducerConfig& config() const { return config_; }

  void Start();     // throws MQClientException
  void Shutdown();  // idempotent
  SendResult Send(const Message& msg, std::chrono::milliseconds timeout);
  // Completes through `callback` on the remoting I/O thread; throws (without calling it)
  // only for what send() would refuse before sending: not started, bad message, no route.
  void SendAsync(const Message& msg, SendCallback* callback, std::chrono::milliseconds timeout);
  std::string client_id() const;

 private:
  enum class State { kCreated, kRunning, kShutDown };

  struct Target {
    MessageQueue mq;
    std::string addr;
    std::chrono::milliseconds remaining;
  };
  // One message on its way, through one or more tries. Asynchronous sends take jobs from
  // a pool and give them back when done: the strings and vectors keep their capacity, so
  // a send in the steady state allocates little, and nothing the sending thread
  // allocated is freed by the I/O thread (cross-thread frees contend on malloc's arenas).
  struct SendJob {
    std::string topic;
    std::shared_ptr<TopicPublishInfo> info;
    SendMessageHeader header;  // queue_id set per try
    std::string body;          // compressed when large
    std::string uniq_key;
    std::chrono::steady_clock::time_point begin;
    std::chrono::milliseconds timeout{0};
    int tries = 1;
    int attempt = 0;
    std::string last_broker;
    std::vector<std::string> brokers_sent;
    std::string last_error;
    int last_code = -1;
    SendCallback* callback = nullptr;  // async only
    std::optional<Target> target;      // async only: the try in flight
  };

  // Checks and encodes the message once for every try into `job`; throws MQClientException.
  void Prepare(const Message& msg, std::chrono::milliseconds timeout, int retries, SendJob* job);
  // The next queue and master to try; nullopt when out of tries or time.
  std::optional<Target> NextTarget(SendJob& job);
  // True (and *result set) when the broker stored the message; false to try again;
  // throws for answers retrying cannot fix.
  bool Judge(SendJob& job, const Target& target, const Result<RemotingCommand>& response,
             SendResult* result);
  MQClientException Exhausted(const SendJob& job);
  void TryAsync(SendJob* job);
  void OnAsyncResponse(SendJob* job, Result<RemotingCommand>& response);
  // Calls the job's callback: onSuccess(*result) when `result` is set, else onException.
  // Then returns the job to the pool.
  void Complete(SendJob* job, SendResult* result, const MQException* error);
  SendJob* AcquireJob();
  void ReleaseJob(SendJob* job);

  // The topic's publish info: cached, else fetched now. nullptr when there is no route.
  std::shared_ptr<TopicPublishInfo> PublishInfo(const std::string& topic);
  // Fetches the route now. Falls back to the create-topic key's route when the
  // nameservers do not know the topic. Keeps (and returns) the cached info on failure.
  std::shared_ptr<TopicPublishInfo> UpdatePublishInfo(const std::string& topic);
  // After a failed try: refresh the topic's route on the timer thread, once at a time.
  void RequestRouteRefresh(const std::string& topic);
  void RefreshAllRoutes();
  void SendHeartbeat();

  ProducerConfig config_;
  std::mutex state_mu_;
  std::atomic<State> state_{State::kCreated};
  std::unique_ptr<ClientInstance> client_;

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<SendJob>> job_pool_;  // idle jobs (pool_mu_)

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<TopicPublishInfo>> publish_;
  std::set<std::string> refresh_pending_;
};

}  // namespace sprocket::sdk
