// A MessageListenerConcurrently that records what it receives, for SDK-driven tests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sprocket/client.h"

namespace sprocket::testing {

class CollectingListener : public MessageListenerConcurrently {
 public:
  ConsumeStatus consumeMessage(const std::vector<MessageExt>& msgs) override {
    std::lock_guard lock(mu_);
    for (const auto& m : msgs) received_.push_back(m);
    cv_.notify_all();
    return CONSUME_SUCCESS;
  }
  // Waits until at least `n` messages arrived; false on timeout.
  bool WaitFor(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
  }
  std::vector<MessageExt> Received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  size_t Count() {
    std::lock_guard lock(mu_);
    return received_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<MessageExt> received_;
};

// A started push consumer of `group` subscribed to `topic` with `expression`, delivering
// into `listener` (which must outlive it).
inline std::unique_ptr<DefaultMQPushConsumer> StartConsumer(
    const std::string& namesrv, const std::string& group, const std::string& topic,
    const std::string& expression, MessageListenerConcurrently* listener,
    ConsumeFromWhere from = CONSUME_FROM_FIRST_OFFSET) {
  auto consumer = std::make_unique<DefaultMQPushConsumer>(group);
  consumer->setNamesrvAddr(namesrv);
  consumer->setConsumeFromWhere(from);
  consumer->subscribe(topic, expression);
  consumer->registerMessageListener(listener);
  consumer->start();
  return consumer;
}

}  // namespace sprocket::testing
