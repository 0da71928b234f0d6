// What the parts of a push consumer (pull loop, consume service, rebalance) share. Owned
// by PushConsumerImpl; the pointers are set before start and outlive every thread that
// reads them.
#pragma once

#include <atomic>
#include <memory>

#include "config.h"
#include "process_queue.h"
#include "sprocket/message.h"
#include "sprocket/protocol/bodies.h"

namespace sprocket::sdk {

class ClientInstance;
class OffsetStore;

struct ConsumerContext {
  ConsumerConfig config;  // read-only once started
  ClientInstance* client = nullptr;
  OffsetStore* offsets = nullptr;
  // Set first thing in shutdown: pulls stop re-issuing and results are ignored.
  std::atomic<bool> stopping{false};
};

// One owned queue: its progress and where its pull chain stands.
struct PullRequest {
  MessageQueue mq;
  std::shared_ptr<ProcessQueue> pq;
  protocol::SubscriptionData subscription;
  int64_t next_offset = 0;  // touched only by this queue's pull chain (one pull at a time)
};

}  // namespace sprocket::sdk
