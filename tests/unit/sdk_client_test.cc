// DefaultMQProducer and DefaultMQPushConsumer end to end against the scripted FakeBroker
// (sdk_fake_broker.h): what goes on the wire, retries, offsets, send-back.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <tuple>
#include <map>
#include <mutex>
#include <set>

#include <filesystem>
#include <fstream>

#include "config.h"  // sdk::LocalIpAddress
#include "sdk_fake_broker.h"
#include "sprocket/client.h"
#include "support/test_process.h"

namespace sprocket {
namespace {

using testing::FakeBroker;
using namespace std::chrono_literals;

protocol::MessageProperties PropsOf(const protocol::RemotingCommand& send) {
  return protocol::MessageProperties::Decode(send.ext.Get("i"));
}

TEST(SdkProducerTest, SendsRoundRobinWithUniqueKeys) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 4);
  DefaultMQProducer producer("PG1");
  producer.setNamesrvAddr(broker.addr());
  producer.start();
  std::set<std::string> ids;
  std::map<int, int> per_queue;
  for (int i = 0; i < 8; ++i) {
    SendResult r = producer.send(Message("Topic1", "TagA", "OrderID001", "Hello world"));
    EXPECT_EQ(r.getSendStatus(), SEND_OK);
    EXPECT_EQ(r.getMessageQueue().getTopic(), "Topic1");
    EXPECT_EQ(r.getMessageQueue().getBrokerName(), "broker-a");
    EXPECT_EQ(r.getOffsetMsgId().size(), 32u);
    EXPECT_EQ(r.getMsgId().size(), 32u);
    ids.insert(r.getMsgId());
    ++per_queue[r.getMessageQueue().getQueueId()];
  }
  EXPECT_EQ(ids.size(), 8u);
  EXPECT_EQ(per_queue.size(), 4u);
  for (auto [q, n] : per_queue) EXPECT_EQ(n, 2) << q;

  auto sends = broker.Requests(310);
  ASSERT_EQ(sends.size(), 8u);
  const auto& s = sends[0];
  EXPECT_EQ(s.ext.Get("a"), "PG1");
  EXPECT_EQ(s.ext.Get("b"), "Topic1");
  EXPECT_EQ(s.ext.Get("c"), "TBW102");
  EXPECT_EQ(s.ext.Get("d"), "4");
  EXPECT_EQ(s.ext.Get("f"), "0");
  EXPECT_EQ(s.ext.Get("m"), "false");
  auto props = PropsOf(s);
  EXPECT_EQ(props.Get("TAGS"), "TagA");
  EXPECT_EQ(props.Get("KEYS"), "OrderID001");
  EXPECT_EQ(props.Get("WAIT"), "true");
  EXPECT_EQ(props.Get("UNIQ_KEY").size(), 32u);
  EXPECT_EQ(s.body, "Hello world");
  // The route came with the standard-JSON request.
  auto routes = broker.Requests(105);
  ASSERT_FALSE(routes.empty());
  EXPECT_EQ(routes[0].ext.Get("acceptStandardJsonOnly"), "true");
  producer.shutdown();
  auto unregs = broker.Requests(35);
  ASSERT_EQ(unregs.size(), 1u);
  EXPECT_EQ(unregs[0].ext.Get("producerGroup"), "PG1");
  EXPECT_EQ(unregs[0].ext.Get("clientID"), producer.getClientId());
}

TEST(SdkProducerTest, CompressesLargeBodies) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 1);
  DefaultMQProducer producer("PG1");
  producer.setNamesrvAddr(broker.addr());
  producer.start();
  std::string body(5000, 'q');
  producer.send(Message("Topic1", body));
  auto stored = broker.Queue("Topic1", 0);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].sys_flag & 1, 1);
  EXPECT_LT(stored[0].body.size(), body.size());
  EXPECT_EQ(protocol::Inflate(stored[0].body).value(), body);
  producer.send(Message("Topic1", std::string(4095, 'q')));
  EXPECT_EQ(broker.Queue("Topic1", 0)[1].sys_flag & 1, 0);
}

TEST(SdkProducerTest, RefusesOversizedBodiesWithoutSending) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 1);
  DefaultMQProducer producer("PG1");
  producer.setNamesrvAddr(broker.addr());
  producer.start();
  try {
    producer.send(Message("Topic1", std::string(4 * 1024 * 1024 + 1, 'x')));
    FAIL() << "expected MQClientException";
  } catch (const MQClientException& e) {
    EXPECT_EQ(e.getResponseCode(), 13);
  }
  EXPECT_TRUE(broker.Requests(310).empty());
}

TEST(SdkProducerTest, RetriesRetryableBrokerCodes) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 4);
  DefaultMQProducer producer("PG1");
  producer.setNamesrvAddr(broker.addr());
  producer.start();
  broker.FailNextSends(2, protocol::ResponseCode::kServiceNotAvailable);
  SendResult r = producer.send(Message("Topic1", "x"));
  EXPECT_EQ(r.getSendStatus(), SEND_OK);
  auto sends = broker.Requests(310);
  ASSERT_EQ(sends.size(), 3u);
  // Same UNIQ_KEY on every try; queues differ.
  EXPECT_EQ(PropsOf(sends[0]).Get("UNIQ_KEY"), PropsOf(sends[2]).Get("UNIQ_KEY"));
  EXPECT_NE(sends[0].ext.Get("e"), sends[1].ext.Get("e"));

  broker.FailNextSends(3, protocol::ResponseCode::kServiceNotAvailable);
  try {
    producer.send(Message("Topic1", "x"));
    FAIL() << "expected MQClientException";
  } catch (const MQClientException& e) {
    EXPECT_EQ(e.getResponseCode(), protocol::ResponseCode::kServiceNotAvailable);
    EXPECT_NE(std::string(e.what()).find("Send [3] times"), std::string::npos) << e.what();
  }
}

TEST(SdkProducerTest, NonRetryableCodeThrowsBrokerException) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 4);
  DefaultMQProducer producer("PG1");
  producer.setNamesrvAddr(broker.addr());
  producer.start();
  broker.FailNextSends(1, protocol::ResponseCode::kMessageIllegal);
  try {
    producer.send(Message("Topic1", "x"));
    FAIL() << "expected MQBrokerException";
  } catch (const MQBrokerException& e) {
    EXPECT_EQ(e.getResponseCode(), 13);
  }
  EXPECT_EQ(broker.Requests(310).size(), 1u);
}

// Collects async send outcomes.
class Outcomes : public SendCallback {
 public:
  void onSuccess(SendResult& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    ok_.push_back(r);
    cv_.notify_all();
  }
  void onException(const MQException& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    errors_.emplace_back(e.getResponseCode(), e.what(), dynamic_cast<const MQBrokerException*>(&e) != nullptr);
    cv_.notify_all();
  }
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return ok_.size() + errors_.size() >= n; });
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SendResult> ok_;
  std::vector<std::tuple<int, std::string, bool>> errors_;  // code, text, from the broker
};

TEST(SdkProducerTest, AsyncSendsCompleteThroughTheCallback) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 4);
  DefaultMQProducer producer("PG1");
  producer.setNamesrvAddr(broker.addr());
  producer.start();
  Outcomes out;
  for (int i = 0; i < 100; ++i) producer.send(Message("Topic1", "TagA", "m" + std::to_string(i)), &out);
  ASSERT_TRUE(out.WaitFor(100));
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(out.ok_.size(), 100u);
  EXPECT_TRUE(out.errors_.empty());
  std::set<std::string> ids;
  std::map<int, int> per_queue;
  for (const auto& r : out.ok_) {
    EXPECT_EQ(r.getSendStatus(), SEND_OK);
    ids.insert(r.getMsgId());
    per_queue[r.getMessageQueue().getQueueId()]++;
  }
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_EQ(per_queue.size(), 4u);
  size_t stored = 0;
  for (int q = 0; q < 4; ++q) stored += broker.Queue("Topic1", q).size();
  EXPECT_EQ(stored, 100u);
}

TEST(SdkProducerTest, AsyncSendRetriesThenReportsFailures) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 4);
  DefaultMQProducer producer("PG1");
  producer.setNamesrvAddr(broker.addr());
  producer.start();
  // A retryable refusal: tried again on another queue, then stored.
  broker.FailNextSends(1, protocol::ResponseCode::kSystemError);
  Outcomes first;
  producer.send(Message("Topic1", "x"), &first);
  ASSERT_TRUE(first.WaitFor(1));
  ASSERT_EQ(first.ok_.size(), 1u);
  EXPECT_EQ(broker.Requests(310).size(), 2u);

  // Every try refused: onException after 1 + retryTimesWhenSendAsyncFailed tries.
  producer.setRetryTimesWhenSendAsyncFailed(1);
  broker.FailNextSends(2, protocol::ResponseCode::kSystemError);
  Outcomes exhausted;
  producer.send(Message("Topic1", "x"), &exhausted);
  ASSERT_TRUE(exhausted.WaitFor(1));
  ASSERT_EQ(exhausted.errors_.size(), 1u);
  EXPECT_NE(std::get<1>(exhausted.errors_[0]).find("Send [2] times"), std::string::npos)
      << std::get<1>(exhausted.errors_[0]);

  // A refusal retrying cannot fix comes back as MQBrokerException at once.
  broker.FailNextSends(1, protocol::ResponseCode::kMessageIllegal);
  Outcomes refused;
  const size_t before = broker.Requests(310).size();
  producer.send(Message("Topic1", "x"), &refused);
  ASSERT_TRUE(refused.WaitFor(1));
  ASSERT_EQ(refused.errors_.size(), 1u);
  EXPECT_EQ(std::get<0>(refused.errors_[0]), 13);
  EXPECT_TRUE(std::get<2>(refused.errors_[0]));
  EXPECT_EQ(broker.Requests(310).size(), before + 1);

  // What send() refuses before sending throws here too, without a callback.
  Outcomes never;
  EXPECT_THROW(producer.send(Message("Topic1", std::string(4 * 1024 * 1024 + 1, 'x')), &never),
               MQClientException);
  EXPECT_THROW(producer.send(Message("Topic1", "x"), static_cast<SendCallback*>(nullptr)),
               MQClientException);
  producer.shutdown();
  EXPECT_THROW(producer.send(Message("Topic1", "x"), &never), MQClientException);
  EXPECT_TRUE(never.ok_.empty() && never.errors_.empty());
}

TEST(SdkProducerTest, UnknownTopicGoesThroughTheCreateTopicKey) {
  FakeBroker broker;
  DefaultMQProducer producer("PG1");
  producer.setNamesrvAddr("127.0.0.1:1;" + broker.addr());  // first nameserver is dead
  producer.start();
  SendResult r = producer.send(Message("BrandNew", "x"));
  EXPECT_EQ(r.getSendStatus(), SEND_OK);
  EXPECT_LT(r.getMessageQueue().getQueueId(), 4);
  EXPECT_EQ(broker.Queue("BrandNew", r.getMessageQueue().getQueueId()).size(), 1u);
}

TEST(SdkProducerTest, StartAndSendErrors) {
  DefaultMQProducer nogroup;
  nogroup.setNamesrvAddr("127.0.0.1:9876");
  EXPECT_THROW(nogroup.start(), MQClientException);
  DefaultMQProducer producer("PG1");
  EXPECT_THROW(producer.send(Message("T", "x")), MQClientException);  // not started
  FakeBroker broker;
  producer.setNamesrvAddr(broker.addr());
  producer.start();
  EXPECT_THROW(producer.start(), MQClientException);
  EXPECT_THROW(producer.send(Message("bad topic", "x")), MQClientException);
}

// Records everything; fails the first delivery of bodies starting with "fail".
class Recorder : public MessageListenerConcurrently {
 public:
  ConsumeStatus consumeMessage(const std::vector<MessageExt>& msgs) override {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& m : msgs) {
      got.push_back(m);
      if (m.getBody().rfind("fail", 0) == 0 && m.getReconsumeTimes() == 0) return RECONSUME_LATER;
    }
    return CONSUME_SUCCESS;
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return got.size();
  }
  std::mutex mu;
  std::vector<MessageExt> got;
};

FakeBroker::Stored Msg(const std::string& topic, int queue, const std::string& tags,
                       const std::string& body) {
  FakeBroker::Stored s;
  s.topic = topic;
  s.queue_id = queue;
  protocol::MessageProperties p;
  if (!tags.empty()) p.Set("TAGS", tags);
  p.Set("UNIQ_KEY", protocol::NewUniqueMessageId());
  s.properties = p.Encode();
  s.body = body;
  return s;
}

TEST(SdkPushConsumerTest, ConsumesFromFirstOffsetAndCommits) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 2);
  for (int i = 0; i < 3; ++i) broker.Put(Msg("Topic1", 0, "TagA", "a" + std::to_string(i)));
  for (int i = 0; i < 2; ++i) broker.Put(Msg("Topic1", 1, "TagA", "b" + std::to_string(i)));
  Recorder rec;
  DefaultMQPushConsumer consumer("CG1");
  consumer.setNamesrvAddr(broker.addr());
  consumer.setInstanceName("inst1");
  consumer.setConsumeFromWhere(CONSUME_FROM_FIRST_OFFSET);
  consumer.subscribe("Topic1", "*");
  consumer.registerMessageListener(&rec);
  consumer.start();
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return rec.count() >= 5; }));
  {
    std::lock_guard<std::mutex> lock(rec.mu);
    std::set<std::string> bodies;
    for (const auto& m : rec.got) {
      bodies.insert(m.getBody());
      EXPECT_EQ(m.getTopic(), "Topic1");
      EXPECT_EQ(m.getTags(), "TagA");
      EXPECT_EQ(m.getMsgId().size(), 32u);
      EXPECT_EQ(m.getProperty("MAX_OFFSET"), m.getQueueId() == 0 ? "3" : "2");
    }
    EXPECT_EQ(bodies, (std::set<std::string>{"a0", "a1", "a2", "b0", "b1"}));
  }
  // Heartbeat: the group, CLUSTERING, the topic and the retry topic.
  auto hbs = broker.Requests(34);
  ASSERT_FALSE(hbs.empty());
  auto hb = protocol::DecodeHeartbeatData(hbs[0].body).value();
  EXPECT_EQ(hb.client_id, consumer.getClientId());
  EXPECT_NE(hb.client_id.find("@inst1"), std::string::npos);
  ASSERT_EQ(hb.consumer_data_set.size(), 1u);
  const auto& cd = hb.consumer_data_set[0];
  EXPECT_EQ(cd.group_name, "CG1");
  EXPECT_EQ(cd.message_model, protocol::MessageModel::kClustering);
  EXPECT_EQ(cd.consume_type, protocol::ConsumeType::kPassively);
  EXPECT_EQ(cd.consume_from_where, protocol::ConsumeFromWhere::kFirstOffset);
  std::set<std::string> topics;
  for (const auto& sd : cd.subscription_data_set) topics.insert(sd.topic);
  EXPECT_EQ(topics, (std::set<std::string>{"Topic1", "%RETRY%CG1"}));

  consumer.shutdown();
  EXPECT_EQ(broker.Committed("CG1", "Topic1", 0), 3);
  EXPECT_EQ(broker.Committed("CG1", "Topic1", 1), 2);
  auto unregs = broker.Requests(35);
  ASSERT_FALSE(unregs.empty());
  EXPECT_EQ(unregs.back().ext.Get("consumerGroup"), "CG1");
  // Pulls carried the long-poll settings.
  auto pulls = broker.Requests(11);
  ASSERT_FALSE(pulls.empty());
  EXPECT_EQ(pulls[0].ext.Get("suspendTimeoutMillis"), "15000");
  EXPECT_EQ(pulls[0].ext.Get("maxMsgNums"), "32");
  EXPECT_EQ(pulls[0].ext.Get("expressionType"), "TAG");
  EXPECT_EQ(pulls[0].ext.GetInt("sysFlag").value() & 0x6, 0x6);  // SUSPEND | SUBSCRIPTION
}

TEST(SdkPushConsumerTest, LastOffsetSkipsOldMessagesAndResumesFromCommitted) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 1);
  broker.Put(Msg("Topic1", 0, "TagA", "old"));
  Recorder rec;
  {
    DefaultMQPushConsumer consumer("CG2");
    consumer.setNamesrvAddr(broker.addr());
    consumer.subscribe("Topic1", "*");
    consumer.registerMessageListener(&rec);
    consumer.start();
    broker.Put(Msg("Topic1", 0, "TagA", "new"));
    ASSERT_TRUE(FakeBroker::WaitFor([&] { return rec.count() >= 1; }));
    std::this_thread::sleep_for(200ms);
    consumer.shutdown();
  }
  ASSERT_EQ(rec.count(), 1u);
  EXPECT_EQ(rec.got[0].getBody(), "new");
  EXPECT_EQ(broker.Committed("CG2", "Topic1", 0), 2);
  // A restart continues after what was committed.
  broker.Put(Msg("Topic1", 0, "TagA", "third"));
  Recorder rec2;
  DefaultMQPushConsumer again("CG2");
  again.setNamesrvAddr(broker.addr());
  again.subscribe("Topic1", "*");
  again.registerMessageListener(&rec2);
  again.start();
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return rec2.count() >= 1; }));
  std::this_thread::sleep_for(200ms);
  again.shutdown();
  ASSERT_EQ(rec2.count(), 1u);
  EXPECT_EQ(rec2.got[0].getBody(), "third");
}

TEST(SdkPushConsumerTest, FiltersTagsOnTheClientToo) {
  FakeBroker broker;  // the fake does no filtering at all
  broker.AddTopic("Topic1", 1);
  broker.Put(Msg("Topic1", 0, "TagA", "1"));
  broker.Put(Msg("Topic1", 0, "TagB", "2"));
  broker.Put(Msg("Topic1", 0, "TagC", "3"));
  broker.Put(Msg("Topic1", 0, "", "4"));
  broker.Put(Msg("Topic1", 0, "TagB", "5"));
  Recorder rec;
  DefaultMQPushConsumer consumer("CG3");
  consumer.setNamesrvAddr(broker.addr());
  consumer.setConsumeFromWhere(CONSUME_FROM_FIRST_OFFSET);
  consumer.subscribe("Topic1", "TagA || TagB");
  consumer.registerMessageListener(&rec);
  consumer.start();
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return rec.count() >= 3; }));
  std::this_thread::sleep_for(200ms);
  consumer.shutdown();
  std::set<std::string> bodies;
  for (const auto& m : rec.got) bodies.insert(m.getBody());
  EXPECT_EQ(bodies, (std::set<std::string>{"1", "2", "5"}));
  EXPECT_EQ(broker.Committed("CG3", "Topic1", 0), 5);  // filtered ones count as done
  int topic_pulls = 0;
  for (const auto& pull : broker.Requests(11)) {
    if (pull.ext.Get("topic") != "Topic1") continue;
    ++topic_pulls;
    EXPECT_EQ(pull.ext.Get("subscription"), "TagA || TagB");
  }
  EXPECT_GT(topic_pulls, 0);
}

TEST(SdkPushConsumerTest, ReconsumeLaterSendsBackAndRedeliversThroughRetryTopic) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 1);
  broker.Put(Msg("Topic1", 0, "TagA", "ok"));
  broker.Put(Msg("Topic1", 0, "TagA", "fail-once"));
  Recorder rec;
  DefaultMQPushConsumer consumer("CG4");
  consumer.setNamesrvAddr(broker.addr());
  consumer.setConsumeFromWhere(CONSUME_FROM_FIRST_OFFSET);
  consumer.subscribe("Topic1", "*");
  consumer.registerMessageListener(&rec);
  consumer.start();
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return broker.Requests(36).size() >= 1; }));
  auto backs = broker.Requests(36);
  EXPECT_EQ(backs[0].ext.Get("group"), "CG4");
  EXPECT_EQ(backs[0].ext.Get("delayLevel"), "0");
  EXPECT_EQ(backs[0].ext.Get("originTopic"), "Topic1");
  EXPECT_EQ(backs[0].ext.Get("maxReconsumeTimes"), "16");
  // The retry topic's route appears after the heartbeat; the consumer finds it on a
  // later rebalance (every 20 s).
  ASSERT_TRUE(FakeBroker::WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(rec.mu);
        for (const auto& m : rec.got) {
          if (m.getBody() == "fail-once" && m.getReconsumeTimes() == 1) return true;
        }
        return false;
      },
      30s));
  {
    std::lock_guard<std::mutex> lock(rec.mu);
    const MessageExt* first = nullptr;
    const MessageExt* again = nullptr;
    for (const auto& m : rec.got) {
      if (m.getBody() != "fail-once") continue;
      (m.getReconsumeTimes() == 0 ? first : again) = &m;
    }
    ASSERT_TRUE(first && again);
    EXPECT_EQ(again->getTopic(), "Topic1");  // restored from RETRY_TOPIC
    EXPECT_EQ(again->getMsgId(), first->getMsgId());
  }
  consumer.shutdown();
  // Sent back counts as done for the original queue.
  EXPECT_EQ(broker.Committed("CG4", "Topic1", 0), 2);
  EXPECT_EQ(broker.Committed("CG4", "%RETRY%CG4", 0), 1);
}

TEST(SdkPushConsumerTest, StartChecks) {
  Recorder rec;
  // An offset file that cannot be parsed stops a broadcasting consumer at start: it must
  // not silently restart from consumeFromWhere.
  testing::TempDir dir;
  const std::string group_dir = dir.Sub(sdk::LocalIpAddress() + "@bad/CG5");
  std::filesystem::create_directories(group_dir);
  std::ofstream(group_dir + "/offsets.json") << "{not json";
  DefaultMQPushConsumer broadcasting("CG5");
  broadcasting.setNamesrvAddr("127.0.0.1:9876");
  broadcasting.subscribe("Topic1", "*");
  broadcasting.registerMessageListener(&rec);
  broadcasting.setMessageModel(BROADCASTING);
  broadcasting.setInstanceName("bad");
  broadcasting.setOffsetStoreDir(dir.path());
  try {
    broadcasting.start();
    FAIL() << "started with a corrupt offset file";
  } catch (const MQClientException& e) {
    EXPECT_NE(std::string(e.what()).find("offsets.json"), std::string::npos) << e.what();
  }
  DefaultMQPushConsumer no_listener("CG5");
  no_listener.setNamesrvAddr("127.0.0.1:9876");
  no_listener.subscribe("Topic1", "*");
  EXPECT_THROW(no_listener.start(), MQClientException);
  DefaultMQPushConsumer no_sub("CG5");
  no_sub.setNamesrvAddr("127.0.0.1:9876");
  no_sub.registerMessageListener(&rec);
  EXPECT_THROW(no_sub.start(), MQClientException);
}

// Queues of topic `topic` among `consumers`' assignments: true when they are disjoint and
// cover `total` queues.
bool SplitCovers(const std::vector<const DefaultMQPushConsumer*>& consumers, const std::string& topic,
                 size_t total) {
  std::multiset<MessageQueue> all;
  for (const auto* c : consumers) {
    for (const auto& mq : c->getAssignedQueues()) {
      if (mq.getTopic() == topic) all.insert(mq);
    }
  }
  return all.size() == total && std::set<MessageQueue>(all.begin(), all.end()).size() == total;
}

TEST(SdkRebalanceTest, MembersSplitQueuesOnThePeriodicRebalance) {
  FakeBroker broker;  // sends no NOTIFY_CONSUMER_IDS_CHANGED: only the timer rebalances
  broker.AddTopic("Topic1", 4);
  Recorder r1, r2;
  DefaultMQPushConsumer c1("CG6"), c2("CG6");
  for (auto* c : {&c1, &c2}) {
    c->setNamesrvAddr(broker.addr());
    c->subscribe("Topic1", "*");
    c->setRebalanceInterval(200);
  }
  c1.setInstanceName("a");
  c2.setInstanceName("b");
  c1.registerMessageListener(&r1);
  c2.registerMessageListener(&r2);
  c1.start();
  EXPECT_EQ(c1.getAssignedQueues().size(), 4u + 1u);  // the topic and its retry queue
  c2.start();
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return SplitCovers({&c1, &c2}, "Topic1", 4) &&
                                               c1.getAssignedQueues().size() == 3; }));
  // Sorted ids ip@a < ip@b: a takes queues 0-1 (and the retry queue), b queues 2-3.
  for (const auto& mq : c2.getAssignedQueues()) EXPECT_GE(mq.getQueueId(), 2) << mq.toString();
  for (int q = 0; q < 4; ++q) broker.Put(Msg("Topic1", q, "", "m" + std::to_string(q)));
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return r1.count() + r2.count() >= 4; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(r1.count(), 2u);
  EXPECT_EQ(r2.count(), 2u);
  // b leaves cleanly: its queues' offsets are committed, and a takes them over from there.
  c2.shutdown();
  EXPECT_EQ(broker.Committed("CG6", "Topic1", 2), 1);
  EXPECT_EQ(broker.Committed("CG6", "Topic1", 3), 1);
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return SplitCovers({&c1}, "Topic1", 4); }));
  broker.Put(Msg("Topic1", 3, "", "after"));
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return r1.count() >= 3; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(r1.count(), 3u);  // "after" only: m2 and m3 are not delivered again
  c1.shutdown();
}

TEST(SdkRebalanceTest, ByCircleStrategyIsUsed) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 4);
  Recorder r1, r2;
  DefaultMQPushConsumer c1("CG7"), c2("CG7");
  for (auto* c : {&c1, &c2}) {
    c->setNamesrvAddr(broker.addr());
    c->subscribe("Topic1", "*");
    c->setRebalanceInterval(200);
    c->setAllocateMessageQueueStrategy(std::make_shared<AllocateMessageQueueAveragelyByCircle>());
  }
  c1.setInstanceName("a");
  c2.setInstanceName("b");
  c1.registerMessageListener(&r1);
  c2.registerMessageListener(&r2);
  c1.start();
  c2.start();
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return SplitCovers({&c1, &c2}, "Topic1", 4); }));
  std::set<int> b_ids;
  for (const auto& mq : c2.getAssignedQueues()) {
    if (mq.getTopic() == "Topic1") b_ids.insert(mq.getQueueId());
  }
  EXPECT_EQ(b_ids, (std::set<int>{1, 3}));
}

TEST(SdkPushConsumerTest, TimestampStartsWhereTheBrokerSearchLeads) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 1);
  for (int i = 0; i < 4; ++i) broker.Put(Msg("Topic1", 0, "", "m" + std::to_string(i)));
  broker.SetSearchOffset(2);
  Recorder rec;
  DefaultMQPushConsumer consumer("CG8");
  consumer.setNamesrvAddr(broker.addr());
  consumer.setConsumeFromWhere(CONSUME_FROM_TIMESTAMP);
  consumer.setConsumeTimestamp("20260102030405");
  consumer.subscribe("Topic1", "*");
  consumer.registerMessageListener(&rec);
  consumer.start();
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return rec.count() >= 2; }));
  std::this_thread::sleep_for(200ms);
  consumer.shutdown();
  ASSERT_EQ(rec.count(), 2u);
  EXPECT_EQ(rec.got[0].getBody(), "m2");
  auto searches = broker.Requests(protocol::RequestCode::kSearchOffsetByTimestamp);
  ASSERT_FALSE(searches.empty());
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 0;
  tm.tm_mday = 2;
  tm.tm_hour = 3;
  tm.tm_min = 4;
  tm.tm_sec = 5;
  tm.tm_isdst = -1;
  EXPECT_EQ(searches[0].ext.GetInt("timestamp").value(), int64_t{std::mktime(&tm)} * 1000);
}

TEST(SdkBroadcastTest, EveryMemberGetsEverythingAndKeepsItsOwnOffsets) {
  FakeBroker broker;
  broker.AddTopic("Topic1", 2);
  broker.Put(Msg("Topic1", 0, "", "old"));  // before anyone started: LAST_OFFSET skips it
  testing::TempDir dir;
  Recorder r1, r2;
  auto make = [&](DefaultMQPushConsumer& c, const char* name, Recorder* r) {
    c.setNamesrvAddr(broker.addr());
    c.setMessageModel(BROADCASTING);
    c.setInstanceName(name);
    c.setOffsetStoreDir(dir.path());
    c.setPersistConsumerOffsetInterval(100);
    c.subscribe("Topic1", "*");
    c.registerMessageListener(r);
  };
  auto c1 = std::make_unique<DefaultMQPushConsumer>("CG9");
  DefaultMQPushConsumer c2("CG9");
  make(*c1, "one", &r1);
  make(c2, "two", &r2);
  c1->start();
  c2.start();
  EXPECT_EQ(c1->getAssignedQueues().size(), 2u);  // every queue, no retry topic
  EXPECT_EQ(c2.getAssignedQueues().size(), 2u);
  for (int i = 0; i < 10; ++i) broker.Put(Msg("Topic1", i % 2, "", "m" + std::to_string(i)));
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return r1.count() >= 10 && r2.count() >= 10; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(r1.count(), 10u);
  EXPECT_EQ(r2.count(), 10u);
  const std::string file = dir.Sub(c1->getClientId() + "/CG9/offsets.json");
  c1->shutdown();
  // Offsets stay on the client: nothing committed to or asked of the broker.
  EXPECT_TRUE(broker.Requests(protocol::RequestCode::kUpdateConsumerOffset).empty());
  EXPECT_TRUE(broker.Requests(protocol::RequestCode::kQueryConsumerOffset).empty());
  for (const auto& pull : broker.Requests(protocol::RequestCode::kPullMessage)) {
    EXPECT_EQ(pull.ext.GetInt("sysFlag").value() & protocol::PullSysFlag::kCommitOffset, 0);
  }
  for (const auto& hb : broker.Requests(protocol::RequestCode::kHeartBeat)) {
    auto data = protocol::DecodeHeartbeatData(hb.body);
    ASSERT_TRUE(data.ok());
    for (const auto& cd : data->consumer_data_set) {
      EXPECT_EQ(cd.message_model, protocol::MessageModel::kBroadcasting);
      for (const auto& sub : cd.subscription_data_set) EXPECT_EQ(sub.topic, "Topic1");
    }
  }
  std::ifstream in(file);
  ASSERT_TRUE(in) << file;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"offset\": 6"), std::string::npos) << text;  // queue 0: old + 5
  EXPECT_NE(text.find("\"offset\": 5"), std::string::npos) << text;  // queue 1
  // While "one" is down, two more arrive; restarted, it resumes from its file.
  broker.Put(Msg("Topic1", 0, "", "while-down-0"));
  broker.Put(Msg("Topic1", 1, "", "while-down-1"));
  Recorder r3;
  DefaultMQPushConsumer again("CG9");
  make(again, "one", &r3);
  again.start();
  ASSERT_TRUE(FakeBroker::WaitFor([&] { return r3.count() >= 2; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(r3.count(), 2u);
  again.shutdown();
  c2.shutdown();
  EXPECT_EQ(r2.count(), 12u);
}

}  // namespace
}  // namespace sprocket
