// The seed flows through our C++ SDK against real mqnamesrv/mqbroker processes.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sprocket/client.h"
#include "sprocket/protocol/codes.h"
#include "support/broker_requests.h"
#include "support/collecting_listener.h"
#include "support/test_process.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using testing::CollectingListener;
using testing::MiniCluster;
namespace RS = protocol::ResponseCode;

void CreateTopic(MiniCluster& cluster, const std::string& topic, int queues) {
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), topic, queues));
}

TEST(SdkFlowTest, HelloWorldSeedFlow) {
  MiniCluster cluster;
  CreateTopic(cluster, "Topic1", 4);
  DefaultMQProducer producer("ProducerGroupName");
  producer.setNamesrvAddr(cluster.namesrv_addr());
  producer.start();
  Message msg("Topic1", "TagA", "OrderID001", "Hello world");
  SendResult sent = producer.send(msg);
  EXPECT_EQ(sent.getSendStatus(), SEND_OK);
  producer.shutdown();

  CollectingListener listener;
  auto consumer = testing::StartConsumer(cluster.namesrv_addr(), "ConsumerGroupName", "Topic1", "*",
                                         &listener, CONSUME_FROM_LAST_OFFSET);
  ASSERT_TRUE(listener.WaitFor(1, 20s));
  std::this_thread::sleep_for(500ms);  // nothing else may arrive
  consumer->shutdown();
  auto got = listener.Received();
  ASSERT_EQ(got.size(), 1u);
  const MessageExt& m = got[0];
  EXPECT_EQ(m.getTopic(), "Topic1");
  EXPECT_EQ(m.getTags(), "TagA");
  EXPECT_EQ(m.getKeys(), "OrderID001");
  EXPECT_EQ(m.getBody(), "Hello world");
  EXPECT_EQ(m.getMsgId(), sent.getMsgId());
  EXPECT_EQ(m.getOffsetMsgId(), sent.getOffsetMsgId());
  EXPECT_EQ(m.getQueueId(), sent.getMessageQueue().getQueueId());
  EXPECT_EQ(m.getQueueOffset(), sent.getQueueOffset());
}

TEST(SdkFlowTest, TenThousandMessagesOverFourQueuesExactlyOnce) {
  MiniCluster cluster;
  CreateTopic(cluster, "Bulk", 4);
  DefaultMQProducer producer("BulkProducer");
  producer.setNamesrvAddr(cluster.namesrv_addr());
  producer.start();
  constexpr int kCount = 10000;
  std::map<int, int> per_queue;
  for (int i = 0; i < kCount; ++i) {
    SendResult r =
        producer.send(Message("Bulk", i % 2 ? "odd" : "even", "k" + std::to_string(i), std::to_string(i)));
    ASSERT_EQ(r.getSendStatus(), SEND_OK);
    per_queue[r.getMessageQueue().getQueueId()]++;
  }
  producer.shutdown();
  EXPECT_EQ(per_queue.size(), 4u);  // round-robin uses every queue
  for (auto& [q, n] : per_queue) EXPECT_EQ(n, kCount / 4) << "queue " << q;

  CollectingListener all;
  auto consumer =
      testing::StartConsumer(cluster.namesrv_addr(), "BulkAll", "Bulk", "*", &all, CONSUME_FROM_FIRST_OFFSET);
  ASSERT_TRUE(all.WaitFor(kCount, 60s)) << all.Count();
  std::this_thread::sleep_for(1s);
  consumer->shutdown();
  std::set<std::string> bodies;
  for (auto& m : all.Received()) bodies.insert(m.getBody());
  EXPECT_EQ(all.Count(), static_cast<size_t>(kCount)) << "duplicates";
  EXPECT_EQ(bodies.size(), static_cast<size_t>(kCount)) << "missing";

  // A tag-filtered group gets exactly the matching half.
  CollectingListener odd;
  auto filtered = testing::StartConsumer(cluster.namesrv_addr(), "BulkOdd", "Bulk", "odd", &odd,
                                         CONSUME_FROM_FIRST_OFFSET);
  ASSERT_TRUE(odd.WaitFor(kCount / 2, 60s)) << odd.Count();
  std::this_thread::sleep_for(1s);
  filtered->shutdown();
  EXPECT_EQ(odd.Count(), static_cast<size_t>(kCount / 2));
  for (auto& m : odd.Received()) ASSERT_EQ(m.getTags(), "odd");

  // And the broker itself filters: raw pulls of each queue return only "odd" records
  // (round-robin sent only even or only odd bodies to each queue, so some queues must
  // answer NO_MATCHED_MSG rather than hand over "even" records for the client to drop).
  remoting::RemotingClient raw;
  int found = 0, unmatched = 0;
  for (int q = 0; q < 4; ++q) {
    testing::PullArgs pa;
    pa.topic = "Bulk";
    pa.queue_id = q;
    pa.subscription = "odd";
    auto r = testing::Call(raw, cluster.broker_addr(), testing::PullRequest(pa));
    ASSERT_TRUE(r.ok());
    if (r->code == RS::kPullRetryImmediately) {
      ++unmatched;
      EXPECT_TRUE(r->body.empty());
      continue;
    }
    ASSERT_EQ(r->code, RS::kSuccess);
    for (auto& m : testing::Messages(*r)) {
      EXPECT_EQ(m.Tags(), "odd");
      ++found;
    }
  }
  EXPECT_EQ(found, 64);     // two queues of odd bodies, 32 per pull
  EXPECT_EQ(unmatched, 2);  // two queues of even bodies
}

TEST(SdkFlowTest, RestartedConsumerResumesWhereItCommitted) {
  MiniCluster cluster;
  CreateTopic(cluster, "Resume", 2);
  DefaultMQProducer producer("ResumeProducer");
  producer.setNamesrvAddr(cluster.namesrv_addr());
  producer.start();
  for (int i = 0; i < 100; ++i) producer.send(Message("Resume", "t", std::to_string(i)));

  {
    CollectingListener first;
    auto consumer = testing::StartConsumer(cluster.namesrv_addr(), "ResumeGroup", "Resume", "*", &first,
                                           CONSUME_FROM_FIRST_OFFSET);
    ASSERT_TRUE(first.WaitFor(100, 30s));
    consumer->shutdown();  // commits offsets
  }
  // Broker restarts cleanly in between: offsets and messages survive.
  cluster.StopBroker(true);
  ASSERT_TRUE(cluster.StartBroker()) << cluster.broker().Stderr();
  for (int i = 100; i < 150; ++i) producer.send(Message("Resume", "t", std::to_string(i)));
  producer.shutdown();

  CollectingListener second;
  auto consumer = testing::StartConsumer(cluster.namesrv_addr(), "ResumeGroup", "Resume", "*", &second,
                                         CONSUME_FROM_FIRST_OFFSET);
  ASSERT_TRUE(second.WaitFor(50, 30s));
  std::this_thread::sleep_for(1s);
  consumer->shutdown();
  std::set<int> got;
  for (auto& m : second.Received()) got.insert(std::stoi(m.getBody()));
  EXPECT_EQ(second.Count(), 50u) << "resumed before its committed offset";
  EXPECT_EQ(*got.begin(), 100);
  EXPECT_EQ(*got.rbegin(), 149);
}

}  // namespace
}  // namespace sprocket
