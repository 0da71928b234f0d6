#include "retention.h"

#include <leveldb/iterator.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keys.h"
#include "layout.h"
#include "record.h"

namespace sprocket::leveldb_store {

namespace {

// Deletes per batch: bounds the batch (and the write mutex hold) whatever a unit holds.
constexpr int kPurgeBatchKeys = 10000;

leveldb::ReadOptions ScanOptions() {
  leveldb::ReadOptions o;
  o.fill_cache = false;  // a one-off pass over old data must not evict what readers use
  return o;
}

enum class Db { kIndex, kRecords };

// Deletes every key in [begin, end) of one database, in batches; *deleted counts them.
Status PurgeRange(StoreCore& core, Db which, const std::string& begin, const std::string& end,
                  int64_t* deleted) {
  leveldb::DB* db = which == Db::kIndex ? core.db.get() : core.records.get();
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(ScanOptions()));
  it->Seek(begin);
  while (true) {
    leveldb::WriteBatch batch;
    int n = 0;
    for (; n < kPurgeBatchKeys && it->Valid() && it->key().compare(end) < 0; it->Next(), ++n)
      batch.Delete(it->key());
    if (!it->status().ok()) return FromLevelDb(it->status(), "retention scan");
    if (n == 0) return Status::OK();
    std::lock_guard write_lock(core.write_mu);
    Status s = which == Db::kIndex ? core.WriteIndex(&batch, /*sync=*/false)
                                   : core.WriteRecords(&batch, /*sync=*/false);
    if (!s.ok()) return s;
    *deleted += n;
  }
}

// After step 1 the block holding log_min must have its tail under log_min's key before the
// blocks below log_min are deleted (step 2, or PurgeLeftovers after a crash in between).
Status WriteTailBlock(StoreCore& core, leveldb::Iterator* records_it, int64_t log_min) {
  std::optional<Block> b = SeekBlock(records_it, log_min);
  if (!records_it->status().ok()) return FromLevelDb(records_it->status(), "retention scan");
  if (!b || b->start >= log_min) return Status::OK();
  const std::string_view tail = b->From(log_min);
  leveldb::WriteBatch batch;
  batch.Put(RecordKey(log_min), leveldb::Slice(tail.data(), tail.size()));
  return core.WriteRecords(&batch, /*sync=*/true);
}

// STORETIMESTAMP of the newest record starting in [lo, hi); nullopt when none does.
std::optional<int64_t> NewestStoreTimestamp(leveldb::Iterator* it, int64_t lo, int64_t hi) {
  std::optional<Block> block = SeekBlock(it, hi - 1);
  if (!block) {  // hi - 1 is past the log: start from the last block before hi
    SeekBefore(it, RecordKey(hi));
    block = BlockAt(it);
  }
  for (; block && block->end() > lo; it->Prev(), block = BlockAt(it)) {
    std::optional<int64_t> newest;
    int64_t pos = block->start;
    std::string_view rest = block->bytes;
    while (!rest.empty() && pos < hi) {
      const size_t len = EntryLength(rest);
      if (len == 0) break;
      int64_t ts = 0;
      // Blanks have no time: only records count.
      if (pos >= lo && static_cast<int32_t>(GetBig32(rest.data() + kMagicField)) == kMessageMagic &&
          ReadStoreTimestamp(rest.substr(0, len), &ts))
        newest = ts;
      rest.remove_prefix(len);
      pos += static_cast<int64_t>(len);
    }
    if (newest) return newest;
    if (block->start <= lo) break;
  }
  return std::nullopt;
}

// The first entry position at or after `position` (`end` when there is none).
int64_t FirstEntryAtOrAfter(leveldb::Iterator* it, int64_t position, int64_t end) {
  std::optional<Block> block = SeekBlock(it, position);
  if (!block) {
    it->Seek(RecordKey(position));
    block = BlockAt(it);
    return block ? std::min(block->start, end) : end;
  }
  int64_t pos = block->start;
  std::string_view rest = block->bytes;
  while (pos < position && !rest.empty()) {
    const size_t len = EntryLength(rest);
    if (len == 0) return block->end();
    rest.remove_prefix(len);
    pos += static_cast<int64_t>(len);
  }
  return std::min(pos, end);  // the block's end is the next block's start
}

// The first queue offset in [lo, hi) whose record starts at or after `position` (hi if none).
int64_t FirstOffsetAtOrAfter(leveldb::Iterator* it, std::string_view prefix, int64_t lo, int64_t hi,
                             int64_t position) {
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    std::optional<QueueEntry> e = FindEntry(it, prefix, mid);
    if (e && e->position >= position) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

struct MovedQueue {
  std::string name;
  int64_t old_min;
  int64_t new_min;
};

}  // namespace

Result<RetentionResult> DeleteExpiredUnits(StoreCore& core, const RetentionPolicy& policy) {
  std::lock_guard retention_lock(core.retention_mu);
  RetentionResult result;
  int64_t old_min = 0;
  int64_t new_min = 0;
  std::vector<MovedQueue> moved;
  {
    // Step 1: decide, and move the starts in one synced batch.
    std::lock_guard write_lock(core.write_mu);
    if (!core.broken.ok()) return core.broken;
    old_min = core.log_min.load(std::memory_order_relaxed);
    const int64_t end = core.log_end.load(std::memory_order_relaxed);
    const int64_t unit = core.options.unit_size;
    const int64_t active_unit = end / unit;  // never deleted: the unit being appended to
    std::unique_ptr<leveldb::Iterator> rit(core.records->NewIterator(ScanOptions()));
    int64_t k = old_min / unit;
    while (k < active_unit && result.units_deleted < policy.max_units) {
      std::optional<int64_t> newest =
          NewestStoreTimestamp(rit.get(), std::max(k * unit, old_min), (k + 1) * unit);
      if (!rit->status().ok()) return FromLevelDb(rit->status(), "retention scan");
      // A unit where no record starts (inside a large record, or blanks only) goes with its
      // predecessors and does not count against max_units.
      if (newest) {
        if (!policy.force && *newest >= policy.expire_before_ms) break;
        ++result.units_deleted;
      }
      ++k;
    }
    if (result.units_deleted == 0) {
      result.log_min = LogPosition(old_min);
      return result;
    }
    const int64_t cut = k * unit;
    new_min = FirstEntryAtOrAfter(rit.get(), cut, end);
    if (!rit->status().ok()) return FromLevelDb(rit->status(), "retention scan");
    // The new log_min is synced below: the records up to the end must be synced before it,
    // so that no power loss leaves the log starting above what the records DB holds.
    if (Status s = core.SyncLocked(/*force=*/false); !s.ok()) return s;

    leveldb::WriteBatch batch;
    std::unique_ptr<leveldb::Iterator> it(core.db->NewIterator(ScanOptions()));
    std::vector<std::pair<std::shared_ptr<QueueState>, int64_t>> queue_mins;
    for (const std::shared_ptr<QueueState>& q : core.queues.All()) {
      const int64_t q_min = q->min_offset.load(std::memory_order_relaxed);
      const int64_t q_max = q->max_offset.load(std::memory_order_relaxed);
      const std::string prefix = QueueEntryPrefix(q->name);
      const int64_t first = FirstOffsetAtOrAfter(it.get(), prefix, q_min, q_max, new_min);
      if (first == q_min) continue;
      // Likewise the run holding the queue's new min.
      if (std::optional<Run> run = SeekRun(it.get(), prefix, first); run && run->first < first) {
        const std::string_view tail = run->Slice(first, run->end());
        batch.Put(QueueEntryKey(q->name, first), leveldb::Slice(tail.data(), tail.size()));
      }
      batch.Put(QueueStateKey(q->name), EncodeQueueState(first, q_max));
      queue_mins.emplace_back(q, first);
      moved.push_back(MovedQueue{q->name, q_min, first});
    }
    if (!it->status().ok()) return FromLevelDb(it->status(), "retention scan");
    it.reset();
    batch.Put(LogKey(), EncodeLog(LogValue{new_min, end, core.last_store_timestamp, end}));  // synced
    if (Status s = core.WriteIndex(&batch, /*sync=*/true); !s.ok()) return s;
    // The block holding new_min keeps its tail under new_min's key (the rest goes in step 2).
    if (Status s = WriteTailBlock(core, rit.get(), new_min); !s.ok()) return s;
    rit.reset();
    core.log_min.store(new_min, std::memory_order_release);
    for (const auto& [q, first] : queue_mins) q->min_offset.store(first, std::memory_order_release);
  }
  result.log_min = LogPosition(new_min);

  // Step 2: delete what lies below the new starts.
  const int64_t bytes_before = DirectoryBytes(core.options.db_dir);
  int64_t deleted = 0;
  const std::string records_begin = RecordKey(old_min);
  const std::string records_end = RecordKey(new_min);
  Status s = PurgeRange(core, Db::kRecords, records_begin, records_end, &deleted);
  for (const MovedQueue& m : moved) {
    if (!s.ok()) break;
    s = PurgeRange(core, Db::kIndex, QueueEntryKey(m.name, m.old_min), QueueEntryKey(m.name, m.new_min),
                   &deleted);
  }
  const int64_t first_bucket = old_min / core.key_bucket_size;
  const int64_t live_bucket = new_min / core.key_bucket_size;  // holds live entries: kept
  const std::string keys_begin = KeyIndexBucketStart(first_bucket);
  const std::string keys_end = KeyIndexBucketStart(live_bucket);
  if (s.ok() && live_bucket > first_bucket) s = PurgeRange(core, Db::kIndex, keys_begin, keys_end, &deleted);
  if (!s.ok()) {
    // The starts moved already, so reads are right; the next open purges what is left.
    core.log->error("retention: deleting below {} failed: {}", new_min, s.ToString());
    return s;
  }

  // Step 3: give the disk back (queue entries are small; LevelDB's own compactions take them).
  const leveldb::Slice rb(records_begin), re(records_end);
  core.records->CompactRange(&rb, &re);
  if (live_bucket > first_bucket) {
    const leveldb::Slice kb(keys_begin), ke(keys_end);
    core.db->CompactRange(&kb, &ke);
  }
  result.bytes_freed = std::max<int64_t>(0, bytes_before - DirectoryBytes(core.options.db_dir));
  core.log->info(
      "retention: deleted {} units, log now starts at {} (was {}), {} keys removed, {} bytes freed",
      result.units_deleted, new_min, old_min, deleted, result.bytes_freed);
  return result;
}

Status PurgeLeftovers(StoreCore& core) {
  const int64_t min = core.log_min.load();
  int64_t deleted = 0;
  std::unique_ptr<leveldb::Iterator> rit(core.records->NewIterator(ScanOptions()));
  if (min > 0) {
    std::lock_guard write_lock(core.write_mu);
    if (Status s = WriteTailBlock(core, rit.get(), min); !s.ok()) return s;
  }
  SeekBefore(rit.get(), RecordKey(min));
  const bool records_left = rit->Valid() && IsRecordKey(View(rit->key()));
  if (!rit->status().ok()) return FromLevelDb(rit->status(), "open scan");
  rit.reset();
  std::unique_ptr<leveldb::Iterator> it(core.db->NewIterator(ScanOptions()));
  const int64_t bucket = min / core.key_bucket_size;
  SeekBefore(it.get(), KeyIndexBucketStart(bucket));
  const bool keys_left = it->Valid() && !it->key().empty() && it->key()[0] == kKeyIndexTag;
  if (!it->status().ok()) return FromLevelDb(it->status(), "open scan");
  it.reset();
  if (records_left)
    if (Status s = PurgeRange(core, Db::kRecords, RecordKey(0), RecordKey(min), &deleted); !s.ok()) return s;
  if (keys_left)
    if (Status s =
            PurgeRange(core, Db::kIndex, KeyIndexBucketStart(0), KeyIndexBucketStart(bucket), &deleted);
        !s.ok())
      return s;
  it.reset(core.db->NewIterator(ScanOptions()));
  for (const std::shared_ptr<QueueState>& q : core.queues.All()) {
    const int64_t q_min = q->min_offset.load();
    if (q_min == 0) continue;
    const std::string prefix = QueueEntryPrefix(q->name);
    SeekBefore(it.get(), QueueEntryKey(q->name, q_min));
    if (!it->status().ok()) return FromLevelDb(it->status(), "open scan");
    if (!RunAt(it.get(), prefix)) continue;
    if (Status s =
            PurgeRange(core, Db::kIndex, QueueEntryKey(q->name, 0), QueueEntryKey(q->name, q_min), &deleted);
        !s.ok())
      return s;
  }
  if (deleted > 0)
    core.log->warn("deleted {} entries left below the log start by an interrupted retention", deleted);
  return Status::OK();
}

}  // namespace sprocket::leveldb_store
