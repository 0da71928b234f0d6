// Retention through the broker, for every shipped store: with fileReservedTime=0 and every
// hour a deleteWhen hour, the broker's retention service deletes all but the segment being
// written; pulls below the new minimum get PULL_OFFSET_MOVED with the corrected offset, and
// reading on from there works.
#include <gtest/gtest.h>

#include <thread>

#include "support/broker_requests.h"
#include "support/test_process.h"
#include "sprocket/protocol/codes.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;
using testing::Call;
using testing::MiniCluster;
using testing::PullArgs;

std::string EveryHour() {
  std::string s;
  for (int h = 0; h < 24; ++h) s += (h ? ";" : "") + std::string(h < 10 ? "0" : "") + std::to_string(h);
  return s;
}

int64_t MinOffset(remoting::RemotingClient& client, const std::string& addr, const std::string& topic) {
  auto req = protocol::RemotingCommand::Request(RC::kGetMinOffset);
  req.ext.Set("topic", topic);
  req.ext.Set("queueId", int64_t{0});
  auto r = Call(client, addr, std::move(req));
  if (!r.ok() || r->code != RS::kSuccess) return -1;
  return r->ext.GetInt("offset").value_or(-1);
}

class StoreRetentionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(StoreRetentionTest, ExpiredSegmentsGoAndPullsBelowTheMinimumMove) {
  MiniCluster::Options options;
  options.broker_extra = {{"storePlugin", GetParam()},
                          {"mappedFileSizeCommitLog", "65536"},
                          {"fileReservedTime", "0"},
                          {"deleteWhen", EveryHour()},
                          {"cleanResourceInterval", "200"}};
  MiniCluster cluster(options);
  ASSERT_GT(cluster.broker_port(), 0) << cluster.broker().Stderr();
  remoting::RemotingClient client;
  const std::string addr = cluster.broker_addr();
  ASSERT_TRUE(testing::CreateTopicAndWait(addr, cluster.namesrv_addr(), "RT", 1));

  const std::string body(1024, 'r');
  std::vector<std::string> msg_ids;
  for (int i = 0; i < 300; ++i) {
    auto r = Call(client, addr, testing::SendV2Request("RT", 0, "", "", body + std::to_string(i)));
    ASSERT_TRUE(r.ok() && r->code == RS::kSuccess) << i;
    msg_ids.emplace_back(r->ext.Get("msgId"));
  }
  // ~320 KB of records in 64 KiB segments: the retention service (every 200 ms) deletes
  // every segment but the one being written.
  int64_t min = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 15s;
       std::chrono::steady_clock::now() < deadline && min <= 0; std::this_thread::sleep_for(100ms)) {
    min = MinOffset(client, addr, "RT");
  }
  ASSERT_GT(min, 200) << cluster.broker().Stderr();
  ASSERT_LT(min, 300);

  PullArgs pa;
  pa.topic = "RT";
  pa.offset = 0;
  auto moved = Call(client, addr, testing::PullRequest(pa));
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->code, RS::kPullOffsetMoved) << moved->remark.value_or("");
  EXPECT_EQ(moved->ext.GetInt("nextBeginOffset"), min);
  EXPECT_EQ(moved->ext.GetInt("minOffset"), min);

  pa.offset = min;
  auto found = Call(client, addr, testing::PullRequest(pa));
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->code, RS::kSuccess) << found->remark.value_or("");
  auto msgs = testing::Messages(*found);
  ASSERT_FALSE(msgs.empty());
  EXPECT_EQ(msgs.front().queue_offset, min);
  EXPECT_EQ(msgs.front().body, body + std::to_string(min));

  // A deleted message is gone by id too; a kept one is still there.
  auto view = [&](const std::string& id) {
    auto req = protocol::RemotingCommand::Request(RC::kViewMessageById);
    req.ext.Set("offset", protocol::DecodeOffsetMsgId(id)->second.value);
    return Call(client, addr, std::move(req));
  };
  auto gone = view(msg_ids[0]);
  ASSERT_TRUE(gone.ok());
  EXPECT_NE(gone->code, RS::kSuccess);
  auto kept = view(msg_ids[299]);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->code, RS::kSuccess) << kept->remark.value_or("");
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreRetentionTest, ::testing::Values("filelog", "leveldb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sprocket
