// The unmodified ali-ons client (npm, pinned in tests/compat/node/package-lock.json)
// against our mqnamesrv and mqbroker, in both directions with our C++ SDK.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sprocket/client.h"
#include "sprocket/protocol/codes.h"
#include "support/broker_requests.h"
#include "support/collecting_listener.h"
#include "support/alions_driver.h"
#include "support/test_process.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::CollectingListener;
using testing::MiniCluster;
namespace RS = protocol::ResponseCode;

using AliOnsTest = testing::AliOnsFixture;

TEST_F(AliOnsTest, AliOnsProducerToSdkConsumer) {
  CreateTopic("AliToSdk", 4);
  ChildProcess producer;
  ASSERT_TRUE(
      StartDriver(producer, {"produce", cluster_.namesrv_addr(), "AliToSdk", "TagA", "40", "AliPG", "key-"}));
  ASSERT_EQ(producer.Wait(60s), 0) << producer.Stderr();
  auto sent = Events(producer, "sent");
  ASSERT_EQ(sent.size(), 40u);
  std::map<std::string, nlohmann::json> by_id;
  for (auto& s : sent) {
    EXPECT_EQ(s["status"], "SEND_OK");
    by_id[s["msgId"].get<std::string>()] = s;
  }

  CollectingListener listener;
  auto consumer = testing::StartConsumer(cluster_.namesrv_addr(), "SdkFromAli", "AliToSdk", "*", &listener,
                                         CONSUME_FROM_FIRST_OFFSET);
  ASSERT_TRUE(listener.WaitFor(40, 30s)) << listener.Count();
  std::this_thread::sleep_for(500ms);
  consumer->shutdown();
  auto got = listener.Received();
  ASSERT_EQ(got.size(), 40u);
  for (const auto& m : got) {
    // ali-ons sets no UNIQ_KEY: the consumed msgId is the broker's offsetMsgId, which is
    // what ali-ons' sendResult.msgId holds.
    auto it = by_id.find(m.getMsgId());
    ASSERT_NE(it, by_id.end()) << "consumed msgId " << m.getMsgId() << " matches no sendResult.msgId";
    EXPECT_EQ(m.getBody(), it->second["body"].get<std::string>());
    EXPECT_EQ(m.getTags(), "TagA");
    EXPECT_EQ(m.getKeys(), "key-" + m.getBody().substr(m.getBody().rfind(' ') + 1));
    EXPECT_EQ(m.getQueueId(), it->second["queueId"].get<int>());
    EXPECT_EQ(m.getQueueOffset(), it->second["queueOffset"].get<int64_t>());
  }
}

TEST_F(AliOnsTest, SdkProducerToAliOnsConsumerWithTagFilter) {
  CreateTopic("SdkToAli", 4);
  ChildProcess consumer;
  ASSERT_TRUE(StartDriver(consumer, {"consume", cluster_.namesrv_addr(), "SdkToAli", "TagA || TagC", "AliCG",
                                     "20", "60000", "c1"}));
  ASSERT_FALSE(consumer.WaitForLine("{\"event\":\"ready\"", 30s).empty()) << consumer.Stderr();

  DefaultMQProducer producer("SdkPG");
  producer.setNamesrvAddr(cluster_.namesrv_addr());
  producer.start();
  std::map<std::string, SendResult> wanted;  // offsetMsgId -> result, tags A and C only
  const char* tags[] = {"TagA", "TagB", "TagC", "TagD"};
  for (int i = 0; i < 40; ++i) {
    SendResult r =
        producer.send(Message("SdkToAli", tags[i % 4], "k" + std::to_string(i), "body " + std::to_string(i)));
    ASSERT_EQ(r.getSendStatus(), SEND_OK);
    if (i % 2 == 0) wanted[r.getOffsetMsgId()] = r;
  }
  producer.shutdown();

  ASSERT_EQ(consumer.Wait(60s), 0) << consumer.Stderr();
  auto msgs = Events(consumer, "msg");
  ASSERT_EQ(msgs.size(), 20u);
  std::set<std::string> seen;
  for (auto& m : msgs) {
    std::string id = m["msgId"];
    auto it = wanted.find(id);
    ASSERT_NE(it, wanted.end()) << "ali-ons got an unexpected message " << m.dump();
    EXPECT_TRUE(seen.insert(id).second) << "duplicate " << id;
    std::string tag = m["tags"];
    EXPECT_TRUE(tag == "TagA" || tag == "TagC") << tag;
    EXPECT_EQ(m["queueId"].get<int>(), it->second.getMessageQueue().getQueueId());
    EXPECT_EQ(m["queueOffset"].get<int64_t>(), it->second.getQueueOffset());
  }
}

TEST_F(AliOnsTest, AliOnsToAliOnsMsgIdRoundTrip) {
  CreateTopic("AliToAli", 2);
  ChildProcess consumer;
  ASSERT_TRUE(StartDriver(
      consumer, {"consume", cluster_.namesrv_addr(), "AliToAli", "*", "AliCG2", "10", "60000", "c2"}));
  ASSERT_FALSE(consumer.WaitForLine("{\"event\":\"ready\"", 30s).empty()) << consumer.Stderr();
  ChildProcess producer;
  ASSERT_TRUE(StartDriver(producer, {"produce", cluster_.namesrv_addr(), "AliToAli", "T", "10", "AliPG2"}));
  ASSERT_EQ(producer.Wait(60s), 0) << producer.Stderr();
  ASSERT_EQ(consumer.Wait(60s), 0) << consumer.Stderr();
  std::set<std::string> sent_ids, got_ids;
  for (auto& s : Events(producer, "sent")) sent_ids.insert(s["msgId"].get<std::string>());
  for (auto& m : Events(consumer, "msg")) got_ids.insert(m["msgId"].get<std::string>());
  EXPECT_EQ(sent_ids.size(), 10u);
  EXPECT_EQ(sent_ids, got_ids);
}

using AliOnsProtocolTest = testing::AliOnsFixture;

// PROTOCOL.md §3.2 / ali-ons.md S15: an idle ali-ons consumer's pulls are held for the
// suspend time (it would spin thousands of times a second otherwise), and a message sent
// during a held pull is delivered at once.
TEST_F(AliOnsProtocolTest, LongPolling) {
  CreateTopic("AliLongPoll", 1);
  ChildProcess watcher;
  ASSERT_TRUE(
      StartDriver(watcher, {"watch", cluster_.namesrv_addr(), "AliLongPoll", "AliWatch", "4000", "2000"}));
  auto ready = Event(watcher, "ready", 30s);
  ASSERT_FALSE(ready.is_null()) << watcher.Stderr();
  auto idle = Event(watcher, "idle", 15s);
  ASSERT_FALSE(idle.is_null()) << watcher.Stderr();
  int queues = idle["queues"];  // the topic's queue and the group's retry queue
  // 4 s idle with 2 s holds: about 2 pulls per queue; allow slack, forbid spinning.
  EXPECT_LE(idle["pulls"].get<int>(), 4 * queues) << idle.dump();

  DefaultMQProducer producer("AliWatchPG");
  producer.setNamesrvAddr(cluster_.namesrv_addr());
  producer.start();
  int64_t sent_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  producer.send(Message("AliLongPoll", "t", "wake"));
  producer.shutdown();
  auto msg = Event(watcher, "msg", 15s);
  ASSERT_FALSE(msg.is_null()) << watcher.Stderr();
  EXPECT_EQ(msg["body"], "wake");
  EXPECT_LT(msg["recvAt"].get<int64_t>() - sent_at, 1000) << "delivered only when the hold expired";
  EXPECT_EQ(watcher.Wait(20s), 0);
}

// ali-ons.md S6: offsets an ali-ons consumer commits (flag 0 "oneway" UPDATE_CONSUMER_OFFSET
// and the pull's commitOffset) are what the broker then reports.
TEST_F(AliOnsProtocolTest, CommittedOffsetsReachTheBroker) {
  CreateTopic("AliOffsets", 1);
  remoting::RemotingClient raw;
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(testing::Call(raw, cluster_.broker_addr(), testing::SendV2Request("AliOffsets", 0, "", "", "m"))
                  ->code,
              RS::kSuccess);
  }
  ChildProcess consumer;
  ASSERT_TRUE(StartDriver(
      consumer, {"consume", cluster_.namesrv_addr(), "AliOffsets", "*", "AliOffGroup", "12", "30000", "o1"}));
  ASSERT_EQ(consumer.Wait(60s), 0) << consumer.Stderr();
  auto query = protocol::RemotingCommand::Request(protocol::RequestCode::kQueryConsumerOffset);
  query.ext.Set("consumerGroup", "AliOffGroup");
  query.ext.Set("topic", "AliOffsets");
  query.ext.Set("queueId", int64_t{0});
  auto r = testing::Call(raw, cluster_.broker_addr(), query);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, RS::kSuccess);
  EXPECT_EQ(r->ext.Get("offset"), "12");
}

// ali-ons.md S23: an unknown request code is answered promptly with 3 (ali-ons closes
// the whole connection when a request times out).
TEST_F(AliOnsProtocolTest, UnknownRequestCode) {
  ChildProcess p;
  ASSERT_TRUE(StartDriver(p, {"invoke", cluster_.broker_addr(), "9999"}));
  auto resp = Event(p, "response", 15s);
  ASSERT_FALSE(resp.is_null()) << p.Stderr();
  EXPECT_EQ(resp["code"], RS::kRequestCodeNotSupported);
  p.Wait(10s);
}

}  // namespace
}  // namespace sprocket
