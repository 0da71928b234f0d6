// QUERY_MESSAGE limits come from the broker's config (MessageStoreConfig's defaultQueryMaxNum
// for queries by UNIQ_KEY, maxMsgsNumBatch for every query), on every store with a key index.
#include <gtest/gtest.h>

#include "sprocket/protocol/bodies_admin.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"
#include "support/broker_requests.h"
#include "support/test_process.h"

namespace sprocket {
namespace {

using protocol::RemotingCommand;
namespace RS = protocol::ResponseCode;

class QueryLimitsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(QueryLimitsTest, DefaultQueryMaxNumAndMaxMsgsNumBatchBoundTheAnswer) {
  testing::MiniCluster::Options o;
  o.broker_extra["storePlugin"] = GetParam();
  o.broker_extra["defaultQueryMaxNum"] = "2";
  o.broker_extra["maxMsgsNumBatch"] = "3";
  testing::MiniCluster cluster(o);
  ASSERT_GT(cluster.broker_port(), 0) << cluster.broker().Stderr();
  const std::string topic = "QueryLimitsTopic";
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), topic, 1));
  remoting::RemotingClient client;
  auto call = [&](RemotingCommand req) {
    auto r = testing::Call(client, cluster.broker_addr(), std::move(req));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r.value()) : RemotingCommand{};
  };
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(call(testing::SendV2Request(topic, 0, "", "same", "m-" + std::to_string(i))).code, RS::kSuccess);

  auto count = [&](int32_t max, bool unique) -> size_t {
    RemotingCommand req = RemotingCommand::Request(protocol::RequestCode::kQueryMessage);
    protocol::EncodeQueryMessageRequestHeader({topic, "same", max, 0, INT64_MAX, unique}, &req.ext);
    RemotingCommand resp = call(std::move(req));
    EXPECT_EQ(resp.code, RS::kSuccess) << resp.remark.value_or("");
    auto msgs = protocol::DecodeRecords(resp.body);
    EXPECT_TRUE(msgs.ok()) << msgs.status().ToString();
    return msgs.ok() ? msgs->size() : 0;
  };
  EXPECT_EQ(count(32, false), 3u);  // capped by maxMsgsNumBatch
  EXPECT_EQ(count(2, false), 2u);   // below the cap, maxNum decides
  EXPECT_EQ(count(32, true), 2u);   // by UNIQ_KEY: defaultQueryMaxNum, whatever maxNum says
  client.Shutdown();
}

INSTANTIATE_TEST_SUITE_P(Stores, QueryLimitsTest, ::testing::Values("filelog", "leveldb", "memory"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace sprocket
