// Golden request frames captured from ali-ons 3.12.0 (tests/compat/node/capture_golden.js,
// files in tests/compat/golden/). Each file is one whole frame, length prefix included,
// as hex. Node is not needed here: the captures are committed.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <string>

#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"
#include "sprocket/protocol/remoting_command.h"

namespace sprocket::protocol {
namespace {

std::string ReadGoldenFrame(const std::string& name) {
  std::ifstream in(std::string(SPROCKET_SOURCE_DIR) + "/tests/compat/golden/" + name + ".hex");
  EXPECT_TRUE(in.good()) << "missing golden file " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string hex;
  for (char c : ss.str()) {
    if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(c);
  }
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

// Checks the length prefix and decodes the rest as a transport would hand it over.
RemotingCommand DecodeGolden(const std::string& name) {
  std::string frame = ReadGoldenFrame(name);
  EXPECT_GE(frame.size(), 8u) << name;
  if (frame.size() < 8) return {};
  const auto* u = reinterpret_cast<const unsigned char*>(frame.data());
  const uint32_t length = (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
  EXPECT_EQ(length, frame.size() - 4) << name;
  EXPECT_EQ(u[4], 0) << name << ": ali-ons always sends JSON headers";
  auto r = DecodeFrame(std::string_view(frame).substr(4));
  EXPECT_TRUE(r.ok()) << name << ": " << r.status().ToString();
  return r.ok() ? std::move(r).value() : RemotingCommand();
}

bool IsDecimal(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

void ExpectAliOnsRequest(const RemotingCommand& cmd, int32_t code) {
  EXPECT_EQ(cmd.code, code);
  EXPECT_EQ(cmd.language, LanguageCode::kJava);
  EXPECT_EQ(cmd.version, 121);
  EXPECT_EQ(cmd.flag, 0);
  EXPECT_GT(cmd.opaque, 0);  // ali-ons counts from 1
  EXPECT_FALSE(cmd.remark.has_value());
  EXPECT_EQ(cmd.serialize_type, SerializeType::kJson);
}

// Re-encoding what we decoded must give a frame we decode to the same fields.
void ExpectReencodes(const RemotingCommand& cmd) {
  std::string frame = EncodeFrame(cmd);
  auto again = DecodeFrame(std::string_view(frame).substr(4));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->code, cmd.code);
  EXPECT_EQ(again->ext.items(), cmd.ext.items());
  EXPECT_EQ(again->body, cmd.body);
}

TEST(ProtocolAliOnsGoldenTest, GetRouteInfoByTopic) {
  RemotingCommand cmd = DecodeGolden("get_routeinfo_by_topic");
  ExpectAliOnsRequest(cmd, RequestCode::kGetRouteinfoByTopic);
  EXPECT_EQ(cmd.ext.Get("topic"), "GoldenTopic");
  EXPECT_EQ(cmd.ext.size(), 1u);
  EXPECT_TRUE(cmd.body.empty());
  ExpectReencodes(cmd);
}

TEST(ProtocolAliOnsGoldenTest, HeartBeat) {
  RemotingCommand cmd = DecodeGolden("heart_beat");
  ExpectAliOnsRequest(cmd, RequestCode::kHeartBeat);
  EXPECT_TRUE(cmd.ext.empty());  // sent as "extFields":{}
  auto hb = DecodeHeartbeatData(cmd.body);
  ASSERT_TRUE(hb.ok()) << hb.status().ToString();
  EXPECT_TRUE(hb->client_id.ends_with("@golden-c")) << hb->client_id;
  EXPECT_TRUE(hb->producer_groups.empty());
  ASSERT_EQ(hb->consumer_data_set.size(), 1u);
  const ConsumerData& c = hb->consumer_data_set[0];
  EXPECT_EQ(c.group_name, "GoldenConsumerGroup");
  EXPECT_EQ(c.consume_type, ConsumeType::kPassively);
  EXPECT_EQ(c.message_model, MessageModel::kClustering);
  EXPECT_EQ(c.consume_from_where, ConsumeFromWhere::kLastOffset);
  ASSERT_FALSE(c.subscription_data_set.empty());
  const SubscriptionData& s = c.subscription_data_set[0];
  EXPECT_EQ(s.topic, "GoldenTopic");
  EXPECT_EQ(s.sub_string, "TagA || TagB");
  EXPECT_EQ(s.expression_type, "TAG");  // absent on the wire
  EXPECT_GT(s.sub_version, 0);
  SubscriptionData ours = BuildTagSubscription("GoldenTopic", "TagA || TagB", s.sub_version);
  EXPECT_EQ(s.tags_set, ours.tags_set);
  EXPECT_EQ(s.code_set, ours.code_set);  // ali-ons' hash == our JavaStringHash
  ExpectReencodes(cmd);
}

TEST(ProtocolAliOnsGoldenTest, SendMessageV2) {
  RemotingCommand cmd = DecodeGolden("send_message_v2");
  ExpectAliOnsRequest(cmd, RequestCode::kSendMessageV2);
  const ExtFields& e = cmd.ext;
  EXPECT_EQ(e.Get("a"), "GoldenProducerGroup");
  EXPECT_EQ(e.Get("b"), "GoldenTopic");
  EXPECT_EQ(e.Get("c"), "TBW102");
  EXPECT_EQ(e.Get("d"), "4");  // JSON numbers coerced to their text
  EXPECT_EQ(e.Get("e"), "0");
  EXPECT_EQ(e.Get("f"), "0");
  EXPECT_TRUE(IsDecimal(e.Get("g"))) << e.Get("g");
  EXPECT_EQ(e.Get("g").size(), 13u);  // ms timestamp
  EXPECT_EQ(e.Get("h"), "0");
  EXPECT_EQ(e.Get("j"), "0");
  EXPECT_EQ(e.Get("k"), "false");  // JSON boolean coerced
  EXPECT_FALSE(e.Has("l"));        // only sent for %RETRY% topics
  EXPECT_FALSE(e.Has("m"));
  EXPECT_EQ(e.GetInt("e"), 0);
  EXPECT_EQ(e.GetBool("k"), false);
  // Properties arrive \u-escaped in JSON and with ali-ons' trailing \x02.
  std::string_view props = e.Get("i");
  EXPECT_EQ(props, "TAGS\x01TagA\x02KEYS\x01key1 key2\x02");
  MessageProperties p = MessageProperties::Decode(props);
  EXPECT_EQ(p.Get(Prop::kTags), "TagA");
  EXPECT_EQ(p.Get(Prop::kKeys), "key1 key2");
  EXPECT_EQ(p.items().size(), 2u);
  EXPECT_EQ(cmd.body, "Hello golden frame");
  ExpectReencodes(cmd);
}

TEST(ProtocolAliOnsGoldenTest, PullMessage) {
  RemotingCommand cmd = DecodeGolden("pull_message");
  ExpectAliOnsRequest(cmd, RequestCode::kPullMessage);
  const ExtFields& e = cmd.ext;
  EXPECT_EQ(e.Get("consumerGroup"), "GoldenConsumerGroup");
  EXPECT_EQ(e.Get("topic"), "GoldenTopic");
  EXPECT_EQ(e.Get("queueId"), "0");
  EXPECT_EQ(e.Get("queueOffset"), "0");
  EXPECT_EQ(e.Get("maxMsgNums"), "32");
  EXPECT_EQ(e.GetInt("sysFlag"), PullSysFlag::kSuspend | PullSysFlag::kSubscription);
  EXPECT_EQ(e.Get("commitOffset"), "0");
  EXPECT_EQ(e.Get("suspendTimeoutMillis"), "15000");
  EXPECT_EQ(e.Get("subscription"), "TagA || TagB");
  EXPECT_TRUE(IsDecimal(e.Get("subVersion"))) << e.Get("subVersion");
  EXPECT_FALSE(e.Has("expressionType"));  // TAG subscriptions omit it
  EXPECT_TRUE(cmd.body.empty());
  ExpectReencodes(cmd);
}

TEST(ProtocolAliOnsGoldenTest, ConsumerListAndOffsetQueries) {
  RemotingCommand list = DecodeGolden("get_consumer_list_by_group");
  ExpectAliOnsRequest(list, RequestCode::kGetConsumerListByGroup);
  EXPECT_EQ(list.ext.Get("consumerGroup"), "GoldenConsumerGroup");

  RemotingCommand offset = DecodeGolden("query_consumer_offset");
  ExpectAliOnsRequest(offset, RequestCode::kQueryConsumerOffset);
  EXPECT_EQ(offset.ext.Get("topic"), "GoldenTopic");
  EXPECT_EQ(offset.ext.Get("consumerGroup"), "GoldenConsumerGroup");
  EXPECT_EQ(offset.ext.Get("queueId"), "0");
}

TEST(ProtocolAliOnsGoldenTest, OpaquesFollowTheSendOrder) {
  // One process-wide counter from 1: route, send, ..., pull.
  EXPECT_LT(DecodeGolden("get_routeinfo_by_topic").opaque, DecodeGolden("send_message_v2").opaque);
  EXPECT_LT(DecodeGolden("send_message_v2").opaque, DecodeGolden("pull_message").opaque);
}

}  // namespace
}  // namespace sprocket::protocol
