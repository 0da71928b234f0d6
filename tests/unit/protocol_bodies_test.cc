// JSON bodies (PROTOCOL.md §3, §4): fastjson-style output and lenient input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "protocol/bodies_json.h"
#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/message.h"

namespace sprocket::protocol {
namespace {

TopicRouteData SampleRoute() {
  TopicRouteData route;
  BrokerData b;
  b.cluster = "DefaultCluster";
  b.broker_name = "broker-a";
  b.broker_addrs = {{1, "10.0.0.2:10911"}, {0, "10.0.0.1:10911"}};
  route.broker_datas.push_back(b);
  QueueData q;
  q.broker_name = "broker-a";
  q.read_queue_nums = 4;
  q.write_queue_nums = 4;
  q.perm = 6;
  route.queue_datas.push_back(q);
  return route;
}

TEST(ProtocolRouteBodyTest, LegacyFastjsonFormHasBareKeys) {
  EXPECT_EQ(EncodeTopicRouteData(SampleRoute(), /*standard_json=*/false),
            R"({"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a",)"
            R"("cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,)"
            R"("readQueueNums":4,"topicSynFlag":0,"topicSysFlag":0,"writeQueueNums":4}]})");
}

TEST(ProtocolRouteBodyTest, StandardFormQuotesAndSortsKeys) {
  TopicRouteData route = SampleRoute();
  route.broker_datas[0].broker_addrs[10] = "10.0.0.3:10911";
  route.broker_datas[0].broker_addrs[2] = "10.0.0.4:10911";
  route.order_topic_conf = "broker-a:4";
  route.filter_server_table["10.0.0.1:10911"] = {"f1", "f2"};
  route.queue_datas[0].topic_sys_flag = 3;
  std::string json = EncodeTopicRouteData(route, /*standard_json=*/true);
  EXPECT_EQ(json,
            R"({"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911","2":"10.0.0.4:10911",)"
            R"("10":"10.0.0.3:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],)"
            R"("filterServerTable":{"10.0.0.1:10911":["f1","f2"]},"orderTopicConf":"broker-a:4",)"
            R"("queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSynFlag":3,"topicSysFlag":3,)"
            R"("writeQueueNums":4}]})");
  // Strict parsers accept it.
  EXPECT_FALSE(nlohmann::json::parse(json, nullptr, false).is_discarded());

  auto back = DecodeTopicRouteData(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->broker_datas, route.broker_datas);
  EXPECT_EQ(back->queue_datas, route.queue_datas);
  EXPECT_EQ(back->order_topic_conf, route.order_topic_conf);
  EXPECT_EQ(back->filter_server_table, route.filter_server_table);
}

TEST(ProtocolRouteBodyTest, DecodesBareKeysFromTheProtocolExample) {
  auto r = DecodeTopicRouteData(
      R"({"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],
 "filterServerTable":{},
 "queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->broker_datas.size(), 1u);
  EXPECT_EQ(r->broker_datas[0].broker_addrs.at(0), "10.0.0.1:10911");
  EXPECT_EQ(r->broker_datas[0].broker_addrs.at(1), "10.0.0.2:10911");
  EXPECT_EQ(r->queue_datas, SampleRoute().queue_datas);
  EXPECT_FALSE(r->order_topic_conf.has_value());
  // And our own legacy output.
  auto own = DecodeTopicRouteData(EncodeTopicRouteData(SampleRoute(), false));
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->broker_datas, SampleRoute().broker_datas);
}

TEST(ProtocolRouteBodyTest, DecodesLeniently) {
  // 4.8-era topicSynFlag, numbers as strings, unknown keys, missing tables, whitespace
  // around a bare key, null orderTopicConf.
  auto r = DecodeTopicRouteData(
      R"({"orderTopicConf":null,"queueDatas":[{"brokerName":"b","perm":"6","readQueueNums":8.0,"writeQueueNums":"8",)"
      R"("topicSynFlag":2,"extra":{"x":[1]}}],"brokerDatas":[{"brokerAddrs":{ 0 :"a:1", "3":"b:2"},"brokerName":"b",)"
      R"("cluster":"c","enableActingMaster":false}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->queue_datas.size(), 1u);
  EXPECT_EQ(r->queue_datas[0].perm, 6);
  EXPECT_EQ(r->queue_datas[0].read_queue_nums, 8);
  EXPECT_EQ(r->queue_datas[0].write_queue_nums, 8);
  EXPECT_EQ(r->queue_datas[0].topic_sys_flag, 2);
  EXPECT_EQ(r->broker_datas[0].broker_addrs.at(0), "a:1");
  EXPECT_EQ(r->broker_datas[0].broker_addrs.at(3), "b:2");
  EXPECT_TRUE(r->filter_server_table.empty());

  auto empty = DecodeTopicRouteData("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->queue_datas.empty());
}

TEST(ProtocolRouteBodyTest, RejectsGarbage) {
  for (const char* bad : {"", "[]", "{", R"({"queueDatas":{}})", R"({"queueDatas":[{"perm":"six"}]})",
                          R"({"brokerDatas":[{"brokerAddrs":{"master":"a:1"}}]})",
                          R"({"brokerDatas":[{"brokerAddrs":[]}]})", R"({"queueDatas":[{"perm":1.5}]})",
                          R"({"queueDatas":[{"perm":99999999999}]})", "{0:1:2}"}) {
    auto r = DecodeTopicRouteData(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << bad;
    }
  }
  // Hostile nesting fails cleanly instead of overflowing the parser's stack.
  std::string deep = R"({"x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_FALSE(DecodeTopicRouteData(deep).ok());
}

TEST(ProtocolLenientJsonTest, QuotesBareKeysOutsideStrings) {
  auto q = [](std::string_view in) {
    auto r = detail::QuoteBareKeys(in);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.value() : std::string();
  };
  EXPECT_EQ(q(R"({0:"a",1:"b"})"), R"({"0":"a","1":"b"})");
  EXPECT_EQ(q(R"({ -1 : "x" , 22:"y"})"), R"({ "-1" : "x" , "22":"y"})");
  EXPECT_EQ(q(R"({"m":{0:{1:2}},"a":[1,2,{3:[4]}]})"), R"({"m":{"0":{"1":2}},"a":[1,2,{"3":[4]}]})");
  EXPECT_EQ(q(R"({brokerName:"b"})"), R"({"brokerName":"b"})");
  // String contents are never touched, escaped quotes included.
  EXPECT_EQ(q(R"({"k":"{0:1}","a\"{1:":2,"v":[",3:"]})"), R"({"k":"{0:1}","a\"{1:":2,"v":[",3:"]})");
  // Values stay as they are.
  EXPECT_EQ(q(R"({"a":1,"b":true,"c":null,"d":-2.5e3})"), R"({"a":1,"b":true,"c":null,"d":-2.5e3})");
  EXPECT_EQ(q("[1,2,3]"), "[1,2,3]");
  EXPECT_FALSE(detail::QuoteBareKeys(std::string(200, '[')).ok());
}

TEST(ProtocolLenientJsonTest, Coercions) {
  using nlohmann::json;
  std::string s;
  int64_t i = 0;
  bool b = false;
  EXPECT_TRUE(detail::CoerceString(json(5), &s));
  EXPECT_EQ(s, "5");
  EXPECT_TRUE(detail::CoerceString(json(true), &s));
  EXPECT_EQ(s, "true");
  EXPECT_FALSE(detail::CoerceString(json::array(), &s));
  EXPECT_TRUE(detail::CoerceInt(json("1700000000000"), &i));
  EXPECT_EQ(i, 1700000000000);
  EXPECT_TRUE(detail::CoerceInt(json(" -3 "), &i));
  EXPECT_EQ(i, -3);
  EXPECT_TRUE(detail::CoerceInt(json(4.0), &i));
  EXPECT_EQ(i, 4);
  EXPECT_FALSE(detail::CoerceInt(json("4x"), &i));
  EXPECT_FALSE(detail::CoerceInt(json(4.5), &i));
  EXPECT_FALSE(detail::CoerceInt(json(true), &i));
  EXPECT_TRUE(detail::CoerceBool(json("TRUE"), &b));
  EXPECT_TRUE(b);
  EXPECT_TRUE(detail::CoerceBool(json(0), &b));
  EXPECT_FALSE(b);
  EXPECT_FALSE(detail::CoerceBool(json("maybe"), &b));
}

TEST(ProtocolClusterInfoTest, EncodesAndDecodes) {
  ClusterInfo info;
  BrokerData b;
  b.cluster = "c1";
  b.broker_name = "broker-a";
  b.broker_addrs[0] = "ip:10911";
  info.broker_addr_table["broker-a"] = b;
  info.cluster_addr_table["c1"] = {"broker-a"};
  const std::string legacy =
      R"({"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"ip:10911"},"brokerName":"broker-a","cluster":"c1"}},)"
      R"("clusterAddrTable":{"c1":["broker-a"]}})";
  EXPECT_EQ(EncodeClusterInfo(info, false), legacy);
  std::string standard = EncodeClusterInfo(info, true);
  EXPECT_NE(standard.find(R"({"0":"ip:10911"})"), std::string::npos);
  for (const std::string& json : {legacy, standard}) {
    auto r = DecodeClusterInfo(json);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->broker_addr_table, info.broker_addr_table);
    EXPECT_EQ(r->cluster_addr_table, info.cluster_addr_table);
  }
  EXPECT_FALSE(DecodeClusterInfo(R"({"clusterAddrTable":{"c1":"broker-a"}})").ok());
}

TEST(ProtocolHeartbeatTest, ParsesJavaForm) {
  // PROTOCOL.md §3.4.
  auto r = DecodeHeartbeatData(R"({"clientID":"10.0.0.5@12345#987654321",
 "consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY",
   "groupName":"G1","messageModel":"CLUSTERING",
   "subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG",
      "subString":"TagA","subVersion":1700000000000,"tagsSet":["TagA"],"topic":"T1"},
     {"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1700000000000,
      "tagsSet":[],"topic":"%RETRY%G1"}],
   "unitMode":false}],
 "producerDataSet":[{"groupName":"P1"},{"groupName":"CLIENT_INNER_PRODUCER"}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->client_id, "10.0.0.5@12345#987654321");
  EXPECT_EQ(r->producer_groups, (std::vector<std::string>{"P1", "CLIENT_INNER_PRODUCER"}));
  ASSERT_EQ(r->consumer_data_set.size(), 1u);
  const ConsumerData& c = r->consumer_data_set[0];
  EXPECT_EQ(c.group_name, "G1");
  EXPECT_EQ(c.consume_type, ConsumeType::kPassively);
  EXPECT_EQ(c.message_model, MessageModel::kClustering);
  EXPECT_EQ(c.consume_from_where, ConsumeFromWhere::kLastOffset);
  EXPECT_FALSE(c.unit_mode);
  ASSERT_EQ(c.subscription_data_set.size(), 2u);
  const SubscriptionData& s = c.subscription_data_set[0];
  EXPECT_EQ(s.topic, "T1");
  EXPECT_EQ(s.sub_string, "TagA");
  EXPECT_EQ(s.tags_set, std::vector<std::string>{"TagA"});
  EXPECT_EQ(s.code_set, std::vector<int32_t>{2598919});
  EXPECT_EQ(s.sub_version, 1700000000000);
  EXPECT_EQ(s.expression_type, "TAG");
  EXPECT_EQ(c.subscription_data_set[1].topic, "%RETRY%G1");
  EXPECT_TRUE(c.subscription_data_set[1].tags_set.empty());
}

TEST(ProtocolHeartbeatTest, ParsesAliOnsForm) {
  // ali-ons: no expressionType for tag subscriptions; an SQL92 one carries it.
  auto r = DecodeHeartbeatData(
      R"({"clientID":"192.0.2.2@golden-c","consumerDataSet":[{"groupName":"GoldenConsumerGroup","consumeType":"CONSUME_PASSIVELY",)"
      R"("messageModel":"BROADCASTING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"topic":"GoldenTopic",)"
      R"("subString":"TagA || TagB","classFilterMode":false,"tagsSet":["TagA","TagB"],"codeSet":[2598919,2598920],)"
      R"("subVersion":1795584195527},{"topic":"S","subString":"a > 5","classFilterMode":false,"tagsSet":[],"codeSet":[],)"
      R"("subVersion":1,"expressionType":"SQL92"}],"unitMode":false}],"producerDataSet":[]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ConsumerData& c = r->consumer_data_set.at(0);
  EXPECT_EQ(c.message_model, MessageModel::kBroadcasting);
  EXPECT_EQ(c.consume_from_where, ConsumeFromWhere::kFirstOffset);
  EXPECT_EQ(c.subscription_data_set.at(0).expression_type, "TAG");
  EXPECT_EQ(c.subscription_data_set.at(0).code_set, (std::vector<int32_t>{2598919, 2598920}));
  EXPECT_EQ(c.subscription_data_set.at(1).expression_type, "SQL92");
  EXPECT_TRUE(r->producer_groups.empty());
}

TEST(ProtocolHeartbeatTest, ParsesCppForm) {
  // rocketmq-client-cpp: Json::StyledWriter, enum ordinals, subVersion as a string, no
  // classFilterMode / expressionType / unitMode.
  auto r = DecodeHeartbeatData(R"({
   "clientID" : "192.168.1.5@12345",
   "consumerDataSet" : [
      {
         "consumeFromWhere" : 4,
         "consumeType" : 1,
         "groupName" : "GID_cpp",
         "messageModel" : 1,
         "subscriptionDataSet" : [
            {
               "codeSet" : [ 2598919 ],
               "subString" : "TagA",
               "subVersion" : "1700000000000",
               "tagsSet" : [ "TagA" ],
               "topic" : "T1"
            }
         ]
      },
      {
         "consumeFromWhere" : "5",
         "consumeType" : "PULL",
         "groupName" : "GID_pull",
         "messageModel" : 0,
         "subscriptionDataSet" : []
      }
   ],
   "producerDataSet" : [
      {
         "groupName" : "PID_cpp"
      }
   ]
}
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ConsumerData& c = r->consumer_data_set.at(0);
  EXPECT_EQ(c.consume_from_where, ConsumeFromWhere::kFirstOffset);
  EXPECT_EQ(c.consume_type, ConsumeType::kPassively);
  EXPECT_EQ(c.message_model, MessageModel::kClustering);
  EXPECT_FALSE(c.unit_mode);
  const SubscriptionData& s = c.subscription_data_set.at(0);
  EXPECT_EQ(s.sub_version, 1700000000000);
  EXPECT_EQ(s.expression_type, "TAG");
  EXPECT_FALSE(s.class_filter_mode);
  const ConsumerData& p = r->consumer_data_set.at(1);
  EXPECT_EQ(p.consume_type, ConsumeType::kActively);
  EXPECT_EQ(p.consume_from_where, ConsumeFromWhere::kTimestamp);
  EXPECT_EQ(p.message_model, MessageModel::kBroadcasting);
  EXPECT_EQ(r->producer_groups, std::vector<std::string>{"PID_cpp"});
}

TEST(ProtocolHeartbeatTest, RejectsUnknownEnumValues) {
  for (const char* bad : {R"({"consumerDataSet":[{"consumeType":"CONSUME_SOMETIMES"}]})",
                          R"({"consumerDataSet":[{"messageModel":2}]})",
                          R"({"consumerDataSet":[{"consumeFromWhere":-1}]})",
                          R"({"consumerDataSet":[{"subscriptionDataSet":[{"subVersion":"soon"}]}]})",
                          R"({"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":["x"]}]}]})",
                          R"({"consumerDataSet":{}})", R"({"producerDataSet":[1]})"}) {
    auto r = DecodeHeartbeatData(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(ProtocolHeartbeatTest, EncodesFastjsonOrderAndRoundTrips) {
  HeartbeatData hb;
  hb.client_id = "10.0.0.5@1";
  hb.producer_groups = {"P1"};
  ConsumerData c;
  c.group_name = "G1";
  c.subscription_data_set.push_back(BuildTagSubscription("T1", "TagA", 1700000000000));
  hb.consumer_data_set.push_back(c);
  const std::string json = EncodeHeartbeatData(hb);
  EXPECT_EQ(json,
            R"({"clientID":"10.0.0.5@1","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",)"
            R"("consumeType":"CONSUME_PASSIVELY","groupName":"G1","messageModel":"CLUSTERING","subscriptionDataSet":[)"
            R"({"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA",)"
            R"("subVersion":1700000000000,"tagsSet":["TagA"],"topic":"T1"}],"unitMode":false}],)"
            R"("producerDataSet":[{"groupName":"P1"}]})");
  auto back = DecodeHeartbeatData(json);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(EncodeHeartbeatData(*back), json);
}

TEST(ProtocolHeartbeatTest, EnumNames) {
  EXPECT_STREQ(ConsumeTypeName(ConsumeType::kActively), "CONSUME_ACTIVELY");
  EXPECT_STREQ(ConsumeTypeName(ConsumeType::kPassively), "CONSUME_PASSIVELY");
  EXPECT_STREQ(MessageModelName(MessageModel::kBroadcasting), "BROADCASTING");
  EXPECT_STREQ(ConsumeFromWhereName(ConsumeFromWhere::kTimestamp), "CONSUME_FROM_TIMESTAMP");
  EXPECT_STREQ(ConsumeFromWhereName(ConsumeFromWhere::kLastOffsetAndFromMinWhenBootFirst),
               "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST");
}

TEST(ProtocolTagSubscriptionTest, FollowsFilterApi) {
  for (std::string_view all : {"*", ""}) {
    SubscriptionData s = BuildTagSubscription("T", all, 5);
    EXPECT_EQ(s.sub_string, "*");
    EXPECT_TRUE(s.tags_set.empty());
    EXPECT_TRUE(s.code_set.empty());
    EXPECT_EQ(s.sub_version, 5);
    EXPECT_EQ(s.topic, "T");
    EXPECT_EQ(s.expression_type, "TAG");
  }
  SubscriptionData ab = BuildTagSubscription("T", "TagA || TagB", 1);
  EXPECT_EQ(ab.sub_string, "TagA || TagB");
  EXPECT_EQ(ab.tags_set, (std::vector<std::string>{"TagA", "TagB"}));
  EXPECT_EQ(ab.code_set, (std::vector<int32_t>{2598919, 2598920}));

  SubscriptionData messy = BuildTagSubscription("T", " TagA ||  || TagA||TagC ||", 1);
  EXPECT_EQ(messy.tags_set, (std::vector<std::string>{"TagA", "TagC"}));
  EXPECT_EQ(messy.code_set.size(), 2u);
  // Java's split on "||" leaves the third '|' with the next tag.
  EXPECT_EQ(BuildTagSubscription("T", "A|||B", 1).tags_set, (std::vector<std::string>{"A", "|B"}));
  EXPECT_EQ(BuildTagSubscription("T", "A|B", 1).tags_set, std::vector<std::string>{"A|B"});
}

RegisterBrokerBody SampleRegisterBody() {
  RegisterBrokerBody body;
  body.data_version = {1700000000000, 5};
  TopicConfig t1;
  t1.topic_name = "T1";
  t1.read_queue_nums = t1.write_queue_nums = 8;
  body.topic_config_table["T1"] = t1;
  TopicConfig t2;
  t2.topic_name = "TBW102";
  t2.perm = 7;
  t2.topic_filter_type = "MULTI_TAG";
  t2.topic_sys_flag = 1;
  t2.order = true;
  body.topic_config_table["TBW102"] = t2;
  return body;
}

TEST(ProtocolRegisterBrokerBodyTest, JsonRoundTrip) {
  RegisterBrokerBody body = SampleRegisterBody();
  body.filter_server_list = {"10.0.0.9:30000"};
  std::string json = EncodeRegisterBrokerBody(body);
  EXPECT_TRUE(json.starts_with(
      R"({"filterServerList":["10.0.0.9:30000"],"topicConfigSerializeWrapper":{"dataVersion":{"counter":5,)"))
      << json;
  auto back = DecodeRegisterBrokerBody(json, false);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->data_version, body.data_version);
  EXPECT_EQ(back->topic_config_table, body.topic_config_table);
  EXPECT_EQ(back->filter_server_list, body.filter_server_list);
}

TEST(ProtocolRegisterBrokerBodyTest, DecodesTheProtocolExample) {
  auto r = DecodeRegisterBrokerBody(
      R"({"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":5,"timestamp":1700000000000},)"
      R"("topicConfigTable":{"T1":{"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"T1",)"
      R"("topicSysFlag":0,"writeQueueNums":8}}}})",
      false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data_version, (DataVersion{1700000000000, 5}));
  EXPECT_EQ(r->topic_config_table.at("T1"), SampleRegisterBody().topic_config_table.at("T1"));
}

// RegisterBrokerBody.encode(compress=true): zlib of int32-length-prefixed pieces.
std::string CompressedBody(const std::vector<std::string>& topic_lines, std::string data_version,
                           std::string filter_list, int32_t count_override = -1) {
  std::string raw;
  auto put32 = [&](uint32_t v) {
    for (int i = 3; i >= 0; --i) raw.push_back(static_cast<char>(v >> (8 * i)));
  };
  put32(static_cast<uint32_t>(data_version.size()));
  raw += data_version;
  put32(static_cast<uint32_t>(count_override >= 0 ? count_override : static_cast<int32_t>(topic_lines.size())));
  for (const auto& line : topic_lines) {
    put32(static_cast<uint32_t>(line.size()));
    raw += line;
  }
  put32(static_cast<uint32_t>(filter_list.size()));
  raw += filter_list;
  return Deflate(raw, 9);
}

TEST(ProtocolRegisterBrokerBodyTest, DecodesCompressedForm) {
  std::string body = CompressedBody({"T1 8 8 6 SINGLE_TAG", "TBW102 16 16 7 MULTI_TAG", "T5x 1 2 4 SINGLE_TAG {\"a\":\"b\"}"},
                                    R"({"counter":5,"timestamp":1700000000000})", R"(["f:1"])");
  auto r = DecodeRegisterBrokerBody(body, /*compressed=*/true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data_version, (DataVersion{1700000000000, 5}));
  ASSERT_EQ(r->topic_config_table.size(), 3u);
  EXPECT_EQ(r->topic_config_table.at("T1"), SampleRegisterBody().topic_config_table.at("T1"));
  const TopicConfig& d = r->topic_config_table.at("TBW102");
  EXPECT_EQ(d.read_queue_nums, 16);
  EXPECT_EQ(d.perm, 7);
  EXPECT_EQ(d.topic_filter_type, "MULTI_TAG");
  EXPECT_EQ(r->topic_config_table.at("T5x").write_queue_nums, 2);
  EXPECT_EQ(r->filter_server_list, std::vector<std::string>{"f:1"});
}

TEST(ProtocolRegisterBrokerBodyTest, RejectsBadCompressedForms) {
  const std::string dv = R"({"counter":1,"timestamp":2})";
  EXPECT_FALSE(DecodeRegisterBrokerBody("not zlib", true).ok());
  EXPECT_FALSE(DecodeRegisterBrokerBody(Deflate("\x00\x00", 9), true).ok());
  EXPECT_FALSE(DecodeRegisterBrokerBody(CompressedBody({"T1 8 8"}, dv, "[]"), true).ok());
  EXPECT_FALSE(DecodeRegisterBrokerBody(CompressedBody({"T1 x 8 6 SINGLE_TAG"}, dv, "[]"), true).ok());
  EXPECT_FALSE(DecodeRegisterBrokerBody(CompressedBody({"T1 8 8 6 NO_TAG"}, dv, "[]"), true).ok());
  EXPECT_FALSE(DecodeRegisterBrokerBody(CompressedBody({}, dv, "[]", 1000000), true).ok());
  EXPECT_FALSE(DecodeRegisterBrokerBody(CompressedBody({}, "{bad", "[]"), true).ok());
  EXPECT_FALSE(DecodeRegisterBrokerBody(CompressedBody({}, dv, "{}"), true).ok());
  std::string truncated = CompressedBody({"T1 8 8 6 SINGLE_TAG"}, dv, "[]");
  auto raw = Inflate(truncated);
  ASSERT_TRUE(raw.ok());
  EXPECT_FALSE(DecodeRegisterBrokerBody(Deflate(raw->substr(0, raw->size() - 3)), true).ok());
}

TEST(ProtocolTopicConfigWrapperTest, RoundTripAndExactForm) {
  RegisterBrokerBody body = SampleRegisterBody();
  std::string json = EncodeTopicConfigWrapper(body.topic_config_table, body.data_version);
  EXPECT_EQ(json,
            R"({"dataVersion":{"counter":5,"timestamp":1700000000000},"topicConfigTable":{"T1":{"order":false,"perm":6,)"
            R"("readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"T1","topicSysFlag":0,"writeQueueNums":8},)"
            R"("TBW102":{"order":true,"perm":7,"readQueueNums":16,"topicFilterType":"MULTI_TAG","topicName":"TBW102",)"
            R"("topicSysFlag":1,"writeQueueNums":16}}})");
  auto back = DecodeTopicConfigWrapper(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->first, body.topic_config_table);
  EXPECT_EQ(back->second, body.data_version);
  // Missing fields take TopicConfig's defaults; the table key names the topic; filter type
  // by ordinal.
  auto sparse = DecodeTopicConfigWrapper(R"({"topicConfigTable":{"X":{"perm":"2","topicFilterType":1,"order":"true"}}})");
  ASSERT_TRUE(sparse.ok()) << sparse.status().ToString();
  const TopicConfig& x = sparse->first.at("X");
  EXPECT_EQ(x.topic_name, "X");
  EXPECT_EQ(x.read_queue_nums, 16);
  EXPECT_EQ(x.perm, 2);
  EXPECT_EQ(x.topic_filter_type, "MULTI_TAG");
  EXPECT_TRUE(x.order);
}

TEST(ProtocolSmallBodiesTest, ConsumerIdsTopicListsAndKvTables) {
  EXPECT_EQ(EncodeConsumerIdList({"c1", "c2"}), R"({"consumerIdList":["c1","c2"]})");
  auto ids = DecodeConsumerIdList(R"({"consumerIdList":["c1","c2"]})");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<std::string>{"c1", "c2"}));
  EXPECT_FALSE(DecodeConsumerIdList(R"({"consumerIdList":[{}]})").ok());

  EXPECT_EQ(EncodeTopicList({"T2", "T1"}), R"({"topicList":["T1","T2"]})");
  auto topics = DecodeTopicList(R"({"brokerAddr":null,"topicList":["T1","T2",3]})");
  ASSERT_TRUE(topics.ok());
  EXPECT_EQ(*topics, (std::set<std::string>{"T1", "T2", "3"}));

  EXPECT_EQ(EncodeKvTable({{"b", "2"}, {"a", "x\"y"}}), R"({"table":{"a":"x\"y","b":"2"}})");
  auto kv = DecodeKvTable(R"({"table":{"a":"1","n":2,"z":null}})");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(*kv, (std::map<std::string, std::string>{{"a", "1"}, {"n", "2"}}));
  EXPECT_FALSE(DecodeKvTable(R"({"table":[]})").ok());
}

}  // namespace
}  // namespace sprocket::protocol
