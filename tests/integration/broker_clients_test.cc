// Requests shaped like the other RocketMQ clients', beyond ali-ons' (PROTOCOL.md §1.3,
// §3.1, §3.4): rocketmq-client-cpp's SEND_MESSAGE (10) with long field names and JSON
// numbers inside extFields, its heartbeat with enum ordinals and a string subVersion, and a
// Java client that asked for ROCKETMQ binary headers.
#include <gtest/gtest.h>

#include "sprocket/protocol/codes.h"
#include "support/broker_requests.h"
#include "support/test_process.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using protocol::RemotingCommand;
namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;

class BrokerClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(cluster_.broker_port(), 0) << cluster_.broker().Stderr();
    ASSERT_EQ(
        testing::Call(client_, cluster_.broker_addr(), testing::CreateTopicRequest("CppTopic", 2))->code,
        RS::kSuccess);
  }
  testing::MiniCluster cluster_;
  remoting::RemotingClient client_;
};

TEST_F(BrokerClientsTest, CppClientSendAndHeartbeatThenPullWithRegisteredSubscription) {
  // The cpp client's SEND_MESSAGE: V1 names, numbers as JSON numbers, language CPP,
  // version 333, AccessKey/Signature/OnsChannel present but empty, WAIT and UNIQ_KEY set.
  auto send = RemotingCommand::Request(RC::kSendMessage);
  send.language = protocol::LanguageCode::kCpp;
  send.version = 333;
  std::string header_ext =
      R"({"producerGroup":"CppPG","topic":"CppTopic","defaultTopic":"TBW102","defaultTopicQueueNums":4,)"
      R"("queueId":1,"sysFlag":0,"bornTimestamp":1700000000000,"flag":0,)"
      R"("properties":"TAGS\u0001cppTag\u0002WAIT\u0001true\u0002UNIQ_KEY\u0001C0A8000100002A9F0000000000000001\u0002",)"
      R"("reconsumeTimes":0,"unitMode":false,"batch":false,"AccessKey":"","Signature":"","OnsChannel":""})";
  // Build the frame by hand so the extFields keep their JSON types, as the cpp client sends them.
  std::string header =
      R"({"code":10,"language":"CPP","version":333,"opaque":7,"flag":0,"extFields":)" + header_ext + "}\n";
  std::string body = "from cpp";
  std::string frame(8, '\0');
  uint32_t total = static_cast<uint32_t>(4 + header.size() + body.size());
  uint32_t hlen = static_cast<uint32_t>(header.size());
  for (int i = 0; i < 4; ++i) {
    frame[i] = static_cast<char>(total >> (24 - 8 * i));
    frame[4 + i] = static_cast<char>(hlen >> (24 - 8 * i));
  }
  frame += header + body;
  auto decoded = protocol::DecodeFrame(std::string_view(frame).substr(4));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->ext.Get("queueId"), "1");  // coerced like fastjson does
  auto sent = testing::Call(client_, cluster_.broker_addr(), *decoded);
  ASSERT_TRUE(sent.ok());
  ASSERT_EQ(sent->code, RS::kSuccess) << sent->remark.value_or("");
  EXPECT_EQ(sent->ext.Get("queueId"), "1");

  // The cpp heartbeat: ordinals for enums, subVersion as a string, pretty-printed.
  auto hb = RemotingCommand::Request(RC::kHeartBeat);
  hb.language = protocol::LanguageCode::kCpp;
  hb.body = R"({
   "clientID" : "127.0.0.1@cpp",
   "consumerDataSet" : [ {
      "consumeFromWhere" : 4, "consumeType" : 1, "groupName" : "CppCG", "messageModel" : 1,
      "subscriptionDataSet" : [ {
         "codeSet" : [ -1353826569 ], "subString" : "cppTag", "subVersion" : "1700000000000",
         "tagsSet" : [ "cppTag" ], "topic" : "CppTopic" } ] } ],
   "producerDataSet" : [ ]
})";
  auto hr = testing::Call(client_, cluster_.broker_addr(), hb);
  ASSERT_TRUE(hr.ok());
  ASSERT_EQ(hr->code, RS::kSuccess) << hr->remark.value_or("");

  // A pull without the SUBSCRIPTION flag uses what the heartbeat registered.
  testing::PullArgs pa;
  pa.group = "CppCG";
  pa.topic = "CppTopic";
  pa.queue_id = 1;
  auto pull = testing::PullRequest(pa);
  pull.ext.Set("sysFlag", int64_t{0});
  pull.ext.Set("subVersion", int64_t{1700000000000});
  auto pr = testing::Call(client_, cluster_.broker_addr(), pull);
  ASSERT_TRUE(pr.ok());
  ASSERT_EQ(pr->code, RS::kSuccess) << pr->remark.value_or("");
  auto msgs = testing::Messages(*pr);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].body, "from cpp");
  EXPECT_EQ(msgs[0].MsgId(), "C0A8000100002A9F0000000000000001");  // UNIQ_KEY wins, as in Java

  // A newer subVersion than the registered one means the client's subscription is ahead.
  pull.ext.Set("subVersion", int64_t{1800000000000});
  EXPECT_EQ(testing::Call(client_, cluster_.broker_addr(), pull)->code, RS::kSubscriptionNotLatest);
}

TEST_F(BrokerClientsTest, BinaryHeadersAreAnsweredInKind) {
  auto send = testing::SendV2Request("CppTopic", 0, "t", "", "binary");
  send.serialize_type = protocol::SerializeType::kRocketMQ;
  auto r = testing::Call(client_, cluster_.broker_addr(), send);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, RS::kSuccess);
  EXPECT_EQ(r->serialize_type, protocol::SerializeType::kRocketMQ);
  EXPECT_EQ(r->ext.Get("queueOffset"), "0");

  testing::PullArgs pa;
  pa.topic = "CppTopic";
  auto pull = testing::PullRequest(pa);
  pull.serialize_type = protocol::SerializeType::kRocketMQ;
  auto pr = testing::Call(client_, cluster_.broker_addr(), pull);
  ASSERT_TRUE(pr.ok());
  EXPECT_EQ(pr->code, RS::kSuccess);
  EXPECT_EQ(pr->serialize_type, protocol::SerializeType::kRocketMQ);
  ASSERT_EQ(testing::Messages(*pr).size(), 1u);
}

}  // namespace
}  // namespace sprocket
