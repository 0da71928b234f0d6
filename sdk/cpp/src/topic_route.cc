#include "topic_route.h"

#include <algorithm>
#include <random>

#include "sprocket/protocol/codes.h"

namespace sprocket::sdk {

namespace Perm = protocol::Perm;

namespace {

const protocol::BrokerData* FindBroker(const protocol::TopicRouteData& route,
                                       const std::string& broker_name) {
  for (const auto& bd : route.broker_datas) {
    if (bd.broker_name == broker_name) return &bd;
  }
  return nullptr;
}

std::vector<protocol::QueueData> SortedQueueDatas(const protocol::TopicRouteData& route) {
  std::vector<protocol::QueueData> qds = route.queue_datas;
  std::sort(qds.begin(), qds.end(),
            [](const auto& a, const auto& b) { return a.broker_name < b.broker_name; });
  return qds;
}

}  // namespace

std::vector<MessageQueue> PublishQueuesFromRoute(const std::string& topic,
                                                 const protocol::TopicRouteData& route) {
  std::vector<MessageQueue> out;
  if (route.order_topic_conf && !route.order_topic_conf->empty()) {
    // "broker-a:8;broker-b:8": the order topic's fixed layout.
    const std::string& conf = *route.order_topic_conf;
    size_t start = 0;
    while (start < conf.size()) {
      size_t end = conf.find(';', start);
      if (end == std::string::npos) end = conf.size();
      std::string item = conf.substr(start, end - start);
      size_t colon = item.find(':');
      if (colon != std::string::npos) {
        int n = std::atoi(item.c_str() + colon + 1);
        for (int i = 0; i < n; ++i) out.emplace_back(topic, item.substr(0, colon), i);
      }
      start = end + 1;
    }
    return out;
  }
  for (const auto& qd : SortedQueueDatas(route)) {
    if ((qd.perm & Perm::kWrite) == 0) continue;
    const protocol::BrokerData* bd = FindBroker(route, qd.broker_name);
    // A broker group without its master cannot take writes (slaves are read-only).
    if (bd == nullptr || bd->broker_addrs.count(0) == 0) continue;
    for (int i = 0; i < qd.write_queue_nums; ++i) out.emplace_back(topic, qd.broker_name, i);
  }
  return out;
}

std::vector<MessageQueue> SubscribeQueuesFromRoute(const std::string& topic,
                                                   const protocol::TopicRouteData& route) {
  std::vector<MessageQueue> out;
  for (const auto& qd : route.queue_datas) {
    if ((qd.perm & Perm::kRead) == 0) continue;
    for (int i = 0; i < qd.read_queue_nums; ++i) out.emplace_back(topic, qd.broker_name, i);
  }
  std::sort(out.begin(), out.end());
  return out;
}

protocol::TopicRouteData RouteForNewTopic(protocol::TopicRouteData route, int queue_nums) {
  for (auto& qd : route.queue_datas) {
    int n = std::min(queue_nums, qd.read_queue_nums);
    qd.read_queue_nums = n;
    qd.write_queue_nums = n;
  }
  return route;
}

bool SameRoute(const protocol::TopicRouteData& a, const protocol::TopicRouteData& b) {
  return a.order_topic_conf == b.order_topic_conf && a.queue_datas == b.queue_datas &&
         a.broker_datas == b.broker_datas;
}

TopicPublishInfo::TopicPublishInfo(std::vector<MessageQueue> queues, uint32_t start_index)
    : queues_(std::move(queues)), next_(start_index) {}

TopicPublishInfo::TopicPublishInfo(std::vector<MessageQueue> queues)
    : TopicPublishInfo(std::move(queues), std::random_device{}()) {}

MessageQueue TopicPublishInfo::SelectQueue(const std::string& last_broker) {
  const size_t n = queues_.size();
  if (!last_broker.empty()) {
    for (size_t i = 0; i < n; ++i) {
      const MessageQueue& mq = queues_[next_.fetch_add(1, std::memory_order_relaxed) % n];
      if (mq.getBrokerName() != last_broker) return mq;
    }
  }
  return queues_[next_.fetch_add(1, std::memory_order_relaxed) % n];
}

}  // namespace sprocket::sdk
