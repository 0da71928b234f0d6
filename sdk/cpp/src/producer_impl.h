// The engine behind DefaultMQProducer: routes per topic, queue choice, the send with
// retries, heartbeats.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "client_instance.h"
#include "config.h"
#include "sprocket/message.h"
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
  std::string client_id() const;

 private:
  enum class State { kCreated, kRunning, kShutDown };

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

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<TopicPublishInfo>> publish_;
  std::set<std::string> refresh_pending_;
};

}  // namespace sprocket::sdk
