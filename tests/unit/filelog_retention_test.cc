// filelog storage plugin: retention (DeleteExpired) — whole segments from the front, never
// the active one, consume queues trimmed and their minimums corrected, offset-moved reads,
// and zero-copy holds that keep a deleted segment readable.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "support/filelog_test_util.h"

namespace sprocket::testing::filelog {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kSeg = 65536;

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// ~1.1 KiB records alternating between two queues (record i in queue i % 2) until the log reaches `segments`
// segments.
std::vector<AppendResult> Fill(StoreHarness& h, int64_t segments, const std::string& topic = "Ret") {
  std::vector<AppendResult> all;
  int n = 0;
  while (all.empty() || all.back().position.value < segments * kSeg - 2000) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 8; ++i, ++n)
      batch.push_back(MakeRecord(topic, n % 2, std::to_string(n) + ":" + std::string(1000, 'r')));
    for (AppendResult& r : AppendAndWait(h.store(), std::move(batch))) {
      EXPECT_TRUE(r.status.ok());
      all.push_back(r);
    }
  }
  return all;
}

RetentionPolicy ExpireAll(int32_t max_units = 10) {
  RetentionPolicy p;
  p.expire_before_ms = NowMs() + 3600 * 1000;
  p.max_units = max_units;
  return p;
}

TEST(FileLogRetentionTest, DeletesWholeSegmentsFromTheFrontButNeverTheActiveOne) {
  StoreHarness h;  // 64 KiB segments, 100-entry consume-queue files
  h.Open();
  std::vector<AppendResult> all = Fill(h, 5);
  const int64_t end = h->Stats().log_end.value;
  const int64_t active = end / kSeg * kSeg;
  ASSERT_GE(active, 4 * kSeg);
  const int64_t disk_before = h->Stats().disk_bytes;

  Result<RetentionResult> r = h->DeleteExpired(ExpireAll());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->units_deleted, active / kSeg);
  EXPECT_EQ(r->log_min.value, active);
  EXPECT_GT(r->bytes_freed, 0);
  EXPECT_EQ(h->Stats().log_min.value, active);
  EXPECT_LT(h->Stats().disk_bytes, disk_before);
  std::vector<std::string> files = FilesIn(h.Path("commitlog"));
  ASSERT_FALSE(files.empty());
  char first[32];
  std::snprintf(first, sizeof first, "%020lld", static_cast<long long>(active));
  EXPECT_EQ(files.front(), first);

  // Each queue's minimum is its first record still in the log; below it: offset moved.
  for (int32_t q = 0; q < 2; ++q) {
    int64_t expected_min = -1;  // the queue offset of q's first record in the active segment
    for (size_t i = 0; i < all.size() && expected_min < 0; ++i)
      if (all[i].position.value >= active && static_cast<int32_t>(i % 2) == q)
        expected_min = all[i].queue_offset.value;
    ASSERT_GE(expected_min, 0);
    QueueRangeResult range = h->QueueRange("Ret", q);
    EXPECT_EQ(range.min_offset.value, expected_min) << "queue " << q;
    ReadQueueResult below = h->ReadQueue("Ret", q, QueueOffset(0), ReadLimits{}, TagFilter{});
    EXPECT_EQ(below.outcome, ReadOutcome::kOffsetTooSmall);
    EXPECT_EQ(below.next_offset.value, expected_min);
    std::vector<protocol::MessageExt> left = ReadAll(h.store(), "Ret", q, 32, expected_min);
    EXPECT_EQ(static_cast<int64_t>(left.size()), range.max_offset.value - expected_min);
  }
  // Consume-queue files wholly below the new minimum are gone (100 entries per file).
  const int64_t min0 = h->QueueRange("Ret", 0).min_offset.value;
  for (const std::string& name : FilesIn(h.Path("consumequeue/Ret/0")))
    EXPECT_GT(std::stoll(name) + 2000, min0 * 20) << name;

  EXPECT_TRUE(h->ReadAt(all.front().position).status().IsNotFound());
  EXPECT_TRUE(h->ReadLog(LogPosition(0), 1 << 20).status().IsNotFound());
  // Nothing more to delete: the active segment stays.
  Result<RetentionResult> again = h->DeleteExpired(ExpireAll());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->units_deleted, 0);
  // Appends go on at the end.
  AppendResult next = AppendOne(h.store(), MakeRecord("Ret", 0, "after"));
  EXPECT_EQ(next.position.value, end);
}

TEST(FileLogRetentionTest, MaxUnitsAndForce) {
  StoreHarness h;
  h.Open();
  Fill(h, 5);
  RetentionPolicy not_expired;
  not_expired.expire_before_ms = 0;  // nothing is that old
  not_expired.max_units = 10;
  Result<RetentionResult> r = h->DeleteExpired(not_expired);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->units_deleted, 0);
  EXPECT_EQ(r->log_min.value, 0);

  r = h->DeleteExpired(ExpireAll(2));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->units_deleted, 2);
  EXPECT_EQ(r->log_min.value, 2 * kSeg);

  not_expired.force = true;  // disk nearly full: the oldest go anyway
  not_expired.max_units = 1;
  r = h->DeleteExpired(not_expired);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->units_deleted, 1);
  EXPECT_EQ(r->log_min.value, 3 * kSeg);
}

TEST(FileLogRetentionTest, OnlySegmentsWhoseNewestRecordIsOlderExpire) {
  StoreHarness h;
  h.Open();
  // One Append: a single store time for records reaching into the second segment.
  std::vector<AppendRequest> old_batch;
  for (int i = 0; i < 70; ++i) old_batch.push_back(MakeRecord("Age", 0, std::string(1000, 'o')));
  std::vector<AppendResult> old = AppendAndWait(h.store(), std::move(old_batch));
  ASSERT_GT(old.back().position.value, kSeg);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int64_t cutoff = NowMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Fill(h, 4, "Age");
  h.Reopen();  // the newest store time of each segment is found from the files again

  RetentionPolicy p;
  p.expire_before_ms = cutoff;
  p.max_units = 10;
  Result<RetentionResult> r = h->DeleteExpired(p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Segment 0 holds only old records; segment 1 also newer ones.
  EXPECT_EQ(r->units_deleted, 1);
  EXPECT_EQ(r->log_min.value, kSeg);
}

TEST(FileLogRetentionTest, AZeroCopyHoldKeepsADeletedSegmentReadable) {
  StoreHarness h;
  h.Open();
  Fill(h, 3, "Hold");
  ReadLimits limits;
  limits.max_count = 8;
  ReadQueueResult held = h->ReadQueue("Hold", 0, QueueOffset(0), limits, TagFilter{});
  ASSERT_EQ(held.outcome, ReadOutcome::kFound);
  ASSERT_EQ(held.records.size(), 8u);
  Result<RecordRead> one = h->ReadAt(LogPosition(0));
  ASSERT_TRUE(one.ok());

  Result<RetentionResult> r = h->DeleteExpired(ExpireAll());
  ASSERT_TRUE(r.ok());
  ASSERT_GE(r->units_deleted, 1);
  EXPECT_FALSE(fs::exists(h.Path("commitlog/00000000000000000000")));
  EXPECT_EQ(h->ReadQueue("Hold", 0, QueueOffset(0), limits, TagFilter{}).outcome,
            ReadOutcome::kOffsetTooSmall);

  // The views still read the unlinked segment through its mapping.
  std::vector<protocol::MessageExt> got = Decode(held);  // CRCs checked
  ASSERT_EQ(got.size(), 8u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].queue_offset, static_cast<int64_t>(i));
  size_t consumed = 0;
  EXPECT_TRUE(
      protocol::DecodeRecord(std::string_view(one->record.data, one->record.size), &consumed, true).ok());
}

TEST(FileLogRetentionTest, TheNewStartSurvivesARestart) {
  StoreHarness h;
  h.Open();
  Fill(h, 4);
  const QueueRangeResult before = h->QueueRange("Ret", 1);
  Result<RetentionResult> r = h->DeleteExpired(ExpireAll(2));
  ASSERT_TRUE(r.ok());
  const QueueRangeResult after = h->QueueRange("Ret", 1);
  EXPECT_GT(after.min_offset, before.min_offset);
  h.Reopen();
  EXPECT_EQ(h->Stats().log_min.value, 2 * kSeg);
  EXPECT_EQ(h->QueueRange("Ret", 1).min_offset, after.min_offset);
  EXPECT_EQ(h->QueueRange("Ret", 1).max_offset, after.max_offset);
  std::vector<protocol::MessageExt> left = ReadAll(h.store(), "Ret", 1, 32, after.min_offset.value);
  EXPECT_EQ(static_cast<int64_t>(left.size()), after.max_offset - after.min_offset);
}

TEST(FileLogRetentionTest, RetentionRunsWhileAppendsAndReadsGoOn) {
  StoreHarness h;
  h.Open();
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::atomic<int64_t> deleted{0};
  std::thread writer([&] {
    for (int n = 0; n < 2500 && !stop; ++n) {
      AppendResult r =
          AppendOne(h.store(), MakeRecord("Live", n % 2, std::to_string(n) + ":" + std::string(700, 'l')));
      if (!r.status.ok()) errors++;
    }
    stop = true;
  });
  std::thread reader([&] {
    std::vector<int64_t> next(2, 0);
    while (!stop) {
      for (int32_t q = 0; q < 2; ++q) {
        ReadQueueResult r = h->ReadQueue("Live", q, QueueOffset(next[q]), ReadLimits{}, TagFilter{});
        if (!r.status.ok()) errors++;
        if (r.outcome == ReadOutcome::kFound) {
          for (const protocol::MessageExt& m : Decode(r))
            if (m.queue_id != q) errors++;
        }
        // Found, nothing new, moved by retention (too small, removing): follow next_offset.
        if (r.outcome == ReadOutcome::kFound || r.outcome == ReadOutcome::kOffsetTooSmall ||
            r.outcome == ReadOutcome::kMessageWasRemoving || r.outcome == ReadOutcome::kNoMatchedMessage)
          next[q] = r.next_offset.value;
      }
    }
  });
  RetentionPolicy force;
  force.force = true;
  force.max_units = 1;
  while (!stop) {
    if (h->Stats().log_end.value - h->Stats().log_min.value > 3 * kSeg) {
      Result<RetentionResult> r = h->DeleteExpired(force);
      if (!r.ok()) errors++;
      if (r.ok()) deleted += r->units_deleted;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  writer.join();
  reader.join();
  force.max_units = 1000;  // whatever the race left: all but the active segment
  Result<RetentionResult> last = h->DeleteExpired(force);
  ASSERT_TRUE(last.ok());
  deleted += last->units_deleted;
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GE(deleted.load(), 20);  // ~2 MB of records in 64 KiB segments
  EXPECT_EQ(h->Stats().log_min.value, h->Stats().log_end.value / kSeg * kSeg);
  // What is left is whole and dense from each queue's minimum.
  for (int32_t q = 0; q < 2; ++q) {
    const QueueRangeResult range = h->QueueRange("Live", q);
    std::vector<protocol::MessageExt> left = ReadAll(h.store(), "Live", q, 32, range.min_offset.value);
    ASSERT_EQ(static_cast<int64_t>(left.size()), range.max_offset - range.min_offset);
    for (size_t i = 0; i < left.size(); ++i)
      EXPECT_EQ(left[i].queue_offset, range.min_offset.value + static_cast<int64_t>(i));
  }
}

}  // namespace
}  // namespace sprocket::testing::filelog
