// leveldb storage plugin: retention (DeleteExpired) in units of mappedFileSizeCommitLog
// bytes of log positions, and what readers see afterwards.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "support/filelog_test_util.h"

namespace sprocket::testing::leveldb_store {
namespace {

using filelog::AppendAndWait;
using filelog::MakeRecord;
using filelog::NowMs;
using filelog::ReadAll;

constexpr int64_t kUnit = 65536;

// A leveldb store with kUnit-byte retention units in a fresh temporary directory.
struct Harness : filelog::StoreHarness {
  Harness() : StoreHarness(filelog::SmallLevelDbOptions(kUnit), "leveldb") {}
};

struct Sent {
  std::string topic;
  int32_t queue;
  AppendResult result;
  std::string key;
};

// ~`records` records of about 1 KiB over three queues, each with its own key.
std::vector<Sent> Fill(MessageStore& store, int records, int first = 0) {
  std::vector<Sent> sent;
  for (int base = 0; base < records; base += 16) {
    std::vector<AppendRequest> batch;
    std::vector<Sent> meta;
    for (int i = base; i < std::min(records, base + 16); ++i) {
      const int n = first + i;
      Sent s{n % 3 == 0 ? "Ra" : "Rb", n % 2, {}, "key-" + std::to_string(n)};
      // Random bytes: LevelDB's snappy must not shrink them, so disk use follows the data.
      std::mt19937_64 rng(static_cast<uint64_t>(n));
      std::string body(1000, '\0');
      for (char& c : body) c = static_cast<char>(rng());
      batch.push_back(MakeRecord(s.topic, s.queue, body, "", "KEYS\x01" + s.key));
      batch.back().keys = s.key;
      meta.push_back(s);
    }
    std::vector<AppendResult> r = AppendAndWait(store, std::move(batch));
    for (size_t i = 0; i < r.size(); ++i) {
      EXPECT_TRUE(r[i].status.ok());
      meta[i].result = r[i];
      sent.push_back(meta[i]);
    }
  }
  return sent;
}

// Checks what every queue and record looks like after the log starts at `log_min`.
void ExpectStartsAt(MessageStore& store, const std::vector<Sent>& sent, int64_t log_min) {
  EXPECT_EQ(store.Stats().log_min.value, log_min);
  std::map<std::pair<std::string, int32_t>, int64_t> first_live;  // queue -> first offset at or after log_min
  for (const Sent& s : sent) {
    auto key = std::make_pair(s.topic, s.queue);
    if (s.result.position.value >= log_min && !first_live.count(key))
      first_live[key] = s.result.queue_offset.value;
    if (s.result.position.value < log_min) {
      EXPECT_EQ(store.ReadAt(s.result.position).status().code(), Status::Code::kNotFound);
      EXPECT_TRUE(store.LookupKey(s.topic, s.key, 0, INT64_MAX, 4)->empty()) << s.key;
    }
  }
  for (const auto& [key, first] : first_live) {
    QueueRangeResult range = store.QueueRange(key.first, key.second);
    EXPECT_EQ(range.min_offset.value, first) << key.first << "/" << key.second;
    if (first > 0) {
      ReadQueueResult r =
          store.ReadQueue(key.first, key.second, QueueOffset(first - 1), ReadLimits{}, TagFilter{});
      EXPECT_EQ(r.outcome, ReadOutcome::kOffsetTooSmall);
      EXPECT_EQ(r.next_offset.value, first);  // PULL_OFFSET_MOVED's corrected offset
    }
    std::vector<protocol::MessageExt> rest = ReadAll(store, key.first, key.second, 32, first);
    EXPECT_EQ(static_cast<int64_t>(rest.size()), range.max_offset.value - first);
    if (!rest.empty()) {
      EXPECT_GE(rest.front().commit_log_offset, log_min);
    }
  }
  if (log_min > 0) {
    EXPECT_EQ(store.ReadLog(LogPosition(0), 100).status().code(), Status::Code::kNotFound);
  }
  if (log_min < store.Stats().log_end.value) {
    EXPECT_TRUE(store.ReadLog(LogPosition(log_min), 100).ok());
  }
}

// The first record position at or after `unit_start`, from what was sent.
int64_t FirstPositionFrom(const std::vector<Sent>& sent, int64_t unit_start, int64_t end) {
  for (const Sent& s : sent)
    if (s.result.position.value >= unit_start) return s.result.position.value;
  return end;
}

TEST(LevelDbRetentionTest, DeletesWholeUnitsOldestFirstAndReadersSeeTheNewStart) {
  Harness h;
  h.Open();
  std::vector<Sent> sent = Fill(h.store(), 600);  // ~10 units of 64 KiB
  const int64_t end = h->Stats().log_end.value;
  ASSERT_GT(end, 9 * kUnit);

  RetentionPolicy policy;
  policy.expire_before_ms = NowMs() + 60000;  // everything has expired
  policy.max_units = 3;
  Result<RetentionResult> r = h->DeleteExpired(policy);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->units_deleted, 3);
  const int64_t min3 = FirstPositionFrom(sent, 3 * kUnit, end);
  EXPECT_EQ(r->log_min.value, min3);
  ExpectStartsAt(h.store(), sent, min3);
  EXPECT_FALSE(h->LookupKey(sent.back().topic, sent.back().key, 0, INT64_MAX, 4)->empty());

  // Everything else except the unit being appended to.
  policy.max_units = 100;
  r = h->DeleteExpired(policy);
  ASSERT_TRUE(r.ok());
  const int64_t active = (end / kUnit) * kUnit;
  EXPECT_EQ(r->units_deleted, end / kUnit - 3);
  const int64_t min_all = FirstPositionFrom(sent, active, end);
  ExpectStartsAt(h.store(), sent, min_all);
  r = h->DeleteExpired(policy);  // nothing left to delete
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->units_deleted, 0);
  EXPECT_EQ(r->log_min.value, min_all);

  h.Reopen();
  ExpectStartsAt(h.store(), sent, min_all);
  std::vector<Sent> more = Fill(h.store(), 5, 600);
  for (const Sent& s : more) EXPECT_EQ(s.result.position.value >= end, true);
}

TEST(LevelDbRetentionTest, NothingExpiresBeforeItsTimeUnlessForced) {
  Harness h;
  h.Open();
  std::vector<Sent> sent = Fill(h.store(), 300);
  RetentionPolicy policy;
  policy.expire_before_ms = sent.front().result.store_timestamp - 1;  // nothing is that old
  Result<RetentionResult> r = h->DeleteExpired(policy);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->units_deleted, 0);
  EXPECT_EQ(h->Stats().log_min.value, 0);
  ExpectStartsAt(h.store(), sent, 0);

  policy.force = true;  // the disk is nearly full
  policy.max_units = 1;
  r = h->DeleteExpired(policy);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->units_deleted, 1);
  ExpectStartsAt(h.store(), sent, FirstPositionFrom(sent, kUnit, h->Stats().log_end.value));
}

TEST(LevelDbRetentionTest, DiskSpaceIsGivenBack) {
  Harness h;
  h.Open();
  std::vector<Sent> sent = Fill(h.store(), 8000);  // ~8 MiB: LevelDB has written tables
  ASSERT_TRUE(h->Flush().ok());
  const int64_t before = h->Stats().disk_bytes;
  ASSERT_GT(before, 4 << 20);
  RetentionPolicy policy;
  policy.expire_before_ms = NowMs() + 60000;
  policy.max_units = 1000;
  Result<RetentionResult> r = h->DeleteExpired(policy);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->units_deleted, 100);
  EXPECT_GT(r->bytes_freed, 0);
  const int64_t after = h->Stats().disk_bytes;
  EXPECT_LT(after, before / 2) << "before " << before << " after " << after;
  ExpectStartsAt(h.store(), sent, r->log_min.value);
}

}  // namespace
}  // namespace sprocket::testing::leveldb_store
