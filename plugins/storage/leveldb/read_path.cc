#include "read_path.h"

#include <leveldb/iterator.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "keys.h"
#include "layout.h"
#include "record.h"

namespace sprocket::leveldb_store {

namespace {

// Releases a LevelDB snapshot when the read is done.
class SnapshotGuard {
 public:
  explicit SnapshotGuard(leveldb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~SnapshotGuard() { db_->ReleaseSnapshot(snapshot_); }
  SnapshotGuard(const SnapshotGuard&) = delete;
  SnapshotGuard& operator=(const SnapshotGuard&) = delete;
  leveldb::ReadOptions Options() const {
    leveldb::ReadOptions o;
    o.snapshot = snapshot_;
    return o;
  }

 private:
  leveldb::DB* db_;
  const leveldb::Snapshot* snapshot_;
};

bool StartsWith(const leveldb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

struct Chosen {
  QueueEntry entry;
  int64_t offset;
};

// Copies the chosen records into one buffer, in order, stopping at the first one that is
// missing or does not look like its entry says: a consumer must never skip a record it was
// not given. Returns the views of the leading records read and, in *status, why it stopped.
std::vector<ByteView> CopyRecords(StoreCore& core, const std::vector<Chosen>& chosen,
                                  std::shared_ptr<const void>* hold, Status* status) {
  size_t total = 0;
  for (const Chosen& c : chosen) total += static_cast<size_t>(c.entry.size);
  auto buffer = std::make_shared<std::string>(total, '\0');
  std::vector<ByteView> views;
  views.reserve(chosen.size());
  // The records DB is read after the index (its iterator's implicit snapshot is newer): the
  // records were written before the entries naming them.
  std::unique_ptr<leveldb::Iterator> it(core.records->NewIterator(leveldb::ReadOptions()));
  std::optional<Block> block;  // records of one queue are mostly in the same or the next block
  size_t at = 0;
  *status = Status::OK();
  for (const Chosen& c : chosen) {
    const QueueEntry& e = c.entry;
    if (!block || !block->Contains(e.position)) {
      if (block && it->Valid()) it->Next();
      block = BlockAt(it.get());
      if (!block || !block->Contains(e.position)) block = SeekBlock(it.get(), e.position);
    }
    if (!block) {
      *status = it->status().ok() ? Status::NotFound("no record at " + std::to_string(e.position))
                                  : FromLevelDb(it->status(), "reading record " + std::to_string(e.position));
      break;
    }
    const std::string_view v = block->From(e.position);
    if (v.size() < static_cast<size_t>(e.size) || EntryLength(v) != static_cast<size_t>(e.size) ||
        static_cast<int32_t>(GetBig32(v.data() + kMagicField)) != kMessageMagic) {
      *status = Status::Corruption("queue entry names a " + std::to_string(e.size) + "-byte record at " +
                                   std::to_string(e.position) + ", the log holds something else there");
      break;
    }
    char* dst = buffer->data() + at;
    std::memcpy(dst, v.data(), static_cast<size_t>(e.size));
    views.push_back(ByteView{dst, static_cast<size_t>(e.size)});
    at += static_cast<size_t>(e.size);
  }
  *hold = std::move(buffer);
  return views;
}

}  // namespace

ReadQueueResult ReadQueueRecords(StoreCore& core, std::string_view topic, int32_t queue_id,
                                 QueueOffset from_offset, const ReadLimits& limits, const TagFilter& filter) {
  ReadQueueResult r;
  std::shared_ptr<QueueState> q = core.queues.Find(topic, queue_id);
  if (!q) {
    r.outcome = ReadOutcome::kNoMatchedLogicQueue;
    return r;
  }
  const int64_t from = from_offset.value;
  const int64_t max = q->max_offset.load(std::memory_order_acquire);
  const int64_t min = std::min(q->min_offset.load(std::memory_order_acquire), max);
  r.min_offset = QueueOffset(min);
  r.max_offset = QueueOffset(max);
  r.next_offset = from_offset;
  if (max == 0) {  // RocketMQ tests maxOffset == 0 first, whatever was asked
    r.outcome = ReadOutcome::kNoMessageInQueue;
    r.next_offset = QueueOffset(0);
    return r;
  }
  if (from < min) {
    r.outcome = ReadOutcome::kOffsetTooSmall;
    r.next_offset = QueueOffset(min);
    return r;
  }
  if (from == max) {
    r.outcome = ReadOutcome::kOffsetOverflowOne;
    return r;
  }
  if (from > max) {
    r.outcome = ReadOutcome::kOffsetOverflowBadly;
    r.next_offset = QueueOffset(max);
    return r;
  }

  SnapshotGuard snapshot(core.db.get());
  const leveldb::ReadOptions ro = snapshot.Options();
  const int64_t max_count = std::max<int64_t>(1, limits.max_count);
  const int64_t to_scan = std::min(max - from, std::max(kMinEntriesScanned, max_count));
  const std::string prefix = QueueEntryPrefix(q->name);
  std::vector<Chosen> chosen;
  int64_t bytes = 0;
  int64_t scanned = 0;
  {
    std::unique_ptr<leveldb::Iterator> it(core.db->NewIterator(ro));
    std::optional<Run> run = SeekRun(it.get(), prefix, from);
    while (run && scanned < to_scan) {
      const int64_t offset = from + scanned;
      if (!run->Contains(offset)) {
        it->Next();  // runs of a queue follow each other without gaps
        run = RunAt(it.get(), prefix);
        if (!run || run->first != offset) break;
      }
      std::optional<QueueEntry> e = run->At(offset);
      if (!e) {
        r.status = Status::Corruption(q->topic + "/" + std::to_string(queue_id) +
                                      ": bad queue entry at offset " + std::to_string(offset));
        break;
      }
      if (filter.Matches(e->tags_code)) {
        // Limits never leave a read empty: the first matching record is always taken.
        if (!chosen.empty() && bytes + e->size > limits.max_bytes) break;
        chosen.push_back(Chosen{*e, offset});
        bytes += e->size;
      }
      ++scanned;
      if (static_cast<int64_t>(chosen.size()) >= max_count) break;
    }
    if (r.status.ok() && !it->status().ok()) r.status = FromLevelDb(it->status(), "reading queue entries");
  }
  if (!r.status.ok()) {
    core.log->error("{}", r.status.ToString());
    return r;
  }
  if (scanned == 0) {
    // Retention may have removed the entries since the ends were loaded.
    const int64_t now_min = q->min_offset.load(std::memory_order_acquire);
    if (from < now_min) {
      r.outcome = ReadOutcome::kOffsetTooSmall;
      r.min_offset = QueueOffset(now_min);
      r.next_offset = QueueOffset(now_min);
      return r;
    }
    core.log->error("{}/{}: no queue entry at offset {} (queue range [{}, {}))", q->topic, queue_id, from,
                    min, max);
    r.outcome = ReadOutcome::kOffsetFoundNull;
    r.next_offset = QueueOffset(from + 1);
    return r;
  }
  r.next_offset = QueueOffset(from + scanned);
  if (!chosen.empty()) {
    Status copied;
    r.records = CopyRecords(core, chosen, &r.hold, &copied);
    if (!copied.ok()) {
      if (r.records.empty()) {
        if (chosen[0].entry.position < core.log_min.load(std::memory_order_acquire)) {
          r.outcome = ReadOutcome::kMessageWasRemoving;  // retention is deleting it right now
          r.next_offset = QueueOffset(std::max(from + 1, q->min_offset.load(std::memory_order_acquire)));
          return r;
        }
        core.log->error("{}/{} offset {}: {}", q->topic, queue_id, chosen[0].offset, copied.ToString());
        r.status = copied;
        r.next_offset = from_offset;
        return r;
      }
      // Hand over what was read; the next read starts at the unreadable record.
      r.next_offset = QueueOffset(chosen[r.records.size()].offset);
    }
  }
  r.outcome = r.records.empty() ? ReadOutcome::kNoMatchedMessage : ReadOutcome::kFound;
  return r;
}

QueueOffset FindOffsetForTime(StoreCore& core, std::string_view topic, int32_t queue_id,
                              int64_t timestamp_ms) {
  std::shared_ptr<QueueState> q = core.queues.Find(topic, queue_id);
  if (!q) return QueueOffset(0);
  int64_t hi = q->max_offset.load(std::memory_order_acquire);
  int64_t lo = std::min(q->min_offset.load(std::memory_order_acquire), hi);
  SnapshotGuard snapshot(core.db.get());
  std::unique_ptr<leveldb::Iterator> it(core.db->NewIterator(snapshot.Options()));
  const std::string prefix = QueueEntryPrefix(q->name);
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    std::optional<QueueEntry> e = FindEntry(it.get(), prefix, mid);
    // A missing entry (deleted meanwhile) counts as earlier than any time, keeping the search moving.
    if (e && e->store_timestamp >= timestamp_ms) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return QueueOffset(lo);
}

Result<RecordRead> ReadRecordAt(StoreCore& core, LogPosition position) {
  const int64_t pos = position.value;
  const int64_t min = core.log_min.load(std::memory_order_acquire);
  const int64_t end = core.log_end.load(std::memory_order_acquire);
  if (pos < min || pos >= end)
    return Status::NotFound("leveldb: no record at " + std::to_string(pos) + " (the log holds [" +
                            std::to_string(min) + ", " + std::to_string(end) + "))");
  std::unique_ptr<leveldb::Iterator> it(core.records->NewIterator(leveldb::ReadOptions()));
  std::optional<Block> block = SeekBlock(it.get(), pos);
  if (!it->status().ok()) return FromLevelDb(it->status(), "read at " + std::to_string(pos));
  if (!block || !EntryStartsAt(*block, pos))
    return Status::NotFound("leveldb: no record starts at " + std::to_string(pos));
  const std::string_view v = block->From(pos);
  const size_t len = EntryLength(v);
  if (static_cast<int32_t>(GetBig32(v.data() + kMagicField)) != kMessageMagic)
    return Status::NotFound("leveldb: no record starts at " + std::to_string(pos) + " (blank)");
  auto value = std::make_shared<std::string>(v.substr(0, len));
  RecordRead r;
  r.record = ByteView{value->data(), value->size()};
  r.hold = std::move(value);
  return r;
}

Result<std::vector<LogPosition>> LookupKeyPositions(StoreCore& core, std::string_view topic,
                                                    std::string_view key, int64_t begin_ms, int64_t end_ms,
                                                    int32_t max_results) {
  std::vector<LogPosition> out;
  if (max_results <= 0 || key.empty() || topic.size() > kMaxTopicBytes || key.size() > kMaxIndexKeyBytes)
    return out;
  const int64_t min = core.log_min.load(std::memory_order_acquire);
  const int64_t end = core.log_end.load(std::memory_order_acquire);
  if (end <= min) return out;
  std::unique_ptr<leveldb::Iterator> it(core.db->NewIterator(leveldb::ReadOptions()));
  std::vector<int64_t> in_bucket;
  // Newest bucket first; inside a bucket the keys are in position order.
  for (int64_t b = (end - 1) / core.key_bucket_size; b >= min / core.key_bucket_size; --b) {
    const std::string prefix = KeyIndexPrefix(b, topic, key);
    in_bucket.clear();
    for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
      const leveldb::Slice k = it->key();
      if (k.size() != prefix.size() + 8 || it->value().size() != 8) continue;
      const auto pos = static_cast<int64_t>(GetBig64(k.data() + prefix.size()));
      const auto ts = static_cast<int64_t>(GetBig64(it->value().data()));
      if (pos >= min && pos < end && ts >= begin_ms && ts <= end_ms) in_bucket.push_back(pos);
    }
    if (!it->status().ok()) return FromLevelDb(it->status(), "key index lookup");
    for (auto p = in_bucket.rbegin(); p != in_bucket.rend(); ++p) {
      out.push_back(LogPosition(*p));
      if (static_cast<int32_t>(out.size()) >= max_results) return out;
    }
  }
  return out;
}

Result<LogChunk> ReadLogChunk(StoreCore& core, LogPosition from, int64_t max_bytes) {
  const int64_t start = from.value;
  const int64_t min = core.log_min.load(std::memory_order_acquire);
  const int64_t end = core.log_end.load(std::memory_order_acquire);
  if (start < min)
    return Status::NotFound("leveldb: log position " + std::to_string(start) +
                            " was deleted (log starts at " + std::to_string(min) + ")");
  if (start > end)
    return Status::InvalidArgument("leveldb: log position " + std::to_string(start) +
                                   " is past the log end " + std::to_string(end));
  LogChunk chunk;
  chunk.start = from;
  chunk.next = from;
  if (start == end) {
    chunk.hold = std::make_shared<std::string>();
    return chunk;
  }
  auto buffer = std::make_shared<std::string>();
  buffer->reserve(
      static_cast<size_t>(std::clamp<int64_t>(max_bytes, 0, std::min<int64_t>(end - start, 64 << 20))));
  std::unique_ptr<leveldb::Iterator> it(core.records->NewIterator(leveldb::ReadOptions()));
  std::optional<Block> block = SeekBlock(it.get(), start);
  if (block && !EntryStartsAt(*block, start)) block.reset();
  int64_t at = start;
  // Whole entries, as many as fit in max_bytes (at least one).
  while (block && block->start <= at && at < end) {
    std::string_view rest = block->From(at);
    size_t take = 0;
    while (take < rest.size()) {
      const size_t len = EntryLength(rest.substr(take));
      if (len == 0)
        return Status::Corruption("leveldb: bad entry in the log at " + std::to_string(at + take));
      if ((!buffer->empty() || take > 0) && static_cast<int64_t>(buffer->size() + take + len) > max_bytes)
        break;
      take += len;
    }
    buffer->append(rest.data(), take);
    at += static_cast<int64_t>(take);
    if (take < rest.size()) break;  // max_bytes reached inside this block
    it->Next();
    block = BlockAt(it.get());
    if (block && block->start != at) break;  // not the next block: stop at a boundary
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "ReadLog");
  if (buffer->empty()) {
    if (start < core.log_min.load(std::memory_order_acquire))
      return Status::NotFound("leveldb: log position " + std::to_string(start) + " was deleted");
    return Status::InvalidArgument("leveldb: no entry starts at log position " + std::to_string(start));
  }
  chunk.next = LogPosition(at);
  chunk.bytes = ByteView{buffer->data(), buffer->size()};
  chunk.hold = std::move(buffer);
  return chunk;
}

}  // namespace sprocket::leveldb_store
