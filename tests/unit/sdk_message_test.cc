// Public message types, the producer's message checks, record -> MessageExt, request
// builders and client settings.
#include <gtest/gtest.h>

#include "config.h"
#include "message_util.h"
#include "requests.h"
#include "sprocket/client.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::sdk {
namespace {

TEST(SdkMessageTest, TagsKeysAndDelayLiveInProperties) {
  Message m("Topic1", "TagA", "OrderID001", "Hello world");
  EXPECT_EQ(m.getTopic(), "Topic1");
  EXPECT_EQ(m.getTags(), "TagA");
  EXPECT_EQ(m.getKeys(), "OrderID001");
  EXPECT_EQ(m.getBody(), "Hello world");
  EXPECT_EQ(m.getProperty("TAGS"), "TagA");
  m.setKeys(std::vector<std::string>{"k1", "k2"});
  EXPECT_EQ(m.getProperty("KEYS"), "k1 k2");
  EXPECT_EQ(m.getDelayTimeLevel(), 0);
  m.setDelayTimeLevel(3);
  EXPECT_EQ(m.getProperty("DELAY"), "3");
  EXPECT_EQ(m.getDelayTimeLevel(), 3);
  EXPECT_TRUE(m.isWaitStoreMsgOK());
  m.setWaitStoreMsgOK(false);
  EXPECT_FALSE(m.isWaitStoreMsgOK());
  m.setTags("");
  EXPECT_EQ(m.getProperties().count("TAGS"), 0u);
}

TEST(SdkMessageTest, MessageExtIdPrefersUniqKey) {
  MessageExt m;
  m.setOffsetMsgId("0A00000100002A9F0000000000000000");
  EXPECT_EQ(m.getMsgId(), "0A00000100002A9F0000000000000000");
  m.setProperty("UNIQ_KEY", "AC1100020001000000000000000000AB");
  EXPECT_EQ(m.getMsgId(), "AC1100020001000000000000000000AB");
}

TEST(SdkMessageTest, QueueOrderingAndText) {
  MessageQueue a("T", "broker-a", 1), b("T", "broker-a", 2), c("T", "broker-b", 0);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(a.toString(), "MessageQueue [topic=T, brokerName=broker-a, queueId=1]");
  SendResult r(SEND_OK, "ID", "OFF", a, 7);
  EXPECT_NE(r.toString().find("sendStatus=SEND_OK"), std::string::npos);
  EXPECT_STREQ(SendStatusName(FLUSH_SLAVE_TIMEOUT), "FLUSH_SLAVE_TIMEOUT");
  MQBrokerException e(17, "topic not exist");
  EXPECT_EQ(e.getResponseCode(), 17);
  EXPECT_STREQ(e.what(), "CODE: 17  DESC: topic not exist");
}

TEST(SdkMessageTest, ProducerChecksMessagesBeforeSending) {
  EXPECT_TRUE(CheckMessage(Message("Topic1", "x"), 4 << 20).ok());
  EXPECT_FALSE(CheckMessage(Message("", "x"), 4 << 20).ok());
  EXPECT_FALSE(CheckMessage(Message("bad topic", "x"), 4 << 20).ok());
  EXPECT_FALSE(CheckMessage(Message(std::string(128, 'a'), "x"), 4 << 20).ok());
  EXPECT_FALSE(CheckMessage(Message("SCHEDULE_TOPIC_XXXX", "x"), 4 << 20).ok());
  EXPECT_TRUE(CheckMessage(Message("%RETRY%g_1-a|b", "x"), 4 << 20).ok());
  EXPECT_EQ(CheckMessage(Message("Topic1", ""), 4 << 20).code(), Status::Code::kMessageIllegal);
  EXPECT_TRUE(CheckMessage(Message("Topic1", std::string(4 << 20, 'x')), 4 << 20).ok());
  Status big = CheckMessage(Message("Topic1", std::string((4 << 20) + 1, 'x')), 4 << 20);
  EXPECT_EQ(big.code(), Status::Code::kMessageIllegal);
  EXPECT_NE(big.message().find("4194304"), std::string::npos);
}

TEST(SdkMessageTest, RecordBecomesMessageExtWithInflatedBody) {
  protocol::MessageExt rec;
  rec.topic = "Topic1";
  rec.queue_id = 2;
  rec.queue_offset = 41;
  rec.commit_log_offset = 0;
  rec.sys_flag = protocol::MessageSysFlag::kCompressed;
  rec.reconsume_times = 1;
  rec.store_timestamp = 1700000000123;
  rec.born_timestamp = 1700000000000;
  rec.store_host = protocol::HostAddress::Parse("10.0.0.1:10911").value();
  rec.born_host = protocol::HostAddress::Parse("10.0.0.9:50000").value();
  std::string body(10000, 'z');
  rec.body = protocol::Deflate(body);
  rec.properties.Set("TAGS", "TagA");
  rec.properties.Set("KEYS", "k1");
  rec.properties.Set("UNIQ_KEY", "UNIQ");
  MessageExt m = ToMessageExt(std::move(rec));
  EXPECT_EQ(m.getBody(), body);
  EXPECT_EQ(m.getTopic(), "Topic1");
  EXPECT_EQ(m.getTags(), "TagA");
  EXPECT_EQ(m.getKeys(), "k1");
  EXPECT_EQ(m.getQueueId(), 2);
  EXPECT_EQ(m.getQueueOffset(), 41);
  EXPECT_EQ(m.getReconsumeTimes(), 1);
  EXPECT_EQ(m.getStoreTimestamp(), 1700000000123);
  EXPECT_EQ(m.getBornTimestamp(), 1700000000000);
  EXPECT_EQ(m.getStoreHost(), "10.0.0.1:10911");
  EXPECT_EQ(m.getOffsetMsgId(), "0A00000100002A9F0000000000000000");
  EXPECT_EQ(m.getMsgId(), "UNIQ");
}

TEST(SdkRequestsTest, SendMessageV2CarriesFieldsAToMAsStrings) {
  SendMessageHeader h;
  h.producer_group = "PG";
  h.topic = "Topic1";
  h.queue_id = 3;
  h.sys_flag = 1;
  h.born_timestamp = 1700000000000;
  h.flag = 9;
  h.properties = "TAGS\x01TagA";
  RemotingCommand cmd = BuildSendMessageV2Request(h, "body");
  EXPECT_EQ(cmd.code, 310);
  EXPECT_EQ(cmd.ext.Get("a"), "PG");
  EXPECT_EQ(cmd.ext.Get("b"), "Topic1");
  EXPECT_EQ(cmd.ext.Get("c"), "TBW102");
  EXPECT_EQ(cmd.ext.Get("d"), "4");
  EXPECT_EQ(cmd.ext.Get("e"), "3");
  EXPECT_EQ(cmd.ext.Get("f"), "1");
  EXPECT_EQ(cmd.ext.Get("g"), "1700000000000");
  EXPECT_EQ(cmd.ext.Get("h"), "9");
  EXPECT_EQ(cmd.ext.Get("i"), "TAGS\x01TagA");
  EXPECT_EQ(cmd.ext.Get("j"), "0");
  EXPECT_EQ(cmd.ext.Get("k"), "false");
  EXPECT_EQ(cmd.ext.Get("m"), "false");
  EXPECT_FALSE(cmd.ext.Has("l"));
  EXPECT_EQ(cmd.body, "body");
  EXPECT_EQ(cmd.flag, 0);
}

TEST(SdkRequestsTest, PullAndRouteRequests) {
  PullMessageHeader h;
  h.consumer_group = "G";
  h.topic = "T";
  h.queue_id = 1;
  h.queue_offset = 5;
  h.sys_flag = 0x7;
  h.commit_offset = 4;
  h.subscription = "TagA || TagB";
  h.sub_version = 123;
  RemotingCommand pull = BuildPullMessageRequest(h);
  EXPECT_EQ(pull.code, 11);
  EXPECT_EQ(pull.ext.Get("queueOffset"), "5");
  EXPECT_EQ(pull.ext.Get("maxMsgNums"), "32");
  EXPECT_EQ(pull.ext.Get("sysFlag"), "7");
  EXPECT_EQ(pull.ext.Get("commitOffset"), "4");
  EXPECT_EQ(pull.ext.Get("suspendTimeoutMillis"), "15000");
  EXPECT_EQ(pull.ext.Get("subscription"), "TagA || TagB");
  EXPECT_EQ(pull.ext.Get("subVersion"), "123");
  EXPECT_EQ(pull.ext.Get("expressionType"), "TAG");

  RemotingCommand route = BuildGetRouteInfoRequest("T");
  EXPECT_EQ(route.code, 105);
  EXPECT_EQ(route.ext.Get("acceptStandardJsonOnly"), "true");
  EXPECT_GE(route.version, 401);

  RemotingCommand back = BuildConsumerSendMsgBackRequest({77, "G", 0, "MID", "T", 16});
  EXPECT_EQ(back.code, 36);
  EXPECT_EQ(back.ext.Get("offset"), "77");
  EXPECT_EQ(back.ext.Get("delayLevel"), "0");
  EXPECT_EQ(back.ext.Get("maxReconsumeTimes"), "16");
}

TEST(SdkRequestsTest, ResponseHeadersParse) {
  RemotingCommand r;
  r.ext.Set("msgId", std::string("OFF"));
  r.ext.Set("queueId", std::string("2"));
  r.ext.Set("queueOffset", std::string("99"));
  auto send = ParseSendResponseHeader(r);
  ASSERT_TRUE(send.ok());
  EXPECT_EQ(send->queue_id, 2);
  EXPECT_EQ(send->queue_offset, 99);
  EXPECT_FALSE(ParseSendResponseHeader(RemotingCommand{}).ok());

  RemotingCommand p;
  p.ext.Set("nextBeginOffset", std::string("10"));
  p.ext.Set("minOffset", std::string("0"));
  p.ext.Set("maxOffset", std::string("12"));
  p.ext.Set("suggestWhichBrokerId", std::string("0"));
  auto pull = ParsePullResponseHeader(p);
  ASSERT_TRUE(pull.ok());
  EXPECT_EQ(pull->next_begin_offset, 10);
  EXPECT_EQ(pull->max_offset, 12);
}

TEST(SdkConfigTest, NamesrvListAndClientId) {
  EXPECT_EQ(ParseNamesrvAddr("a:9876;b:9876"), (std::vector<std::string>{"a:9876", "b:9876"}));
  EXPECT_EQ(ParseNamesrvAddr(" a:1 ; ;b:2;"), (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_TRUE(ParseNamesrvAddr("").empty());
  EXPECT_EQ(BuildClientId("10.0.0.5", "inst"), "10.0.0.5@inst");
  std::string pid_id = BuildClientId("10.0.0.5", "");
  EXPECT_EQ(pid_id, "10.0.0.5@" + std::to_string(::getpid()));
  EXPECT_EQ(BuildClientId("10.0.0.5", "DEFAULT"), pid_id);
  EXPECT_FALSE(LocalIpAddress().empty());
}

TEST(SdkConfigTest, ConsumeTimestampRoundTrips) {
  int64_t now = NowMillis() / 1000 * 1000;
  EXPECT_EQ(ParseConsumeTimestamp(FormatConsumeTimestamp(now)), now);
  EXPECT_EQ(ParseConsumeTimestamp("2023-01-01"), -1);
  EXPECT_EQ(ParseConsumeTimestamp("2023010112000x"), -1);
}

}  // namespace
}  // namespace sprocket::sdk
