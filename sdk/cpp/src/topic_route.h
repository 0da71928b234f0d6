// From a topic's route (TopicRouteData) to the queues a client may use, and the
// producer's queue choice. Pure logic, no I/O.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "sprocket/message.h"
#include "sprocket/protocol/bodies.h"

namespace sprocket::sdk {

// Queues a producer may send to: WRITE-perm queueDatas whose broker has a master
// (brokerId 0), sorted by broker name, writeQueueNums queues each. An orderTopicConf
// ("broker-a:4;broker-b:4") takes precedence, as in RocketMQ.
std::vector<MessageQueue> PublishQueuesFromRoute(const std::string& topic,
                                                 const protocol::TopicRouteData& route);

// Queues a consumer may pull from: READ-perm queueDatas, readQueueNums queues each, sorted.
std::vector<MessageQueue> SubscribeQueuesFromRoute(const std::string& topic,
                                                   const protocol::TopicRouteData& route);

// The route of the create-topic key (TBW102) made usable for a topic the nameservers do not
// know yet: every queueData cut to at most `queue_nums` queues. Sending there makes the
// broker create the topic (PROTOCOL.md §8.3).
protocol::TopicRouteData RouteForNewTopic(protocol::TopicRouteData default_route, int queue_nums);

// Same brokers, same queue layout? (Compares what drives queue choice and addresses.)
bool SameRoute(const protocol::TopicRouteData& a, const protocol::TopicRouteData& b);

// A topic's writable queues with the producer's round-robin position.
class TopicPublishInfo {
 public:
  TopicPublishInfo(std::vector<MessageQueue> queues, uint32_t start_index);
  // Starts at a random position, so producers started together spread their load.
  explicit TopicPublishInfo(std::vector<MessageQueue> queues);

  const std::vector<MessageQueue>& queues() const { return queues_; }
  bool empty() const { return queues_.empty(); }
  // True when built from the create-topic key's route.
  bool from_default_topic = false;

  // Next queue round-robin. With `last_broker` set (the broker of a failed try), the
  // next queue on another broker if there is one. Requires !empty().
  MessageQueue SelectQueue(const std::string& last_broker);

 private:
  std::vector<MessageQueue> queues_;
  std::atomic<uint32_t> next_;
};

}  // namespace sprocket::sdk
