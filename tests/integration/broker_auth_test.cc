// The broker asks its auth plugin before each handler runs, with the request's resources
// (PROTOCOL.md §9), and answers a denial as RocketMQ does: SYSTEM_ERROR with the
// AclException text. Uses tests/plugins/auth_testdeny.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/broker_requests.h"
#include "support/test_process.h"
#include "sprocket/protocol/codes.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
namespace RS = protocol::ResponseCode;

TEST(BrokerAuthTest, DeniedRequestsNeverReachTheirHandler) {
  testing::TempDir plugins;
  for (const char* p : {"transport_tcp.so", "storage_filelog.so"}) {
    std::filesystem::create_symlink(std::string(SPROCKET_PLUGIN_DIR) + "/" + p, plugins.Sub(p));
  }
  std::filesystem::create_symlink(std::string(SPROCKET_TEST_PLUGIN_DIR) + "/auth_testdeny.so",
                                  plugins.Sub("auth_testdeny.so"));
  testing::MiniCluster cluster(testing::MiniCluster::Options{
      {{"authPlugin", "testdeny"}, {"pluginDir", plugins.path()}}, {}, true});
  ASSERT_GT(cluster.broker_port(), 0) << cluster.broker().Stderr();
  remoting::RemotingClient client;
  ASSERT_EQ(testing::Call(client, cluster.broker_addr(), testing::CreateTopicRequest("Open", 1))->code, RS::kSuccess);
  ASSERT_EQ(testing::Call(client, cluster.broker_addr(), testing::CreateTopicRequest("Forbidden1", 1))->code,
            RS::kSuccess);

  EXPECT_EQ(testing::Call(client, cluster.broker_addr(), testing::SendV2Request("Open", 0, "", "", "x"))->code,
            RS::kSuccess);
  auto denied = testing::Call(client, cluster.broker_addr(), testing::SendV2Request("Forbidden1", 0, "", "", "x"));
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->code, RS::kSystemError);
  EXPECT_EQ(denied->remark.value_or(""),
            "org.apache.rocketmq.acl.common.AclException: No permission to publish to Forbidden1");
  // Nothing was stored.
  auto max = protocol::RemotingCommand::Request(protocol::RequestCode::kGetMaxOffset);
  max.ext.Set("topic", "Forbidden1");
  max.ext.Set("queueId", int64_t{0});
  EXPECT_EQ(testing::Call(client, cluster.broker_addr(), max)->ext.Get("offset"), "0");

  // Credentials reach the plugin too.
  auto bad = testing::SendV2Request("Open", 0, "", "", "x");
  bad.ext.Set("AccessKey", "bad");
  bad.ext.Set("Signature", "whatever");
  EXPECT_EQ(testing::Call(client, cluster.broker_addr(), bad)->code, RS::kSystemError);
}

}  // namespace
}  // namespace sprocket
