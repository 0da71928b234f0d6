// ali-ons against a broker whose retention has deleted the start of a queue: the client's
// first pull (from offset 0, CONSUME_FROM_FIRST_OFFSET) gets PULL_OFFSET_MOVED and it
// continues from the corrected offset, receiving every message still stored and new ones.
#include <set>
#include <thread>

#include "support/alions_driver.h"
#include "sprocket/protocol/codes.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;
using testing::Call;
using testing::ChildProcess;

testing::MiniCluster::Options RetentionOptions() {
  std::string every_hour;
  for (int h = 0; h < 24; ++h) every_hour += (h ? ";" : "") + std::string(h < 10 ? "0" : "") + std::to_string(h);
  testing::MiniCluster::Options o;
  o.broker_extra = {{"mappedFileSizeCommitLog", "65536"},
                    {"fileReservedTime", "0"},
                    {"deleteWhen", every_hour},
                    {"cleanResourceInterval", "200"}};
  return o;
}

class AliOnsRetentionTest : public testing::AliOnsFixture {
 protected:
  AliOnsRetentionTest() : AliOnsFixture(RetentionOptions()) {}
};

TEST_F(AliOnsRetentionTest, ConsumerStartingBelowTheMinimumIsMovedAndMissesNothingStored) {
  CreateTopic("AliRT", 1);
  remoting::RemotingClient client;
  const std::string addr = cluster_.broker_addr();
  const std::string body(1024, 'a');
  for (int i = 0; i < 300; ++i) {
    auto r = Call(client, addr, testing::SendV2Request("AliRT", 0, "", "", body + std::to_string(i)));
    ASSERT_TRUE(r.ok() && r->code == RS::kSuccess) << i;
  }
  int64_t min = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < deadline && min <= 0;
       std::this_thread::sleep_for(100ms)) {
    auto req = protocol::RemotingCommand::Request(RC::kGetMinOffset);
    req.ext.Set("topic", "AliRT");
    req.ext.Set("queueId", int64_t{0});
    auto r = Call(client, addr, std::move(req));
    if (r.ok() && r->code == RS::kSuccess) min = r->ext.GetInt("offset").value_or(0);
  }
  ASSERT_GT(min, 0) << cluster_.broker().Stderr();
  const int64_t stored = 300 - min;

  ChildProcess consumer;
  ASSERT_TRUE(StartDriver(consumer, {"consume", cluster_.namesrv_addr(), "AliRT", "*", "AliRetentionCG",
                                     std::to_string(stored + 5), "60000", "ret-1"}));
  ASSERT_FALSE(consumer.WaitForLine("{\"event\":\"ready\"", 30s).empty()) << consumer.Stderr();
  for (int i = 300; i < 305; ++i) {
    auto r = Call(client, addr, testing::SendV2Request("AliRT", 0, "", "", body + std::to_string(i)));
    ASSERT_TRUE(r.ok() && r->code == RS::kSuccess) << i;
  }
  ASSERT_EQ(consumer.Wait(60s), 0) << consumer.Stderr();
  std::set<int64_t> offsets;
  for (const auto& m : Events(consumer, "msg")) {
    const int64_t off = m["queueOffset"].get<int64_t>();
    EXPECT_GE(off, min) << "a deleted message was delivered";
    EXPECT_EQ(m["body"].get<std::string>(), body + std::to_string(off));
    offsets.insert(off);
  }
  // Every message from the minimum on, once each (the count stops the driver).
  EXPECT_EQ(static_cast<int64_t>(offsets.size()), stored + 5);
  if (!offsets.empty()) {
    EXPECT_EQ(*offsets.begin(), min);
    EXPECT_EQ(*offsets.rbegin(), 304);
  }
}

}  // namespace
}  // namespace sprocket
