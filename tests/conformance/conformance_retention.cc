// Conformance: retention (DeleteExpired) and what readers see afterwards (offset moved).
// Units are mappedFileSizeCommitLog (64 KiB here) bytes of log positions (RetentionPolicy).
#include <chrono>
#include <thread>

#include "conformance_fixture.h"

namespace sprocket::conformance {
namespace {

constexpr int64_t kUnit = 65536;

struct Stored {
  AppendResult result;
  int32_t queue = 0;
  std::string key;
};

TEST_P(StoreConformance, RetentionAndOffsetMoved) {
  auto& store = OpenStore();
  std::vector<Stored> recs;
  int per_queue[2] = {0, 0};
  // ~3 KiB records, 20 per unit; calls of 10 records.
  auto append = [&](const std::string& label, int count) {
    for (int i = 0; i < count; i += 10) {
      std::vector<AppendRequest> reqs;
      std::vector<Stored> batch;
      for (int k = i; k < i + 10 && k < count; ++k) {
        RecordSpec s;
        s.topic = "ret";
        s.queue_id = k % 2;
        s.body = Body(label + std::to_string(k), 3000);
        s.keys = "key-" + label + std::to_string(k);
        reqs.push_back(MakeRecord(s));
        batch.push_back(Stored{{}, s.queue_id, s.keys});
      }
      std::vector<AppendResult> r = AppendAll(*store, std::move(reqs));
      ASSERT_EQ(r.size(), batch.size());
      for (size_t k = 0; k < r.size(); ++k) {
        ASSERT_TRUE(r[k].status.ok()) << r[k].status.ToString();
        batch[k].result = r[k];
        ++per_queue[batch[k].queue];
        recs.push_back(batch[k]);
      }
    }
  };
  ASSERT_NO_FATAL_FAILURE(append("a", 100));  // ~5 units
  std::this_thread::sleep_for(std::chrono::milliseconds(15));
  ASSERT_NO_FATAL_FAILURE(append("b", 60));  // ~3 more, stored later
  const Stored first_b = recs[100];
  ASSERT_LT(recs[99].result.store_timestamp, first_b.result.store_timestamp);

  // What must hold after any deletion: records below log_min are gone everywhere, the rest
  // are all there, and each queue's min offset moved past exactly its deleted records.
  auto check = [&](const std::string& when) {
    SCOPED_TRACE(when);
    const int64_t log_min = store->Stats().log_min.value;
    int64_t gone[2] = {0, 0};
    const Stored* first_gone = nullptr;
    for (const Stored& s : recs) {
      Result<RecordRead> r = store->ReadAt(s.result.position);
      if (s.result.position.value < log_min) {
        EXPECT_EQ(r.status().code(), Status::Code::kNotFound)
            << "deleted record at " << s.result.position.value;
        ++gone[s.queue];
        if (first_gone == nullptr) first_gone = &s;
      } else {
        EXPECT_TRUE(r.ok()) << "kept record at " << s.result.position.value << ": " << r.status().ToString();
      }
    }
    for (int32_t q = 0; q < 2; ++q) {
      const QueueRangeResult range = store->QueueRange("ret", q);
      EXPECT_EQ(range.min_offset.value, gone[q]) << "queue " << q;
      EXPECT_EQ(range.max_offset.value, per_queue[q]) << "queue " << q;
      if (gone[q] > 0) {  // a consumer behind the minimum is told where to go on
        ReadQueueResult r = store->ReadQueue("ret", q, QueueOffset(0), ReadLimits{}, TagFilter{});
        EXPECT_EQ(r.outcome, ReadOutcome::kOffsetTooSmall) << "queue " << q;
        EXPECT_EQ(r.next_offset, range.min_offset);
        EXPECT_EQ(r.min_offset, range.min_offset);
        EXPECT_TRUE(r.records.empty());
      }
      if (range.min_offset < range.max_offset) {
        ReadQueueResult r = store->ReadQueue("ret", q, range.min_offset, ReadLimits{}, TagFilter{});
        EXPECT_EQ(r.outcome, ReadOutcome::kFound) << "queue " << q;
        if (!r.records.empty()) {
          EXPECT_EQ(DecodeOrFail(r.records[0]).msg.queue_offset, range.min_offset.value);
        }
      }
    }
    if (log_min > 0) {
      EXPECT_EQ(store->ReadLog(LogPosition(0), 4096).status().code(), Status::Code::kNotFound);
      EXPECT_EQ(store->ReadLog(LogPosition(log_min - 1), 4096).status().code(), Status::Code::kNotFound);
    }
    if (first_gone != nullptr && plugin().has_key_index) {
      Result<std::vector<LogPosition>> found = store->LookupKey("ret", first_gone->key, 0, INT64_MAX, 32);
      ASSERT_TRUE(found.ok()) << found.status().ToString();
      for (LogPosition p : found.value())
        EXPECT_GE(p.value, log_min) << "LookupKey returned a deleted record";
    }
  };

  auto delete_expired = [&](int64_t expire_before, bool force, int32_t max_units) {
    RetentionPolicy policy;
    policy.expire_before_ms = expire_before;
    policy.force = force;
    policy.max_units = max_units;
    Result<RetentionResult> r = store->DeleteExpired(policy);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return RetentionResult{};
    EXPECT_EQ(r->log_min, store->Stats().log_min);
    if (r->units_deleted > 0) {
      EXPECT_GT(r->bytes_freed, 0);
    }
    return r.value();
  };

  ASSERT_NO_FATAL_FAILURE(check("before any deletion"));
  // Nothing has expired yet.
  RetentionResult r = delete_expired(recs[0].result.store_timestamp - 1, false, 10);
  EXPECT_EQ(r.units_deleted, 0);
  EXPECT_LE(store->Stats().log_min, recs[0].result.position);
  // max_units bounds one call.
  r = delete_expired(first_b.result.store_timestamp, false, 1);
  EXPECT_EQ(r.units_deleted, 1);
  EXPECT_GE(r.log_min.value, kUnit);
  int units = r.units_deleted;
  ASSERT_NO_FATAL_FAILURE(check("after deleting one unit"));
  // Every unit holding only the first batch expires; the one where the second begins does not.
  r = delete_expired(first_b.result.store_timestamp, false, 100);
  EXPECT_GE(r.units_deleted, 1);
  units += r.units_deleted;
  EXPECT_GE(r.log_min.value, first_b.result.position.value / kUnit * kUnit);
  EXPECT_LE(r.log_min, first_b.result.position);
  ASSERT_NO_FATAL_FAILURE(check("after deleting the expired units"));
  EXPECT_EQ(delete_expired(first_b.result.store_timestamp, false, 100).units_deleted, 0);

  // Forced (disk full): everything but the unit being appended to.
  const int64_t log_end = store->Stats().log_end.value;
  ASSERT_NE(log_end % kUnit, 0) << "the test needs the log to end inside a unit";
  r = delete_expired(0, true, 1000);
  units += r.units_deleted;
  EXPECT_EQ(units, log_end / kUnit) << "every unit below the one being appended to";
  EXPECT_GE(r.log_min.value, log_end / kUnit * kUnit);
  for (const Stored& s : recs) {
    if (s.result.position.value / kUnit == log_end / kUnit) {
      EXPECT_TRUE(store->ReadAt(s.result.position).ok())
          << "a record of the unit being appended to was deleted";
    }
  }
  ASSERT_NO_FATAL_FAILURE(check("after forced deletion"));

  // Appends go on where the queues were.
  ASSERT_NO_FATAL_FAILURE(append("c", 4));
  EXPECT_EQ(recs.back().result.queue_offset.value, per_queue[1] - 1);
  ASSERT_NO_FATAL_FAILURE(check("after appending again"));

  if (!plugin().is_volatile) {
    const StoreStats before = store->Stats();
    ASSERT_NO_FATAL_FAILURE(store.Reopen());
    EXPECT_EQ(store->Stats().log_min, before.log_min) << "deletions survive a restart";
    ASSERT_NO_FATAL_FAILURE(check("after a restart"));
  }
}

}  // namespace
}  // namespace sprocket::conformance
