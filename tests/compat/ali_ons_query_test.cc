// Keys set by the unmodified ali-ons producer (msg.keys, sent as the KEYS property; ali-ons
// sets no UNIQ_KEY) are indexed by the broker's store: its QUERY_MESSAGE and mqadmin's
// queryMsgByKey / queryMsgById find the messages, under the ids ali-ons got back.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sprocket/protocol/bodies_admin.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"
#include "support/alions_driver.h"
#include "support/broker_requests.h"
#include "support/test_process.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::MiniCluster;
namespace RS = protocol::ResponseCode;
using protocol::RemotingCommand;

class AliOnsQueryTest : public testing::AliOnsFixture, public ::testing::WithParamInterface<std::string> {
 protected:
  AliOnsQueryTest() : AliOnsFixture(StoreOptions()) {}

  static MiniCluster::Options StoreOptions() {
    MiniCluster::Options o;
    o.broker_extra["storePlugin"] = GetParam();
    return o;
  }

  // mqadmin <args> -n <namesrv>: exit code and stdout lines.
  int Mqadmin(std::vector<std::string> args, std::vector<std::string>* out, std::string* err) {
    std::vector<std::string> argv = {testing::BinPath("mqadmin")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("-n");
    argv.push_back(cluster_.namesrv_addr());
    ChildProcess p;
    if (!p.Start(argv)) return -1;
    int rc = p.Wait(60s);
    if (rc == -1) p.Kill();
    *out = p.Lines();
    *err = p.Stderr();
    return rc;
  }
};

std::vector<std::string> Tokens(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string t;
  while (in >> t) out.push_back(t);
  return out;
}

TEST_P(AliOnsQueryTest, KeysSetByAliOnsAreFoundByQueryMessageAndMqadmin) {
  const std::string topic = "AliQuery";
  CreateTopic(topic, 2);
  ChildProcess producer;
  ASSERT_TRUE(StartDriver(
      producer, {"produce", cluster_.namesrv_addr(), topic, "TagQ", "6", "AliQueryPG", "ali-key-"}));
  ASSERT_EQ(producer.Wait(60s), 0) << producer.Stderr();
  auto sent = Events(producer, "sent");
  ASSERT_EQ(sent.size(), 6u);
  const nlohmann::json& fourth = sent[4];
  ASSERT_EQ(fourth["body"], "ali-ons 4");

  // The broker's QUERY_MESSAGE, as a Java client sends it.
  remoting::RemotingClient client;
  RemotingCommand req = RemotingCommand::Request(protocol::RequestCode::kQueryMessage);
  protocol::EncodeQueryMessageRequestHeader({topic, "ali-key-4", 64, 0, INT64_MAX, false}, &req.ext);
  auto resp = testing::Call(client, cluster_.broker_addr(), std::move(req));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  ASSERT_EQ(resp->code, RS::kSuccess) << resp->remark.value_or("");
  auto msgs = protocol::DecodeRecords(resp->body);
  ASSERT_TRUE(msgs.ok()) << msgs.status().ToString();
  ASSERT_EQ(msgs->size(), 1u);
  const protocol::MessageExt& m = (*msgs)[0];
  EXPECT_EQ(m.topic, topic);
  EXPECT_EQ(m.Keys(), "ali-key-4");
  EXPECT_EQ(m.Tags(), "TagQ");
  EXPECT_EQ(m.body, "ali-ons 4");
  EXPECT_EQ(m.properties.Find(protocol::Prop::kUniqKey), nullptr);  // ali-ons sets none
  EXPECT_EQ(m.OffsetMsgId(), fourth["msgId"].get<std::string>());
  EXPECT_EQ(m.queue_id, fourth["queueId"].get<int>());
  EXPECT_EQ(m.queue_offset, fourth["queueOffset"].get<int64_t>());

  RemotingCommand none = RemotingCommand::Request(protocol::RequestCode::kQueryMessage);
  protocol::EncodeQueryMessageRequestHeader({topic, "ali-key-99", 64, 0, INT64_MAX, false}, &none.ext);
  auto not_found = testing::Call(client, cluster_.broker_addr(), std::move(none));
  ASSERT_TRUE(not_found.ok());
  EXPECT_EQ(not_found->code, RS::kQueryNotFound);
  client.Shutdown();

  // mqadmin queryMsgByKey: the message id column is ali-ons' sendResult.msgId.
  std::vector<std::string> out;
  std::string err;
  ASSERT_EQ(Mqadmin({"queryMsgByKey", "-t", topic, "-k", "ali-key-4"}, &out, &err), 0) << err;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(Tokens(out[0]), (std::vector<std::string>{"#Message", "ID", "#QID", "#Offset"}));
  EXPECT_EQ(Tokens(out[1]), (std::vector<std::string>{fourth["msgId"].get<std::string>(),
                                                      std::to_string(fourth["queueId"].get<int>()),
                                                      std::to_string(fourth["queueOffset"].get<int64_t>())}));
  // And queryMsgById with that id shows the keys ali-ons set (and, as RocketMQ's does, writes
  // the body to /tmp/rocketmq/msgbodys/<msgId>, removed here).
  const std::string id2 = sent[2]["msgId"].get<std::string>();
  const int rc = Mqadmin({"queryMsgById", "-i", id2}, &out, &err);
  std::error_code ec;
  std::filesystem::remove("/tmp/rocketmq/msgbodys/" + id2, ec);
  ASSERT_EQ(rc, 0) << err;
  EXPECT_NE(std::find(out.begin(), out.end(), "Keys:                [ali-key-2]"), out.end());
  EXPECT_EQ(Mqadmin({"queryMsgByKey", "-t", topic, "-k", "ali-key-99"}, &out, &err), 1);
  EXPECT_NE(err.find("CODE: 208"), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(Stores, AliOnsQueryTest, ::testing::Values("filelog", "leveldb", "memory"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace sprocket
