// Consumer groups with several members against real mqnamesrv/mqbroker processes:
// clustering (queues shared, each message to one member, hand-over without loss when
// members join, leave or are killed), broadcasting (every member gets everything) and a
// cluster with two nameservers, one of which is stopped.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

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

// Polls `pred` every 20 ms until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

std::set<MessageQueue> QueuesOf(const DefaultMQPushConsumer& c, const std::string& topic) {
  std::set<MessageQueue> out;
  for (const auto& mq : c.getAssignedQueues()) {
    if (mq.getTopic() == topic) out.insert(mq);
  }
  return out;
}

std::unique_ptr<DefaultMQPushConsumer> Member(const std::string& namesrv, const std::string& group,
                                              const std::string& topic, const std::string& expression,
                                              const std::string& instance,
                                              MessageListenerConcurrently* listener,
                                              MessageModel model = CLUSTERING) {
  auto c = std::make_unique<DefaultMQPushConsumer>(group);
  c->setNamesrvAddr(namesrv);
  c->setInstanceName(instance);
  c->setMessageModel(model);
  c->setConsumeFromWhere(CONSUME_FROM_FIRST_OFFSET);
  c->subscribe(topic, expression);
  c->registerMessageListener(listener);
  c->start();
  return c;
}

std::multiset<std::string> Bodies(CollectingListener& l) {
  std::multiset<std::string> out;
  for (const auto& m : l.Received()) out.insert(m.getBody());
  return out;
}

TEST(ConsumerGroupTest, TwoMembersShareFourQueuesAndConsumeEachMessageOnce) {
  MiniCluster cluster;
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), "Shared", 4));
  CollectingListener la, lb;
  auto a = Member(cluster.namesrv_addr(), "SharedGroup", "Shared", "*", "a", &la);
  auto b = Member(cluster.namesrv_addr(), "SharedGroup", "Shared", "*", "b", &lb);
  // The broker tells `a` that `b` joined; both then hold two disjoint queues.
  ASSERT_TRUE(Eventually(
      [&] { return QueuesOf(*a, "Shared").size() == 2 && QueuesOf(*b, "Shared").size() == 2; }, 20s));
  std::set<MessageQueue> qa = QueuesOf(*a, "Shared"), qb = QueuesOf(*b, "Shared");
  for (const auto& mq : qa) EXPECT_EQ(qb.count(mq), 0u) << mq.toString();

  DefaultMQProducer producer("SharedProducer");
  producer.setNamesrvAddr(cluster.namesrv_addr());
  producer.start();
  constexpr int kCount = 10000;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(producer.send(Message("Shared", "t", std::to_string(i))).getSendStatus(), SEND_OK);
  }
  producer.shutdown();
  ASSERT_TRUE(Eventually([&] { return la.Count() + lb.Count() >= kCount; }, 60s))
      << la.Count() << " + " << lb.Count();
  std::this_thread::sleep_for(1s);  // nothing more may come
  a->shutdown();
  b->shutdown();

  EXPECT_EQ(la.Count() + lb.Count(), static_cast<size_t>(kCount)) << "duplicates";
  std::set<std::string> all;
  for (auto* l : {&la, &lb}) {
    for (const auto& body : Bodies(*l)) all.insert(body);
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kCount)) << "missing";
  // Each got only messages of its own queues, and a fair share.
  for (const auto& m : la.Received()) {
    ASSERT_EQ(qa.count(MessageQueue("Shared", "broker-a", m.getQueueId())), 1u);
  }
  for (const auto& m : lb.Received()) {
    ASSERT_EQ(qb.count(MessageQueue("Shared", "broker-a", m.getQueueId())), 1u);
  }
  EXPECT_EQ(la.Count(), static_cast<size_t>(kCount / 2));
  EXPECT_EQ(lb.Count(), static_cast<size_t>(kCount / 2));
}

TEST(ConsumerGroupTest, MembersJoinLeaveAndDieWithoutLosingMessages) {
  MiniCluster cluster;
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), "Churn", 4));
  CollectingListener la, lb;
  auto a = Member(cluster.namesrv_addr(), "ChurnGroup", "Churn", "*", "a", &la);
  ASSERT_EQ(QueuesOf(*a, "Churn").size(), 4u);

  // A producer sends throughout, paced, while members come and go.
  constexpr int kCount = 3000;
  std::atomic<int> sent{0};
  std::atomic<bool> send_failed{false};
  std::thread sender([&] {
    DefaultMQProducer producer("ChurnProducer");
    producer.setNamesrvAddr(cluster.namesrv_addr());
    producer.start();
    for (int i = 0; i < kCount; ++i) {
      try {
        producer.send(Message("Churn", "t", "m" + std::to_string(i)));
      } catch (const std::exception&) {
        send_failed = true;
      }
      sent = i + 1;
      std::this_thread::sleep_for(1ms);
    }
    producer.shutdown();
  });
  auto wait_sent = [&](int n) { return Eventually([&] { return sent >= n; }, 60s); };

  // b joins: a gives up half.
  ASSERT_TRUE(wait_sent(400));
  auto b = Member(cluster.namesrv_addr(), "ChurnGroup", "Churn", "*", "b", &lb);
  EXPECT_TRUE(Eventually([&] { return QueuesOf(*a, "Churn").size() == 2; }, 20s));

  // c, another process, joins: the in-process members hold fewer queues.
  ASSERT_TRUE(wait_sent(1000));
  testing::ChildProcess c;
  ASSERT_TRUE(c.Start({testing::BinPath("PushConsumer"), "-n", cluster.namesrv_addr(), "-t", "Churn", "-g",
                       "ChurnGroup", "-F"}));
  EXPECT_TRUE(Eventually(
      [&] { return QueuesOf(*a, "Churn").size() + QueuesOf(*b, "Churn").size() < 4; }, 20s));

  // b leaves cleanly.
  ASSERT_TRUE(wait_sent(1600));
  b->shutdown();

  // c is killed: the broker sees its connection drop and tells a, which takes everything.
  ASSERT_TRUE(wait_sent(2200));
  ASSERT_TRUE(c.WaitForOutput("msgId=", 20s)) << "c consumed nothing before it was killed";
  c.Kill();
  EXPECT_TRUE(Eventually([&] { return QueuesOf(*a, "Churn").size() == 4; }, 20s));

  sender.join();
  EXPECT_FALSE(send_failed);
  // Everything sent was consumed by someone (c's printed lines count as consumed: it
  // printed before returning CONSUME_SUCCESS).
  std::set<std::string> c_bodies;
  for (const auto& line : c.Lines()) {
    auto pos = line.find(" body=");
    if (pos != std::string::npos) c_bodies.insert(line.substr(pos + 6));
  }
  auto missing = [&] {
    std::set<std::string> seen(c_bodies);
    for (auto* l : {&la, &lb}) {
      for (const auto& body : Bodies(*l)) seen.insert(body);
    }
    int n = 0;
    for (int i = 0; i < kCount; ++i) n += seen.count("m" + std::to_string(i)) == 0;
    return n;
  };
  EXPECT_TRUE(Eventually([&] { return missing() == 0; }, 60s)) << missing() << " messages lost";
  a->shutdown();
  const size_t total = la.Count() + lb.Count() + c_bodies.size();
  std::printf("churn: a=%zu b=%zu c=%zu, %zu deliveries for %d messages\n", la.Count(), lb.Count(),
              c_bodies.size(), total, kCount);
  EXPECT_GT(lb.Count(), 0u);
  EXPECT_GT(c_bodies.size(), 0u);
}

TEST(ConsumerGroupTest, BroadcastingMembersEachReceiveEverything) {
  MiniCluster cluster;
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), "Fanout", 4));
  testing::TempDir offsets;
  CollectingListener l1, l2, late;
  auto start = [&](const std::string& instance, CollectingListener* l, ConsumeFromWhere from) {
    auto c = std::make_unique<DefaultMQPushConsumer>("FanoutGroup");
    c->setNamesrvAddr(cluster.namesrv_addr());
    c->setInstanceName(instance);
    c->setMessageModel(BROADCASTING);
    c->setConsumeFromWhere(from);
    c->setOffsetStoreDir(offsets.path());
    c->subscribe("Fanout", "TagA || TagB");
    c->registerMessageListener(l);
    c->start();
    return c;
  };
  auto c1 = start("one", &l1, CONSUME_FROM_LAST_OFFSET);
  auto c2 = start("two", &l2, CONSUME_FROM_LAST_OFFSET);
  EXPECT_EQ(QueuesOf(*c1, "Fanout").size(), 4u);
  EXPECT_EQ(QueuesOf(*c2, "Fanout").size(), 4u);

  DefaultMQProducer producer("FanoutProducer");
  producer.setNamesrvAddr(cluster.namesrv_addr());
  producer.start();
  const char* tags[] = {"TagA", "TagB", "TagC"};
  for (int i = 0; i < 300; ++i) producer.send(Message("Fanout", tags[i % 3], "b" + std::to_string(i)));
  ASSERT_TRUE(Eventually([&] { return l1.Count() >= 200 && l2.Count() >= 200; }, 30s))
      << l1.Count() << " " << l2.Count();

  // A member joining now starts at the end (LAST_OFFSET; broadcasting offsets are local,
  // so the broker's young-topic rule for new groups does not apply).
  auto c3 = start("three", &late, CONSUME_FROM_LAST_OFFSET);
  for (int i = 300; i < 330; ++i) producer.send(Message("Fanout", tags[i % 3], "b" + std::to_string(i)));
  producer.shutdown();
  ASSERT_TRUE(Eventually([&] { return l1.Count() >= 220 && l2.Count() >= 220 && late.Count() >= 20; },
                         30s));
  std::this_thread::sleep_for(500ms);
  c1->shutdown();
  c2->shutdown();
  c3->shutdown();
  for (auto* l : {&l1, &l2}) {
    auto bodies = Bodies(*l);
    EXPECT_EQ(bodies.size(), 220u);
    EXPECT_EQ(std::set<std::string>(bodies.begin(), bodies.end()).size(), 220u);
    for (const auto& m : l->Received()) EXPECT_NE(m.getTags(), "TagC");
  }
  EXPECT_EQ(late.Count(), 20u);
  for (const auto& body : Bodies(late)) EXPECT_GE(std::stoi(body.substr(1)), 300) << body;

  // Nothing of the group is on the broker: broadcasting offsets are the clients' own. (The
  // broker answers 0 for a group it does not know on a young topic — RocketMQ 4.9's rule —
  // whereas a commit would have left ~55 here.)
  remoting::RemotingClient raw;
  auto req = protocol::RemotingCommand::Request(protocol::RequestCode::kQueryConsumerOffset);
  req.ext.Set("consumerGroup", std::string("FanoutGroup"));
  req.ext.Set("topic", std::string("Fanout"));
  req.ext.Set("queueId", std::string("0"));
  auto r = testing::Call(raw, cluster.broker_addr(), req);
  ASSERT_TRUE(r.ok());
  if (r->code == protocol::ResponseCode::kSuccess) {
    EXPECT_EQ(r->ext.Get("offset"), "0");
  } else {
    EXPECT_EQ(r->code, protocol::ResponseCode::kQueryNotFound);
  }
}

TEST(ConsumerGroupTest, TwoNameserversKeepWorkingWhenOneStops) {
  MiniCluster::Options options;
  options.second_namesrv = true;
  MiniCluster cluster(options);
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(0), "TwoNs", 2));
  // The broker registered with both.
  remoting::RemotingClient raw;
  auto route = protocol::RemotingCommand::Request(protocol::RequestCode::kGetRouteinfoByTopic);
  route.ext.Set("topic", std::string("TwoNs"));
  ASSERT_TRUE(Eventually(
      [&] {
        auto r = testing::Call(raw, cluster.namesrv_addr(1), route);
        return r.ok() && r->code == protocol::ResponseCode::kSuccess;
      },
      10s));

  DefaultMQProducer producer("TwoNsProducer");
  producer.setNamesrvAddr(cluster.namesrv_addr());  // both
  producer.start();
  CollectingListener first;
  auto consumer = Member(cluster.namesrv_addr(), "TwoNsGroup", "TwoNs", "*", "x", &first);
  for (int i = 0; i < 20; ++i) producer.send(Message("TwoNs", "t", "before" + std::to_string(i)));
  ASSERT_TRUE(first.WaitFor(20, 20s));

  // The first nameserver goes away. Clients that ask it fail over to the second.
  ASSERT_EQ(cluster.namesrv().Stop(), 0);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(producer.send(Message("TwoNs", "t", "after" + std::to_string(i))).getSendStatus(), SEND_OK);
  }
  ASSERT_TRUE(first.WaitFor(40, 20s)) << first.Count();
  // New clients start with the dead nameserver first in their list.
  DefaultMQProducer late_producer("TwoNsLateProducer");
  late_producer.setNamesrvAddr(cluster.namesrv_addr());
  late_producer.start();
  ASSERT_EQ(late_producer.send(Message("TwoNs", "t", "late")).getSendStatus(), SEND_OK);
  CollectingListener second;
  auto late_consumer = Member(cluster.namesrv_addr(), "TwoNsLateGroup", "TwoNs", "*", "y", &second);
  ASSERT_TRUE(second.WaitFor(41, 20s)) << second.Count();
  late_producer.shutdown();
  producer.shutdown();
  consumer->shutdown();
  late_consumer->shutdown();
}

}  // namespace
}  // namespace sprocket
