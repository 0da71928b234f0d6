// mqadmin's message queries (queryMsgById, queryMsgByKey, queryMsgByUniqueKey, printMsg,
// message tracks) and the broker's QUERY_MESSAGE, on every store with a key index.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "sprocket/client.h"
#include "sprocket/protocol/bodies_admin.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"
#include "support/broker_requests.h"
#include "support/collecting_listener.h"
#include "support/mqadmin_run.h"
#include "support/test_process.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using testing::Admin;
using testing::AdminRun;
using testing::BinPath;
using testing::ChildProcess;
using testing::CollectingListener;
using testing::Eventually;
using testing::Labeled;
using testing::MiniCluster;
using testing::Rows;
using testing::Tokens;
using testing::WaitForBroker;

namespace RS = protocol::ResponseCode;
using protocol::RemotingCommand;

// The value of a "%-20s %s" detail line ("Topic:               QueryTopic"), or "" when the
// label is not there. `nth` picks among repeated blocks.
std::string Detail(const AdminRun& run, const std::string& label, int nth = 0) {
  for (const auto& l : run.lines) {
    if (l.size() >= 21 && l.rfind(label, 0) == 0 && l.find_first_not_of(' ', label.size()) == 21) {
      if (nth-- == 0) return l.substr(21);
    }
  }
  return "";
}

int CountLinesStartingWith(const AdminRun& run, const std::string& prefix) {
  return static_cast<int>(std::count_if(run.lines.begin(), run.lines.end(),
                                        [&](const std::string& l) { return l.rfind(prefix, 0) == 0; }));
}

// queryMsgById/queryMsgByUniqueKey write each body to RocketMQ's fixed
// /tmp/rocketmq/msgbodys/<msgId>; a test removes the files of the messages it sent.
struct BodyFiles {
  std::vector<std::string> ids;
  ~BodyFiles() {
    std::error_code ec;
    for (const auto& id : ids) std::filesystem::remove("/tmp/rocketmq/msgbodys/" + id, ec);
  }
};

struct SentMessage {
  std::string uniq_key;       // SendResult.getMsgId()
  std::string offset_msg_id;  // SendResult.getOffsetMsgId()
  int queue_id = 0;
  int64_t queue_offset = 0;
  std::string tags, keys, body;
};

// Every store plugin with a key index; the broker and mqadmin must behave the same on each.
class MqadminQueryTest : public ::testing::TestWithParam<std::string> {
 protected:
  static MiniCluster::Options StoreOptions() {
    MiniCluster::Options o;
    o.broker_extra["storePlugin"] = GetParam();
    return o;
  }
};

TEST_P(MqadminQueryTest, QueriesFindMessagesByIdKeyUniqueKeyAndTime) {
  MiniCluster cluster(StoreOptions());
  WaitForBroker(cluster);
  const std::string topic = "QueryTopic";
  ASSERT_EQ(Admin(cluster, {"updateTopic", "-c", "DefaultCluster", "-t", topic, "-r", "4", "-w", "4"}).rc, 0);
  ASSERT_TRUE(Eventually([&] { return Admin(cluster, {"topicList"}).HasLine(topic); }, 10s));

  // Eight messages through our SDK, keys "order-<i> shared", in two halves a moment apart.
  DefaultMQProducer producer("QueryPG");
  producer.setNamesrvAddr(cluster.namesrv_addr());
  producer.start();
  std::vector<SentMessage> sent;
  BodyFiles body_files;
  int64_t t_mid = 0;
  for (int i = 0; i < 8; ++i) {
    if (i == 4) {
      std::this_thread::sleep_for(20ms);
      t_mid = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
      std::this_thread::sleep_for(20ms);
    }
    SentMessage m;
    m.tags = i % 2 == 0 ? "TagA" : "TagB";
    m.keys = "order-" + std::to_string(i) + " shared";
    m.body = "query-body-" + std::to_string(i);
    SendResult r = producer.send(Message(topic, m.tags, m.keys, m.body));
    ASSERT_EQ(r.getSendStatus(), SEND_OK);
    m.uniq_key = r.getMsgId();
    m.offset_msg_id = r.getOffsetMsgId();
    m.queue_id = r.getMessageQueue().getQueueId();
    m.queue_offset = r.getQueueOffset();
    sent.push_back(m);
    body_files.ids.push_back(m.uniq_key);
  }
  producer.shutdown();
  const SentMessage& third = sent[3];

  // --- queryMsgByKey ---------------------------------------------------------------------------
  AdminRun by_key = Admin(cluster, {"queryMsgByKey", "-t", topic, "-k", "order-3"});
  ASSERT_EQ(by_key.rc, 0) << by_key.err;
  ASSERT_FALSE(by_key.lines.empty());
  EXPECT_EQ(Tokens(by_key.lines[0]), (std::vector<std::string>{"#Message", "ID", "#QID", "#Offset"}));
  auto key_rows = Rows(by_key, "#Message ID");
  ASSERT_EQ(key_rows.size(), 1u) << by_key.Out();
  EXPECT_EQ(key_rows[0], (std::vector<std::string>{third.uniq_key, std::to_string(third.queue_id),
                                                   std::to_string(third.queue_offset)}));

  AdminRun shared = Admin(cluster, {"queryMsgByKey", "-t", topic, "-k", "shared"});
  ASSERT_EQ(shared.rc, 0) << shared.err;
  std::set<std::string> shared_ids;
  for (const auto& row : Rows(shared, "#Message ID")) shared_ids.insert(row[0]);
  std::set<std::string> all_ids;
  for (const auto& m : sent) all_ids.insert(m.uniq_key);
  EXPECT_EQ(shared_ids, all_ids) << shared.Out();

  // -b/-e: store times; the first half was stored before t_mid, the second after.
  AdminRun later =
      Admin(cluster, {"queryMsgByKey", "-t", topic, "-k", "shared", "-b", std::to_string(t_mid)});
  ASSERT_EQ(later.rc, 0) << later.err;
  std::set<std::string> later_ids;
  for (const auto& row : Rows(later, "#Message ID")) later_ids.insert(row[0]);
  EXPECT_EQ(later_ids,
            (std::set<std::string>{sent[4].uniq_key, sent[5].uniq_key, sent[6].uniq_key, sent[7].uniq_key}))
      << later.Out();
  AdminRun earlier =
      Admin(cluster, {"queryMsgByKey", "-t", topic, "-k", "order-5", "-e", std::to_string(t_mid)});
  EXPECT_EQ(earlier.rc, 1) << earlier.Out();

  AdminRun missing = Admin(cluster, {"queryMsgByKey", "-t", topic, "-k", "no-such-key"});
  EXPECT_EQ(missing.rc, 1);
  EXPECT_NE(missing.err.find("QueryMsgByKeySubCommand command failed"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("CODE: 208  DESC: query message by key finished, but no message."),
            std::string::npos)
      << missing.err;
  AdminRun no_topic = Admin(cluster, {"queryMsgByKey", "-t", "NoSuchTopic", "-k", "shared"});
  EXPECT_EQ(no_topic.rc, 1);
  EXPECT_NE(no_topic.err.find("The topic[NoSuchTopic] not matched route info"), std::string::npos)
      << no_topic.err;

  // --- queryMsgById ------------------------------------------------------------------------------
  AdminRun by_id = Admin(cluster, {"queryMsgById", "-i", third.offset_msg_id, "-f", "UTF-8"});
  ASSERT_EQ(by_id.rc, 0) << by_id.err;
  auto decoded = protocol::DecodeOffsetMsgId(third.offset_msg_id);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(Detail(by_id, "OffsetID:"), third.offset_msg_id) << by_id.Out();
  EXPECT_EQ(Detail(by_id, "Topic:"), topic);
  EXPECT_EQ(Detail(by_id, "Tags:"), "[TagB]");
  EXPECT_EQ(Detail(by_id, "Keys:"), "[order-3 shared]");
  EXPECT_EQ(Detail(by_id, "Queue ID:"), std::to_string(third.queue_id));
  EXPECT_EQ(Detail(by_id, "Queue Offset:"), std::to_string(third.queue_offset));
  EXPECT_EQ(Detail(by_id, "CommitLog Offset:"), std::to_string(decoded->second.value));
  EXPECT_EQ(Detail(by_id, "Reconsume Times:"), "0");
  EXPECT_EQ(Detail(by_id, "Store Host:"), cluster.broker_addr());
  EXPECT_EQ(Detail(by_id, "Born Host:").rfind("127.0.0.1:", 0), 0u) << by_id.Out();
  EXPECT_EQ(Detail(by_id, "Store Timestamp:").size(), 23u);  // yyyy-MM-dd HH:mm:ss,SSS
  EXPECT_NE(Detail(by_id, "Properties:").find("UNIQ_KEY=" + third.uniq_key), std::string::npos)
      << by_id.Out();
  EXPECT_NE(Detail(by_id, "Properties:").find("KEYS=order-3 shared"), std::string::npos) << by_id.Out();
  EXPECT_EQ(Detail(by_id, "Message Body:"), third.body);
  const std::string body_path = Detail(by_id, "Message Body Path:");
  EXPECT_EQ(body_path, "/tmp/rocketmq/msgbodys/" + third.uniq_key);
  std::ifstream body_file(body_path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(body_file), {}), third.body);
  EXPECT_TRUE(by_id.HasLine("WARN: No Consumer")) << by_id.Out();

  AdminRun two = Admin(cluster, {"queryMsgById", "-i", sent[0].offset_msg_id + "," + sent[7].offset_msg_id});
  ASSERT_EQ(two.rc, 0) << two.err;
  EXPECT_EQ(CountLinesStartingWith(two, "OffsetID:"), 2) << two.Out();
  EXPECT_EQ(Detail(two, "Keys:", 0), "[order-0 shared]");
  EXPECT_EQ(Detail(two, "Keys:", 1), "[order-7 shared]");

  AdminRun bad_id = Admin(cluster, {"queryMsgById", "-i", "not-a-message-id"});
  EXPECT_EQ(bad_id.rc, 1);
  EXPECT_NE(bad_id.err.find("QueryMsgByIdSubCommand command failed"), std::string::npos) << bad_id.err;
  EXPECT_NE(bad_id.err.find("invalid message id not-a-message-id"), std::string::npos) << bad_id.err;
  // A well-formed id of this broker at a position where no message starts.
  auto nowhere = protocol::HostAddress::Parse(cluster.broker_addr());
  ASSERT_TRUE(nowhere.ok());
  const std::string nowhere_id =
      protocol::EncodeOffsetMsgId(*nowhere, LogPosition(decoded->second.value + 1));
  AdminRun gone = Admin(cluster, {"queryMsgById", "-i", nowhere_id});
  EXPECT_EQ(gone.rc, 1);
  EXPECT_NE(gone.err.find("CODE: 1  DESC: can not find message by the offset, " +
                          std::to_string(decoded->second.value + 1)),
            std::string::npos)
      << gone.err;

  // --- queryMsgByUniqueKey -----------------------------------------------------------------------
  AdminRun by_uniq = Admin(cluster, {"queryMsgByUniqueKey", "-t", topic, "-i", sent[6].uniq_key});
  ASSERT_EQ(by_uniq.rc, 0) << by_uniq.err;
  EXPECT_EQ(Detail(by_uniq, "OffsetID:"), "");  // RocketMQ's block starts at Topic here
  EXPECT_EQ(Detail(by_uniq, "Topic:"), topic);
  EXPECT_EQ(Detail(by_uniq, "Keys:"), "[order-6 shared]");
  EXPECT_EQ(Detail(by_uniq, "Queue ID:"), std::to_string(sent[6].queue_id));
  EXPECT_EQ(Detail(by_uniq, "Queue Offset:"), std::to_string(sent[6].queue_offset));
  // An offsetMsgId works too (DefaultMQAdminExt.viewMessage tries it first).
  AdminRun by_offset_id = Admin(cluster, {"queryMsgByUniqueKey", "-t", topic, "-i", sent[1].offset_msg_id});
  ASSERT_EQ(by_offset_id.rc, 0) << by_offset_id.err;
  EXPECT_EQ(Detail(by_offset_id, "Keys:"), "[order-1 shared]");
  // A UNIQ_KEY nobody sent.
  const std::string stranger = protocol::NewUniqueMessageId();
  AdminRun no_uniq = Admin(cluster, {"queryMsgByUniqueKey", "-t", topic, "-i", stranger});
  EXPECT_EQ(no_uniq.rc, 1);
  EXPECT_NE(no_uniq.err.find("CODE: 208  DESC: query message by key finished, but no message."),
            std::string::npos)
      << no_uniq.err;
  AdminRun directly =
      Admin(cluster, {"queryMsgByUniqueKey", "-t", topic, "-i", stranger, "-g", "G", "-d", "c"});
  EXPECT_EQ(directly.rc, 1);
  EXPECT_NE(directly.err.find("not implemented"), std::string::npos) << directly.err;

  // --- printMsg ----------------------------------------------------------------------------------
  auto bodies_of = [](const AdminRun& run) {
    std::multiset<std::string> out;
    for (const auto& l : run.lines) {
      auto at = l.find(" BODY: ");
      if (l.rfind("MSGID: ", 0) == 0 && at != std::string::npos) out.insert(l.substr(at + 7));
    }
    return out;
  };
  AdminRun printed = Admin(cluster, {"printMsg", "-t", topic});
  ASSERT_EQ(printed.rc, 0) << printed.err;
  std::multiset<std::string> all_bodies;
  for (const auto& m : sent) all_bodies.insert(m.body);
  EXPECT_EQ(bodies_of(printed), all_bodies) << printed.Out();
  EXPECT_EQ(CountLinesStartingWith(printed, "minOffset="), 4) << printed.Out();
  EXPECT_EQ(CountLinesStartingWith(printed, "--------------------------------------------------------"), 4);
  EXPECT_EQ(CountLinesStartingWith(printed, "Consume ok"), 0);

  AdminRun tag_a = Admin(cluster, {"printMsg", "-t", topic, "-s", "TagA"});
  ASSERT_EQ(tag_a.rc, 0) << tag_a.err;
  EXPECT_EQ(bodies_of(tag_a),
            (std::multiset<std::string>{"query-body-0", "query-body-2", "query-body-4", "query-body-6"}))
      << tag_a.Out();
  AdminRun second_half = Admin(cluster, {"printMsg", "-t", topic, "-b", std::to_string(t_mid), "-d", "true"});
  ASSERT_EQ(second_half.rc, 0) << second_half.err;
  EXPECT_EQ(bodies_of(second_half),
            (std::multiset<std::string>{"query-body-4", "query-body-5", "query-body-6", "query-body-7"}))
      << second_half.Out();
  AdminRun first_half = Admin(cluster, {"printMsg", "-t", topic, "-e", std::to_string(t_mid), "-d", "false"});
  ASSERT_EQ(first_half.rc, 0) << first_half.err;
  EXPECT_EQ(bodies_of(first_half), (std::multiset<std::string>{"NOT PRINT BODY", "NOT PRINT BODY",
                                                               "NOT PRINT BODY", "NOT PRINT BODY"}))
      << first_half.Out();

  // --- topicStatus: "#Last Updated" is the store time of each queue's last message ----------------
  AdminRun status = Admin(cluster, {"topicStatus", "-t", topic});
  ASSERT_EQ(status.rc, 0) << status.err;
  for (const auto& row : Rows(status, "#Broker Name")) {
    ASSERT_GE(row.size(), 4u);
    const int q = std::stoi(row[1]);
    const SentMessage* last = nullptr;
    for (const auto& m : sent) {
      if (m.queue_id == q && (last == nullptr || m.queue_offset > last->queue_offset)) last = &m;
    }
    if (last == nullptr) {
      EXPECT_EQ(row.size(), 4u) << status.Out();
      continue;
    }
    ASSERT_EQ(row.size(), 6u) << status.Out();
    EXPECT_EQ(row[3], std::to_string(last->queue_offset + 1));
    AdminRun view = Admin(cluster, {"queryMsgById", "-i", last->offset_msg_id});
    ASSERT_EQ(view.rc, 0) << view.err;
    EXPECT_EQ(row[4] + " " + row[5], Detail(view, "Store Timestamp:")) << status.Out() << view.Out();
  }

  // queryMsgById -s true: the stored message is sent again, keys and all.
  AdminRun resend = Admin(cluster, {"queryMsgById", "-i", third.offset_msg_id, "-s", "true"});
  ASSERT_EQ(resend.rc, 0) << resend.err;
  EXPECT_TRUE(resend.HasLine("prepare resend msg. originalMsgId=" + third.offset_msg_id)) << resend.Out();
  EXPECT_EQ(CountLinesStartingWith(resend, "SendResult [sendStatus=SEND_OK"), 1) << resend.Out();
  AdminRun twice = Admin(cluster, {"queryMsgByKey", "-t", topic, "-k", "order-3"});
  ASSERT_EQ(twice.rc, 0) << twice.err;
  EXPECT_EQ(Rows(twice, "#Message ID").size(), 2u) << twice.Out();
}

TEST_P(MqadminQueryTest, MessageTrackShowsWhichGroupsConsumedTheMessage) {
  MiniCluster cluster(StoreOptions());
  WaitForBroker(cluster);
  const std::string topic = "TrackTopic";
  // One queue: a (TagA), b (TagB), c (TagA) at offsets 0, 1, 2.
  ASSERT_EQ(Admin(cluster, {"updateTopic", "-c", "DefaultCluster", "-t", topic, "-r", "1", "-w", "1"}).rc, 0);
  ASSERT_TRUE(Eventually([&] { return Admin(cluster, {"topicList"}).HasLine(topic); }, 10s));
  DefaultMQProducer producer("TrackPG");
  producer.setNamesrvAddr(cluster.namesrv_addr());
  producer.start();
  SendResult a = producer.send(Message(topic, "TagA", "track-a", "a"));
  SendResult b = producer.send(Message(topic, "TagB", "track-b", "b"));
  SendResult c = producer.send(Message(topic, "TagA", "track-c", "c"));
  producer.shutdown();
  BodyFiles body_files{{a.getMsgId(), b.getMsgId(), c.getMsgId()}};
  ASSERT_EQ(c.getQueueOffset(), 2);

  // A group taking only TagA: its offset passes b, which it never consumed.
  const std::string group = "TrackGroup";
  CollectingListener listener;
  auto consumer = std::make_unique<DefaultMQPushConsumer>(group);
  consumer->setNamesrvAddr(cluster.namesrv_addr());
  consumer->setConsumeFromWhere(CONSUME_FROM_FIRST_OFFSET);
  consumer->setPersistConsumerOffsetInterval(300);
  consumer->subscribe(topic, "TagA");
  consumer->registerMessageListener(&listener);
  consumer->start();
  ASSERT_TRUE(listener.WaitFor(2, 30s)) << listener.Count();
  AdminRun progress;
  ASSERT_TRUE(Eventually(
      [&] {
        progress = Admin(cluster, {"consumerProgress", "-g", group});
        return progress.rc == 0 && Labeled(progress, "Diff Total") == "0";
      },
      20s))
      << progress.Out() << progress.err;

  const std::string track = "MessageTrack [consumerGroup=" + group + ", trackType=";
  AdminRun view_a = Admin(cluster, {"queryMsgById", "-i", a.getOffsetMsgId()});
  ASSERT_EQ(view_a.rc, 0) << view_a.err;
  EXPECT_TRUE(view_a.HasLine(track + "CONSUMED, exceptionDesc=null]")) << view_a.Out();
  AdminRun view_b = Admin(cluster, {"queryMsgByUniqueKey", "-t", topic, "-i", b.getMsgId()});
  ASSERT_EQ(view_b.rc, 0) << view_b.err;
  EXPECT_TRUE(view_b.HasLine(track + "CONSUMED_BUT_FILTERED, exceptionDesc=null]")) << view_b.Out();

  consumer->shutdown();
  consumer.reset();
  AdminRun offline = Admin(cluster, {"queryMsgById", "-i", a.getOffsetMsgId()});
  ASSERT_EQ(offline.rc, 0) << offline.err;
  EXPECT_TRUE(offline.HasLine(track + "NOT_ONLINE, exceptionDesc=CODE:206 DESC:the consumer group[" + group +
                              "] not online]"))
      << offline.Out();
}

// QUERY_MESSAGE as any client sends it, checked against RocketMQ's QueryMessageProcessor.
// A cluster on the store under test, and raw requests to its broker.
struct RawBroker {
  explicit RawBroker(MiniCluster::Options o) : cluster(std::move(o)) {}
  ~RawBroker() { client.Shutdown(); }
  RemotingCommand Call(RemotingCommand req) {
    auto r = testing::Call(client, cluster.broker_addr(), std::move(req));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r.value()) : RemotingCommand{};
  }
  bool CreateTopic(const std::string& topic) {
    return cluster.broker_port() > 0 &&
           testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), topic, 1);
  }
  MiniCluster cluster;
  remoting::RemotingClient client;
};

TEST_P(MqadminQueryTest, BrokerAnswersQueryMessage) {
  RawBroker broker(StoreOptions());
  const std::string topic = "RawQueryTopic";
  ASSERT_TRUE(broker.CreateTopic(topic)) << broker.cluster.broker().Stderr();
  auto call = [&](RemotingCommand req) { return broker.Call(std::move(req)); };
  // Five records with KEYS "batch" (one also "solo"), and two whose keys have the same Java
  // hash ("Aa" and "BB"): a hash index cannot tell them apart, the broker must.
  int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (int i = 0; i < 5; ++i) {
    std::string keys = i == 2 ? "batch solo" : "batch";
    ASSERT_EQ(call(testing::SendV2Request(topic, 0, "", keys, "raw-" + std::to_string(i))).code,
              RS::kSuccess);
  }
  ASSERT_EQ(call(testing::SendV2Request(topic, 0, "", "Aa", "collide-Aa")).code, RS::kSuccess);
  ASSERT_EQ(call(testing::SendV2Request(topic, 0, "", "BB", "collide-BB")).code, RS::kSuccess);
  ASSERT_EQ(protocol::JavaStringHash("Aa"), protocol::JavaStringHash("BB"));

  auto query = [&](const std::string& key, int32_t max, int64_t begin, int64_t end, bool unique) {
    RemotingCommand req = RemotingCommand::Request(protocol::RequestCode::kQueryMessage);
    protocol::QueryMessageRequestHeader h{topic, key, max, begin, end, unique};
    protocol::EncodeQueryMessageRequestHeader(h, &req.ext);
    return call(std::move(req));
  };
  auto bodies = [](const RemotingCommand& resp) {
    std::vector<std::string> out;
    auto msgs = protocol::DecodeRecords(resp.body);
    EXPECT_TRUE(msgs.ok()) << msgs.status().ToString();
    if (msgs.ok()) {
      for (const auto& m : *msgs) out.push_back(m.body);
    }
    return out;
  };

  RemotingCommand solo = query("solo", 32, 0, INT64_MAX, false);
  ASSERT_EQ(solo.code, RS::kSuccess) << solo.remark.value_or("");
  EXPECT_EQ(bodies(solo), std::vector<std::string>{"raw-2"});
  auto rh = protocol::DecodeQueryMessageResponseHeader(solo.ext);
  ASSERT_TRUE(rh.ok()) << rh.status().ToString();
  EXPECT_GE(rh->index_last_update_timestamp, before);
  EXPECT_GT(rh->index_last_update_phyoffset, 0);

  // Oldest first, and at most maxNum: the newest three.
  EXPECT_EQ(bodies(query("batch", 3, 0, INT64_MAX, false)),
            (std::vector<std::string>{"raw-2", "raw-3", "raw-4"}));
  EXPECT_EQ(bodies(query("batch", 32, 0, INT64_MAX, false)).size(), 5u);
  // A UNIQ_KEY query uses the broker's defaultQueryMaxNum (32), whatever maxNum says.
  EXPECT_EQ(bodies(query("batch", 1, 0, INT64_MAX, true)).size(), 5u);

  EXPECT_EQ(bodies(query("Aa", 32, 0, INT64_MAX, false)), std::vector<std::string>{"collide-Aa"});
  EXPECT_EQ(bodies(query("BB", 32, 0, INT64_MAX, false)), std::vector<std::string>{"collide-BB"});

  RemotingCommand none = query("nothing", 32, 0, INT64_MAX, false);
  EXPECT_EQ(none.code, RS::kQueryNotFound);
  EXPECT_EQ(none.remark.value_or(""), "can not find message, maybe time range not correct");
  EXPECT_TRUE(protocol::DecodeQueryMessageResponseHeader(none.ext).ok());
  EXPECT_EQ(query("solo", 32, 0, before - 1, false).code, RS::kQueryNotFound);  // stored after `end`
  EXPECT_EQ(query("solo", 0, 0, INT64_MAX, false).code, RS::kQueryNotFound);
  // Another topic's records never answer.
  RemotingCommand other = RemotingCommand::Request(protocol::RequestCode::kQueryMessage);
  protocol::EncodeQueryMessageRequestHeader({"OtherTopic", "solo", 32, 0, INT64_MAX, false}, &other.ext);
  EXPECT_EQ(call(std::move(other)).code, RS::kQueryNotFound);

  RemotingCommand no_key = RemotingCommand::Request(protocol::RequestCode::kQueryMessage);
  no_key.ext.Set("topic", topic);
  no_key.ext.Set("maxNum", int64_t{32});
  no_key.ext.Set("beginTimestamp", int64_t{0});
  no_key.ext.Set("endTimestamp", int64_t{1});
  RemotingCommand refused = call(std::move(no_key));
  EXPECT_EQ(refused.code, RS::kSystemError);
  EXPECT_EQ(refused.remark.value_or(""), "the custom field <key> is null");
}

// The limits come from the broker's config: MessageStoreConfig's defaultQueryMaxNum (queries
// by UNIQ_KEY) and maxMsgsNumBatch (every query).
TEST_P(MqadminQueryTest, DefaultQueryMaxNumAndMaxMsgsNumBatchBoundTheAnswer) {
  MiniCluster::Options o = StoreOptions();
  o.broker_extra["defaultQueryMaxNum"] = "2";
  o.broker_extra["maxMsgsNumBatch"] = "3";
  RawBroker broker(o);
  const std::string topic = "QueryLimitsTopic";
  ASSERT_TRUE(broker.CreateTopic(topic)) << broker.cluster.broker().Stderr();
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(broker.Call(testing::SendV2Request(topic, 0, "", "same", "m-" + std::to_string(i))).code,
              RS::kSuccess);
  auto count = [&](int32_t max, bool unique) -> size_t {
    RemotingCommand req = RemotingCommand::Request(protocol::RequestCode::kQueryMessage);
    protocol::EncodeQueryMessageRequestHeader({topic, "same", max, 0, INT64_MAX, unique}, &req.ext);
    RemotingCommand resp = broker.Call(std::move(req));
    EXPECT_EQ(resp.code, RS::kSuccess) << resp.remark.value_or("");
    auto msgs = protocol::DecodeRecords(resp.body);
    EXPECT_TRUE(msgs.ok()) << msgs.status().ToString();
    return msgs.ok() ? msgs->size() : 0;
  };
  EXPECT_EQ(count(32, false), 3u);  // capped by maxMsgsNumBatch
  EXPECT_EQ(count(2, false), 2u);   // below the cap, maxNum decides
  EXPECT_EQ(count(32, true), 2u);   // by UNIQ_KEY: defaultQueryMaxNum, whatever maxNum says
}

INSTANTIATE_TEST_SUITE_P(Stores, MqadminQueryTest, ::testing::Values("filelog", "leveldb", "memory"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace sprocket
