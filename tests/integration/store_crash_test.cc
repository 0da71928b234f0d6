// Crash test through the broker, for every shipped store: producers send with
// flushDiskType=SYNC_FLUSH while the broker is SIGKILLed several times. After each restart
// every acknowledged message must be readable, intact (BODYCRC) and at the queue offset
// (and log position) its acknowledgement named; the queues must be dense.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "support/broker_requests.h"
#include "support/test_process.h"
#include "sprocket/protocol/codes.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
namespace RS = protocol::ResponseCode;
using testing::Call;
using testing::MiniCluster;
using testing::PullArgs;

constexpr int kQueues = 4;
constexpr int kRounds = 4;
constexpr int kSenders = 3;

struct Ack {
  int32_t queue_id;
  int64_t queue_offset;
  std::string msg_id;
  std::string body;
};

// Bodies of varied size (a few bytes to ~24 KiB) named after who sent them.
std::string MakeBody(int round, int sender, int seq, std::mt19937& rng) {
  std::string b = "r" + std::to_string(round) + "-s" + std::to_string(sender) + "-" + std::to_string(seq) + ":";
  const size_t size = b.size() + (rng() % 4 == 0 ? rng() % 24000 : rng() % 300);
  while (b.size() < size) b.push_back(static_cast<char>('a' + rng() % 26));
  return b;
}

class StoreCrashTest : public ::testing::TestWithParam<std::string> {};

TEST_P(StoreCrashTest, AcknowledgedSyncFlushMessagesSurviveRepeatedSigkill) {
  MiniCluster::Options options;
  options.broker_extra = {{"storePlugin", GetParam()},
                          {"flushDiskType", "SYNC_FLUSH"},
                          // Small segments so that the log rolls (and recovery crosses
                          // segment ends) within the test.
                          {"mappedFileSizeCommitLog", "1048576"}};
  MiniCluster cluster(options);
  ASSERT_GT(cluster.broker_port(), 0) << cluster.broker().Stderr();
  remoting::RemotingClient admin;
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), "CRASH", kQueues));

  std::mutex mu;
  std::vector<Ack> acked;
  int timeouts = 0;
  std::mt19937 round_rng(20261125);
  for (int round = 0; round < kRounds; ++round) {
    const std::string addr = cluster.broker_addr();
    std::atomic<bool> stop{false};
    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s) {
      senders.emplace_back([&, s, round] {
        std::mt19937 rng(round * 100 + s);
        remoting::RemotingClient client;
        for (int seq = 0; seq < 100000 && !stop.load(); ++seq) {
          const int32_t queue = (seq + s) % kQueues;
          std::string body = MakeBody(round, s, seq, rng);
          auto r = Call(client, addr, testing::SendV2Request("CRASH", queue, "T", "", body), 3s);
          if (!r.ok()) {
            std::this_thread::sleep_for(20ms);  // the broker is down: no acknowledgement
            continue;
          }
          std::lock_guard lock(mu);
          if (r->code == RS::kSuccess) {
            acked.push_back(Ack{queue, *r->ext.GetInt("queueOffset"), std::string(r->ext.Get("msgId")),
                                std::move(body)});
          } else if (r->code == RS::kFlushDiskTimeout) {
            ++timeouts;  // stored but not known durable: not an acknowledgement
          }
        }
      });
    }
    // Kill at a different moment each round, mid-traffic.
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + round_rng() % 500));
    cluster.StopBroker(/*clean=*/false);
    stop = true;
    for (auto& t : senders) t.join();
    ASSERT_TRUE(cluster.StartBroker()) << cluster.broker().Stderr();

    // Read every queue back in full.
    std::map<std::pair<int32_t, int64_t>, protocol::MessageExt> stored;
    for (int32_t q = 0; q < kQueues; ++q) {
      PullArgs pa;
      pa.topic = "CRASH";
      pa.queue_id = q;
      int64_t offset = 0;
      for (int i = 0; i < 100000; ++i) {
        pa.offset = offset;
        auto r = Call(admin, cluster.broker_addr(), testing::PullRequest(pa));
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        if (r->code != RS::kSuccess) {
          ASSERT_EQ(r->code, RS::kPullNotFound) << "queue " << q << " offset " << offset << ": "
                                                << r->remark.value_or("");
          break;
        }
        std::string_view body = r->body;
        while (!body.empty()) {
          size_t used = 0;
          auto m = protocol::DecodeRecord(body, &used, /*verify_crc=*/true);
          ASSERT_TRUE(m.ok()) << "queue " << q << " near offset " << offset << ": " << m.status().ToString();
          ASSERT_EQ(m->queue_offset, offset) << "queue " << q << " has a hole";
          stored.emplace(std::make_pair(q, offset), std::move(*m));
          ++offset;
          body.remove_prefix(used);
        }
      }
    }
    std::lock_guard lock(mu);
    ASSERT_GT(acked.size(), 0u) << "no send was acknowledged in round " << round;
    for (const Ack& a : acked) {
      auto it = stored.find({a.queue_id, a.queue_offset});
      ASSERT_NE(it, stored.end()) << "round " << round << ": acknowledged message lost: queue " << a.queue_id
                                  << " offset " << a.queue_offset << " (" << a.body.substr(0, 20) << ")";
      EXPECT_EQ(it->second.body, a.body) << "queue " << a.queue_id << " offset " << a.queue_offset;
      EXPECT_EQ(it->second.OffsetMsgId(), a.msg_id) << "queue " << a.queue_id << " offset " << a.queue_offset;
    }
    std::printf("[ round %d ] %s: %zu acknowledged so far, %zu stored, %d flush timeouts\n", round,
                GetParam().c_str(), acked.size(), stored.size(), timeouts);
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreCrashTest, ::testing::Values("filelog", "leveldb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sprocket
