// Route -> queues and the producer's queue choice.
#include "topic_route.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sprocket/protocol/codes.h"

namespace sprocket::sdk {
namespace {

protocol::QueueData Qd(const std::string& broker, int read, int write, int perm) {
  protocol::QueueData q;
  q.broker_name = broker;
  q.read_queue_nums = read;
  q.write_queue_nums = write;
  q.perm = perm;
  return q;
}

protocol::BrokerData Bd(const std::string& broker, std::map<int64_t, std::string> addrs) {
  protocol::BrokerData b;
  b.cluster = "DefaultCluster";
  b.broker_name = broker;
  b.broker_addrs = std::move(addrs);
  return b;
}

// broker-b: RW with master; broker-a: RW with master; broker-c: read-only;
// broker-d: RW but its master is gone (slave only).
protocol::TopicRouteData SampleRoute() {
  protocol::TopicRouteData r;
  r.queue_datas = {Qd("broker-b", 2, 2, 6), Qd("broker-a", 3, 3, 6), Qd("broker-c", 2, 2, 4),
                   Qd("broker-d", 2, 2, 6)};
  r.broker_datas = {Bd("broker-a", {{0, "10.0.0.1:10911"}}),
                    Bd("broker-b", {{0, "10.0.0.2:10911"}, {1, "10.0.0.3:10911"}}),
                    Bd("broker-c", {{0, "10.0.0.4:10911"}}),
                    Bd("broker-d", {{1, "10.0.0.5:10911"}})};
  return r;
}

TEST(SdkTopicRouteTest, PublishQueuesNeedWritePermAndAMaster) {
  auto queues = PublishQueuesFromRoute("T", SampleRoute());
  std::vector<MessageQueue> expected = {
      {"T", "broker-a", 0}, {"T", "broker-a", 1}, {"T", "broker-a", 2},
      {"T", "broker-b", 0}, {"T", "broker-b", 1}};
  EXPECT_EQ(queues, expected);
}

TEST(SdkTopicRouteTest, PublishQueuesSkipBrokersMissingFromBrokerDatas) {
  protocol::TopicRouteData r;
  r.queue_datas = {Qd("ghost", 4, 4, 6)};
  EXPECT_TRUE(PublishQueuesFromRoute("T", r).empty());
}

TEST(SdkTopicRouteTest, OrderTopicConfDecidesPublishQueues) {
  auto r = SampleRoute();
  r.order_topic_conf = "broker-x:2;broker-y:1";
  std::vector<MessageQueue> expected = {{"T", "broker-x", 0}, {"T", "broker-x", 1}, {"T", "broker-y", 0}};
  EXPECT_EQ(PublishQueuesFromRoute("T", r), expected);
}

TEST(SdkTopicRouteTest, SubscribeQueuesNeedReadPerm) {
  auto r = SampleRoute();
  r.queue_datas.push_back(Qd("broker-e", 5, 5, 2));  // write-only: not readable
  auto queues = SubscribeQueuesFromRoute("T", r);
  std::set<std::string> brokers;
  for (const auto& q : queues) brokers.insert(q.getBrokerName());
  EXPECT_EQ(brokers, (std::set<std::string>{"broker-a", "broker-b", "broker-c", "broker-d"}));
  EXPECT_EQ(queues.size(), 9u);  // 3 + 2 + 2 + 2 read queues
  EXPECT_TRUE(std::is_sorted(queues.begin(), queues.end()));
}

TEST(SdkTopicRouteTest, RouteForNewTopicCapsQueueCounts) {
  protocol::TopicRouteData def;
  def.queue_datas = {Qd("broker-a", 8, 8, 7), Qd("broker-b", 2, 2, 7)};
  auto r = RouteForNewTopic(def, 4);
  EXPECT_EQ(r.queue_datas[0].write_queue_nums, 4);
  EXPECT_EQ(r.queue_datas[0].read_queue_nums, 4);
  EXPECT_EQ(r.queue_datas[1].write_queue_nums, 2);
}

TEST(SdkTopicRouteTest, SameRouteComparesLayoutAndAddresses) {
  auto a = SampleRoute();
  auto b = SampleRoute();
  EXPECT_TRUE(SameRoute(a, b));
  b.broker_datas[0].broker_addrs[0] = "10.9.9.9:10911";
  EXPECT_FALSE(SameRoute(a, b));
  b = SampleRoute();
  b.queue_datas[0].write_queue_nums = 8;
  EXPECT_FALSE(SameRoute(a, b));
}

TEST(SdkTopicRouteTest, SelectQueueIsRoundRobin) {
  TopicPublishInfo info(PublishQueuesFromRoute("T", SampleRoute()), 0);
  std::vector<MessageQueue> picked;
  for (int i = 0; i < 10; ++i) picked.push_back(info.SelectQueue(""));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(picked[i], info.queues()[i % 5]) << i;
}

TEST(SdkTopicRouteTest, SelectQueueAfterAFailurePrefersAnotherBroker) {
  TopicPublishInfo info(PublishQueuesFromRoute("T", SampleRoute()), 0);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(info.SelectQueue("broker-a").getBrokerName(), "broker-b");
    EXPECT_EQ(info.SelectQueue("broker-b").getBrokerName(), "broker-a");
  }
}

TEST(SdkTopicRouteTest, SelectQueueWithOneBrokerStillAnswers) {
  TopicPublishInfo info({{"T", "only", 0}, {"T", "only", 1}}, 0);
  EXPECT_EQ(info.SelectQueue("only").getBrokerName(), "only");
  // The start index wraps without going negative.
  TopicPublishInfo wrap({{"T", "b", 0}, {"T", "b", 1}, {"T", "b", 2}}, 0xFFFFFFFFu);
  std::set<int> ids;
  for (int i = 0; i < 6; ++i) ids.insert(wrap.SelectQueue("").getQueueId());
  EXPECT_EQ(ids, (std::set<int>{0, 1, 2}));
}

}  // namespace
}  // namespace sprocket::sdk
