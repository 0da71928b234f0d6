// Consumer groups with the unmodified ali-ons client against our nameserver and broker:
// two ali-ons instances sharing a group's queues (clustering, with a tag filter), two
// receiving everything (broadcasting), and a group mixing ali-ons with our SDK — which
// only works if both sort queues and members and split them the same way.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sprocket/client.h"
#include "support/alions_driver.h"
#include "support/collecting_listener.h"
#include "support/test_process.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::CollectingListener;

class AliOnsGroupTest : public testing::AliOnsFixture {
 protected:
  // Polls `pred` every 50 ms until it holds or `timeout` passes.
  static bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return pred();
  }

  // Sends 40 messages tagged TagA..TagD in turn; returns offsetMsgId -> body of the TagA
  // and TagC ones (ali-ons reports the offsetMsgId as msgId for messages it consumes).
  std::map<std::string, std::string> SendTagged(const std::string& topic) {
    DefaultMQProducer producer("AliGroupPG");
    producer.setNamesrvAddr(cluster_.namesrv_addr());
    producer.start();
    std::map<std::string, std::string> wanted;
    const char* tags[] = {"TagA", "TagB", "TagC", "TagD"};
    for (int i = 0; i < 40; ++i) {
      std::string body = "body " + std::to_string(i);
      SendResult r = producer.send(Message(topic, tags[i % 4], body));
      EXPECT_EQ(r.getSendStatus(), SEND_OK);
      if (i % 2 == 0) wanted[r.getOffsetMsgId()] = body;
    }
    producer.shutdown();
    return wanted;
  }

  std::vector<std::string> Consume(const std::string& topic, const std::string& group,
                                   const std::string& instance, bool broadcast) {
    std::vector<std::string> args = {"consume", cluster_.namesrv_addr(), topic, "TagA || TagC", group,
                                     "0", "60000", instance};
    if (broadcast) args.push_back("broadcast");
    return args;
  }
};

TEST_F(AliOnsGroupTest, TwoClusteringInstancesShareTheQueuesWithATagFilter) {
  CreateTopic("AliCluster", 4);
  ChildProcess c1, c2;
  ASSERT_TRUE(StartDriver(c1, Consume("AliCluster", "AliClusterCG", "i1", false)));
  ASSERT_TRUE(StartDriver(c2, Consume("AliCluster", "AliClusterCG", "i2", false)));
  // Two queues each (ali-ons also holds the group's retry queue on one of them).
  ASSERT_TRUE(Eventually(
      [&] {
        int n1 = OwnedQueues(c1), n2 = OwnedQueues(c2);
        return n1 >= 2 && n2 >= 2 && n1 + n2 == 5;
      },
      30s))
      << OwnedQueues(c1) << " " << OwnedQueues(c2) << c1.Stderr() << c2.Stderr();

  auto wanted = SendTagged("AliCluster");
  ASSERT_TRUE(Eventually([&] { return Events(c1, "msg").size() + Events(c2, "msg").size() >= 20; }, 30s));
  std::this_thread::sleep_for(1s);  // nothing more may come
  ASSERT_EQ(c1.Stop(), 0) << c1.Stderr();
  ASSERT_EQ(c2.Stop(), 0) << c2.Stderr();

  std::set<std::string> seen;
  std::map<int, int> queue_owner;  // queueId -> instance
  int instance = 0;
  for (ChildProcess* c : {&c1, &c2}) {
    ++instance;
    auto msgs = Events(*c, "msg");
    EXPECT_FALSE(msgs.empty()) << "instance " << instance << " got nothing";
    for (auto& m : msgs) {
      std::string id = m["msgId"];
      ASSERT_EQ(wanted.count(id), 1u) << "unexpected message " << m.dump();
      EXPECT_EQ(m["body"].get<std::string>(), wanted[id]);
      EXPECT_TRUE(seen.insert(id).second) << "delivered twice: " << m.dump();
      auto [it, fresh] = queue_owner.emplace(m["queueId"].get<int>(), instance);
      EXPECT_EQ(it->second, instance) << "queue " << it->first << " consumed by both instances";
    }
  }
  EXPECT_EQ(seen.size(), wanted.size());
}

TEST_F(AliOnsGroupTest, TwoBroadcastingInstancesEachGetEverything) {
  CreateTopic("AliBroadcast", 4);
  ChildProcess c1, c2;
  ASSERT_TRUE(StartDriver(c1, Consume("AliBroadcast", "AliBroadcastCG", "b1", true)));
  ASSERT_TRUE(StartDriver(c2, Consume("AliBroadcast", "AliBroadcastCG", "b2", true)));
  ASSERT_FALSE(c1.WaitForLine("{\"event\":\"ready\"", 30s).empty()) << c1.Stderr();
  ASSERT_FALSE(c2.WaitForLine("{\"event\":\"ready\"", 30s).empty()) << c2.Stderr();

  auto wanted = SendTagged("AliBroadcast");
  ASSERT_TRUE(Eventually([&] { return Events(c1, "msg").size() >= 20 && Events(c2, "msg").size() >= 20; },
                         30s));
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(c1.Stop(), 0) << c1.Stderr();
  ASSERT_EQ(c2.Stop(), 0) << c2.Stderr();
  for (ChildProcess* c : {&c1, &c2}) {
    std::set<std::string> ids;
    for (auto& m : Events(*c, "msg")) {
      ASSERT_EQ(wanted.count(m["msgId"]), 1u) << m.dump();
      EXPECT_TRUE(ids.insert(m["msgId"]).second) << "delivered twice: " << m.dump();
    }
    EXPECT_EQ(ids.size(), wanted.size());
  }
}

TEST_F(AliOnsGroupTest, AliOnsAndSdkMembersOfOneGroupSplitTheQueues) {
  CreateTopic("AliMixed", 4);
  ChildProcess ali;
  ASSERT_TRUE(StartDriver(ali, Consume("AliMixed", "AliMixedCG", "ali", false)));
  ASSERT_FALSE(ali.WaitForLine("{\"event\":\"ready\"", 30s).empty()) << ali.Stderr();
  CollectingListener sdk_got;
  DefaultMQPushConsumer sdk("AliMixedCG");
  sdk.setNamesrvAddr(cluster_.namesrv_addr());
  sdk.setInstanceName("sdk");
  sdk.setConsumeFromWhere(CONSUME_FROM_FIRST_OFFSET);
  sdk.subscribe("AliMixed", "TagA || TagC");
  sdk.registerMessageListener(&sdk_got);
  sdk.start();
  auto sdk_queues = [&] {
    std::set<int> ids;
    for (const auto& mq : sdk.getAssignedQueues()) {
      if (mq.getTopic() == "AliMixed") ids.insert(mq.getQueueId());
    }
    return ids;
  };
  // Both ends agree: two topic queues each (plus the retry queue on one side).
  ASSERT_TRUE(Eventually([&] { return sdk_queues().size() == 2 && OwnedQueues(ali) >= 2 &&
                                      OwnedQueues(ali) <= 3; },
                         30s))
      << sdk_queues().size() << " " << OwnedQueues(ali);

  auto wanted = SendTagged("AliMixed");
  ASSERT_TRUE(Eventually([&] { return Events(ali, "msg").size() + sdk_got.Count() >= 20; }, 30s));
  std::this_thread::sleep_for(1s);
  const std::set<int> mine = sdk_queues();
  ASSERT_EQ(ali.Stop(), 0) << ali.Stderr();
  sdk.shutdown();

  std::set<std::string> seen;
  for (auto& m : Events(ali, "msg")) {
    ASSERT_EQ(wanted.count(m["msgId"]), 1u) << m.dump();
    EXPECT_TRUE(seen.insert(m["msgId"]).second) << "delivered twice: " << m.dump();
    EXPECT_EQ(mine.count(m["queueId"].get<int>()), 0u) << "ali-ons consumed an SDK queue: " << m.dump();
  }
  for (const auto& m : sdk_got.Received()) {
    ASSERT_EQ(wanted.count(m.getOffsetMsgId()), 1u) << m.getBody();
    EXPECT_TRUE(seen.insert(m.getOffsetMsgId()).second) << "delivered twice: " << m.getBody();
    EXPECT_EQ(mine.count(m.getQueueId()), 1u);
  }
  EXPECT_EQ(seen.size(), wanted.size());
  EXPECT_GT(sdk_got.Count(), 0u);
  EXPECT_FALSE(Events(ali, "msg").empty());
}

}  // namespace
}  // namespace sprocket
