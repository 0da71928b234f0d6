// Admin bodies (bodies_admin.h): fastjson's MessageQueue-keyed maps, ConsumerConnection,
// GroupList, MQVersion names.
#include <gtest/gtest.h>

#include "sprocket/protocol/bodies_admin.h"

namespace sprocket::protocol {
namespace {

TEST(BodiesAdminTest, TopicStatsTableHasFastjsonShapeAndRoundTrips) {
  TopicStatsTable t;
  t.offset_table[{"test", "rocketmq-broker-a", 2}] = {0, 5, 1700000000123};
  t.offset_table[{"test", "rocketmq-broker-a", 0}] = {1, 3, 0};
  std::string json = EncodeTopicStatsTable(t);
  EXPECT_EQ(json,
            "{\"offsetTable\":{"
            "{\"brokerName\":\"rocketmq-broker-a\",\"queueId\":0,\"topic\":\"test\"}:"
            "{\"lastUpdateTimestamp\":0,\"maxOffset\":3,\"minOffset\":1},"
            "{\"brokerName\":\"rocketmq-broker-a\",\"queueId\":2,\"topic\":\"test\"}:"
            "{\"lastUpdateTimestamp\":1700000000123,\"maxOffset\":5,\"minOffset\":0}}}");
  auto back = DecodeTopicStatsTable(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->offset_table, t.offset_table);
}

TEST(BodiesAdminTest, DecodesTheBodyAJavaBrokerSends) {
  // From apache/rocketmq issue #3389 (a 4.9 broker's GET_TOPIC_STATS_INFO answer), cut to two
  // queues, with whitespace a pretty printer would add.
  std::string body =
      "{\"offsetTable\":{{\"brokerName\":\"rocketmq-broker-a\",\"queueId\":2,\"topic\":\"test\"}:"
      "{\"lastUpdateTimestamp\":0,\"maxOffset\":0,\"minOffset\":0},\n  {\"brokerName\":\"rocketmq-broker-a\","
      "\"queueId\":3,\"topic\":\"test\"} : {\"lastUpdateTimestamp\":1633,\"maxOffset\":7,\"minOffset\":2}}}";
  auto t = DecodeTopicStatsTable(body);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->offset_table.size(), 2u);
  TopicOffset q3 = t->offset_table.at({"test", "rocketmq-broker-a", 3});
  EXPECT_EQ(q3.min_offset, 2);
  EXPECT_EQ(q3.max_offset, 7);
  EXPECT_EQ(q3.last_update_timestamp, 1633);
}

TEST(BodiesAdminTest, AcceptsQueueKeysGivenAsStrings) {
  std::string body =
      "{\"offsetTable\":{\"{\\\"brokerName\\\":\\\"b\\\",\\\"queueId\\\":1,\\\"topic\\\":\\\"T\\\"}\":"
      "{\"maxOffset\":4}}}";
  auto t = DecodeTopicStatsTable(body);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->offset_table.at({"T", "b", 1}).max_offset, 4);
}

TEST(BodiesAdminTest, ConsumeStatsRoundTripsWithOptionalClientAddr) {
  ConsumeStats s;
  s.consume_tps = 12.5;
  s.offset_table[{"T", "b", 0}] = {10, 7, 1700000000000, "127.0.0.1:5555"};
  s.offset_table[{"%RETRY%G", "b", 0}] = {0, 0, 0, ""};
  std::string json = EncodeConsumeStats(s);
  EXPECT_EQ(json.rfind("{\"consumeTps\":12.5,\"offsetTable\":{", 0), 0u) << json;
  EXPECT_NE(json.find("{\"brokerOffset\":10,\"clientAddr\":\"127.0.0.1:5555\",\"consumerOffset\":7,"
                      "\"lastTimestamp\":1700000000000}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"brokerOffset\":0,\"consumerOffset\":0,\"lastTimestamp\":0}"), std::string::npos)
      << json;
  auto back = DecodeConsumeStats(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->offset_table, s.offset_table);
  EXPECT_DOUBLE_EQ(back->consume_tps, 12.5);

  EXPECT_EQ(EncodeConsumeStats(ConsumeStats{}), "{\"consumeTps\":0.0,\"offsetTable\":{}}");
  auto java = DecodeConsumeStats("{\"consumeTps\":0.0,\"offsetTable\":{}}");
  ASSERT_TRUE(java.ok());
  EXPECT_TRUE(java->offset_table.empty());
}

TEST(BodiesAdminTest, RejectsMalformedBodies) {
  for (const char* bad : {"", "[]", "{\"offsetTable\":{{\"queueId\":1}:}}",
                          "{\"offsetTable\":{{\"queueId\":1}", "{\"offsetTable\":{{\"queueId\":\"x\"}:{}}}",
                          "{\"offsetTable\":{1:{}}}", "{\"offsetTable\":[1,2]}"}) {
    EXPECT_FALSE(DecodeTopicStatsTable(bad).ok()) << bad;
    EXPECT_FALSE(DecodeConsumeStats(bad).ok()) << bad;
  }
  EXPECT_FALSE(DecodeTopicStatsTable("{\"offsetTable\":{{\"queueId\":1}:{\"maxOffset\":\"no\"}}}").ok());
  EXPECT_FALSE(DecodeConsumeStats("{\"offsetTable\":{{\"queueId\":1}:{\"brokerOffset\":\"no\"}}}").ok());
  std::string deep(5000, '{');
  EXPECT_FALSE(DecodeTopicStatsTable("{\"offsetTable\":" + deep).ok());
  EXPECT_FALSE(DecodeConsumeStats("{\"consumeTps\":\"fast\",\"offsetTable\":{}}").ok());
}

TEST(BodiesAdminTest, ConsumerConnectionRoundTripsAndReadsOrdinals) {
  ConsumerConnection cc;
  cc.connection_set.push_back({"10.0.0.5@123", "10.0.0.5:40000", "JAVA", 409});
  cc.connection_set.push_back({"10.0.0.6@7", "10.0.0.6:40001", "CPP", 333});
  cc.consume_type = ConsumeType::kPassively;
  cc.message_model = MessageModel::kClustering;
  cc.consume_from_where = ConsumeFromWhere::kFirstOffset;
  cc.subscription_table["T"] = BuildTagSubscription("T", "TagA || TagB", 1700000000000);
  std::string json = EncodeConsumerConnection(cc);
  EXPECT_NE(
      json.find("\"consumeFromWhere\":\"CONSUME_FROM_FIRST_OFFSET\",\"consumeType\":\"CONSUME_PASSIVELY\","
                "\"messageModel\":\"CLUSTERING\""),
      std::string::npos)
      << json;
  auto back = DecodeConsumerConnection(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->connection_set, cc.connection_set);
  EXPECT_EQ(back->consume_type, cc.consume_type);
  EXPECT_EQ(back->message_model, cc.message_model);
  EXPECT_EQ(back->consume_from_where, cc.consume_from_where);
  ASSERT_EQ(back->subscription_table.count("T"), 1u);
  EXPECT_EQ(back->subscription_table["T"].sub_string, "TagA || TagB");
  EXPECT_EQ(back->subscription_table["T"].tags_set, (std::vector<std::string>{"TagA", "TagB"}));

  auto ordinals = DecodeConsumerConnection(
      "{\"connectionSet\":[{\"clientId\":\"c\",\"clientAddr\":\"a:1\",\"language\":1,\"version\":\"409\"}],"
      "\"consumeType\":1,\"messageModel\":0,\"consumeFromWhere\":4,\"subscriptionTable\":{}}");
  ASSERT_TRUE(ordinals.ok()) << ordinals.status().ToString();
  EXPECT_EQ(ordinals->connection_set[0].language, "CPP");
  EXPECT_EQ(ordinals->connection_set[0].version, 409);
  EXPECT_EQ(ordinals->message_model, MessageModel::kBroadcasting);
  EXPECT_EQ(ordinals->consume_from_where, ConsumeFromWhere::kFirstOffset);

  EXPECT_FALSE(DecodeConsumerConnection("{\"connectionSet\":{}}").ok());
  EXPECT_FALSE(DecodeConsumerConnection("{\"consumeType\":\"SOMETIMES\"}").ok());
}

TEST(BodiesAdminTest, GroupList) {
  std::string json = EncodeGroupList({"g2", "g1"});
  EXPECT_EQ(json, "{\"groupList\":[\"g1\",\"g2\"]}");
  auto back = DecodeGroupList(json);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, (std::set<std::string>{"g1", "g2"}));
  EXPECT_FALSE(DecodeGroupList("{\"groupList\":[{}]}").ok());
}

TEST(BodiesAdminTest, MQVersionNamesFollowTheJavaEnum) {
  EXPECT_EQ(MQVersionName(0), "V3_0_0_SNAPSHOT");
  EXPECT_EQ(MQVersionName(15), "V3_0_0_FINAL");
  EXPECT_EQ(MQVersionName(37), "V3_0_11");  // PROTOCOL.md §1.5
  EXPECT_EQ(MQVersionName(121), "V3_4_9");  // what ali-ons sends
  EXPECT_EQ(MQVersionName(212), "V4_0_0_SNAPSHOT");
  EXPECT_EQ(MQVersionName(232), "V4_1_0_SNAPSHOT");
  EXPECT_EQ(MQVersionName(333), "V4_6_0");  // rocketmq-client-cpp
  EXPECT_EQ(MQVersionName(401), "V4_9_4");
  EXPECT_EQ(MQVersionName(409), "V4_9_8");
  EXPECT_EQ(MQVersionName(412), "V5_0_0_SNAPSHOT");
  EXPECT_EQ(MQVersionName(611), "V5_9_9");
  EXPECT_EQ(MQVersionName(612), "HIGHER_VERSION");
  EXPECT_EQ(MQVersionName(100000), "HIGHER_VERSION");
}

}  // namespace
}  // namespace sprocket::protocol
