#include "replication.h"

#include <leveldb/iterator.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "keys.h"
#include "layout.h"
#include "record.h"

namespace sprocket::leveldb_store {

namespace {

// A queue's range as a replicated chunk moves it.
struct StagedQueue {
  int64_t min;
  int64_t max;
  int64_t run_first = 0;  // offset of the chunk's first entry for the queue
};

}  // namespace

Status AppendReplicaChunk(StoreCore& core, LogPosition at_position, ByteView chunk) {
  std::lock_guard write_lock(core.write_mu);
  if (!core.broken.ok()) return core.broken;
  const int64_t at = at_position.value;
  const int64_t end = core.log_end.load(std::memory_order_relaxed);
  // Nothing was ever stored when the log ends at 0: records take bytes, so any write moves it.
  const bool restart_log = at != end;
  if (restart_log && (end != 0 || at < 0))
    return Status::InvalidArgument("leveldb: AppendReplica at " + std::to_string(at) +
                                   ", but the log ends at " + std::to_string(end));

  leveldb::WriteBatch batch;
  std::unordered_map<QueueState*, StagedQueue> staged;
  std::unordered_map<QueueState*, std::string> runs;  // this chunk's entries per queue (consecutive)
  const std::string_view bytes(chunk.data, chunk.size);
  // Blocks are cut from the chunk at entry boundaries, as the writer cuts them.
  size_t block_begin = 0;
  auto put_block = [&](size_t from, size_t to) {
    if (to > from)
      batch.Put(RecordKey(at + static_cast<int64_t>(from)), leveldb::Slice(bytes.data() + from, to - from));
  };
  int64_t pos = at;
  int64_t last_ts = core.last_store_timestamp;
  int64_t records = 0;
  char entry[kQueueEntryValueSize];
  size_t p = 0;
  while (p < bytes.size()) {
    const std::string where = "leveldb: replicated entry at " + std::to_string(pos);
    if (bytes.size() - p < 8) return Status::Corruption(where + ": truncated header");
    const auto len = static_cast<int32_t>(GetBig32(bytes.data() + p));
    const uint32_t magic = GetBig32(bytes.data() + p + kMagicField);
    if (len < kMinBlankSize || static_cast<size_t>(len) > bytes.size() - p)
      return Status::Corruption(where + ": length " + std::to_string(len) + " does not fit the chunk");
    const std::string_view e = bytes.substr(p, static_cast<size_t>(len));
    if (p > block_begin && p - block_begin + e.size() > kMaxBlockBytes) {
      put_block(block_begin, p);
      block_begin = p;
    }
    if (magic == kBlankMagic) {
      // Kept as received; nothing indexes it.
    } else if (static_cast<int32_t>(magic) == kMessageMagic) {
      Result<RecordFields> f = ParseRecord(e);
      if (!f.ok()) return Status::Corruption(where + ": " + f.status().message());
      if (f->physical_offset != pos)
        return Status::Corruption(where + ": its PHYSICALOFFSET says " + std::to_string(f->physical_offset));
      if (f->topic.empty() || f->queue_id < 0 || f->queue_offset < 0)
        return Status::Corruption(where + ": bad topic, queue id or queue offset");
      QueueState* q = core.queues.FindOrCreate(f->topic, f->queue_id).get();
      auto [it, fresh] = staged.try_emplace(q, StagedQueue{q->min_offset.load(), q->max_offset.load(), 0});
      StagedQueue& sq = it->second;
      if (f->queue_offset != sq.max) {
        // A queue without entries (new, or emptied by retention) starts where the leader's is.
        if (sq.min != sq.max || f->queue_offset < sq.max)
          return Status::Corruption(where + ": " + std::string(f->topic) + "/" + std::to_string(f->queue_id) +
                                    " queue offset " + std::to_string(f->queue_offset) + ", expected " +
                                    std::to_string(sq.max));
        sq.min = f->queue_offset;
      }
      sq.max = f->queue_offset + 1;
      EncodeQueueEntry(
          QueueEntry{pos, len, TagsCodeFromRecord(*f, core.options.delay_level_ms), f->store_timestamp},
          entry);
      std::string& run = runs[q];
      if (run.empty()) sq.run_first = f->queue_offset;
      run.append(entry, sizeof entry);
      char ts[8];
      PutBig64(ts, static_cast<uint64_t>(f->store_timestamp));
      const std::string keys = KeysFromRecord(*f);
      for (std::string_view key : SplitIndexKeys(keys))
        batch.Put(KeyIndexKey(pos / core.key_bucket_size, f->topic, key, pos), leveldb::Slice(ts, sizeof ts));
      last_ts = std::max(last_ts, f->store_timestamp);
      ++records;
    } else {
      return Status::Corruption(where + ": bad magic " + std::to_string(static_cast<int32_t>(magic)));
    }
    pos += len;
    p += static_cast<size_t>(len);
  }

  put_block(block_begin, bytes.size());
  for (const auto& [q, sq] : staged) {
    batch.Put(QueueEntryKey(q->name, sq.run_first), runs[q]);
    batch.Put(QueueStateKey(q->name), EncodeQueueState(sq.min, sq.max));
  }
  const int64_t new_min = restart_log ? at : core.log_min.load(std::memory_order_relaxed);
  batch.Put(LogKey(),
            EncodeLog(LogValue{new_min, pos, last_ts,
                               core.options.sync_flush ? pos : std::min(pos, core.durable_end.load())}));
  if (Status s = core.Write(&batch, core.options.sync_flush); !s.ok()) return s;

  core.last_store_timestamp = last_ts;
  for (const auto& [q, sq] : staged) {
    q->min_offset.store(sq.min, std::memory_order_release);
    q->max_offset.store(sq.max, std::memory_order_release);
  }
  if (restart_log) {
    core.log_min.store(at, std::memory_order_release);
    core.AdvanceDurable(at);
  }
  core.log_end.store(pos, std::memory_order_release);
  core.records_appended.fetch_add(records, std::memory_order_relaxed);
  if (core.options.sync_flush) core.AdvanceDurable(pos);
  return Status::OK();
}

namespace {

// Drops every entry at or after `cut` with its queue and key-index entries, in one synced
// batch. Called under write_mu. `cut` is a record boundary (TruncateLog), or the end of the
// last block before a hole that LevelDB's recovery left (RepairLogTail): then no block holds
// `cut` and queues may miss entries below the first truncated ones.
Status TruncateFrom(StoreCore& core, int64_t cut, bool at_hole) {
  const int64_t end = core.log_end.load(std::memory_order_relaxed);
  leveldb::WriteBatch batch;
  std::map<std::string, int64_t> first_cut;  // queue name -> its first truncated offset
  std::unique_ptr<leveldb::Iterator> it(core.db->NewIterator(leveldb::ReadOptions()));
  std::optional<Block> block;
  int64_t from = cut;
  if (at_hole) {
    it->Seek(RecordKey(cut));
    block = BlockAt(it.get());
    if (block) {
      batch.Delete(it->key());
      from = block->start;
    }
  } else {
    block = SeekBlock(it.get(), cut);
    if (!block || !EntryStartsAt(*block, cut))
      return Status::InvalidArgument("leveldb: TruncateLog at " + std::to_string(cut) +
                                     ": no record starts there");
    // The block holding the cut keeps what lies before it.
    if (block->start < cut) {
      batch.Put(RecordKey(block->start),
                leveldb::Slice(block->bytes.data(), static_cast<size_t>(cut - block->start)));
    } else {
      batch.Delete(RecordKey(block->start));
    }
  }
  // Every later block goes; their records say which queue entries go with them.
  while (block) {
    std::string_view rest = block->From(from);
    int64_t pos = from;
    while (!rest.empty()) {
      const size_t len = EntryLength(rest);
      if (len == 0) return Status::Corruption("leveldb: truncating: bad entry at " + std::to_string(pos));
      const std::string_view v = rest.substr(0, len);
      if (static_cast<int32_t>(GetBig32(v.data() + kMagicField)) == kMessageMagic) {
        Result<RecordFields> f = ParseRecord(v);
        if (!f.ok())
          return Status::Corruption("leveldb: truncating: record at " + std::to_string(pos) + ": " +
                                    f.status().message());
        auto [q, fresh] = first_cut.try_emplace(QueueName(f->topic, f->queue_id), f->queue_offset);
        q->second = std::min(q->second, f->queue_offset);
      }
      rest.remove_prefix(len);
      pos += static_cast<int64_t>(len);
    }
    it->Next();
    block = BlockAt(it.get());
    if (block) {
      batch.Delete(it->key());
      from = block->start;
    }
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "truncating");

  // Queue runs: the run holding a queue's first truncated offset keeps what lies before it,
  // later runs go. The queue ends where its remaining runs do (below a hole, that is before
  // the first truncated offset).
  struct NewRange {
    std::shared_ptr<QueueState> queue;
    int64_t min, max;
  };
  std::vector<NewRange> moved;
  for (const auto& [name, first] : first_cut) {
    const std::string prefix = QueueEntryPrefix(name);
    size_t used = 0;
    auto parsed = ParseQueueName(name, &used);
    std::shared_ptr<QueueState> q = core.queues.Find(parsed->first, parsed->second);
    const int64_t q_min = q ? q->min_offset.load() : first;
    int64_t max = first;
    std::optional<Run> run = SeekRun(it.get(), prefix, first);
    if (run && run->first < first) {
      const std::string_view keep = run->Slice(run->first, first);
      batch.Put(it->key(), leveldb::Slice(keep.data(), keep.size()));
      it->Next();
    } else {
      // The queue ends where its last run before `first` does: at `first` when runs are
      // contiguous, lower when a hole swallowed runs (their batch) before it.
      SeekBefore(it.get(), QueueEntryKey(name, first));
      std::optional<Run> before = RunAt(it.get(), prefix);
      max = before ? std::min(before->end(), first) : std::min(q_min, first);
      it->Seek(QueueEntryKey(name, first));
    }
    for (; RunAt(it.get(), prefix); it->Next()) batch.Delete(it->key());
    const int64_t min = std::min(q_min, max);
    if (max == 0) {
      batch.Delete(QueueStateKey(name));  // nothing left: the queue no longer exists
    } else {
      batch.Put(QueueStateKey(name), EncodeQueueState(min, max));
    }
    if (q) moved.push_back(NewRange{q, min, max});
  }
  // Key-index entries at or after the cut: their buckets start at cut's.
  for (int64_t b = cut / core.key_bucket_size; b <= std::max(cut, end - 1) / core.key_bucket_size; ++b) {
    const std::string first = KeyIndexBucketStart(b);
    const std::string last = KeyIndexBucketStart(b + 1);
    for (it->Seek(first); it->Valid() && it->key().compare(last) < 0; it->Next()) {
      const leveldb::Slice k = it->key();
      if (k.size() >= 17 && static_cast<int64_t>(GetBig64(k.data() + k.size() - 8)) >= cut) batch.Delete(k);
    }
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "truncating");
  it.reset();

  batch.Put(LogKey(), EncodeLog(core.LogValueAt(cut, /*synced=*/true)));
  if (Status s = core.Write(&batch, /*sync=*/true); !s.ok()) return s;
  for (const NewRange& m : moved) {
    m.queue->max_offset.store(m.max, std::memory_order_release);
    m.queue->min_offset.store(m.min, std::memory_order_release);
    if (m.max == 0) core.queues.Remove(m.queue->name);
  }
  core.log_end.store(cut, std::memory_order_release);
  core.durable_end.store(cut, std::memory_order_release);
  core.log->info("log truncated at {} (it ended at {}), {} queues moved back", cut, end, moved.size());
  return Status::OK();
}

}  // namespace

Status TruncateLogAt(StoreCore& core, LogPosition position) {
  std::lock_guard write_lock(core.write_mu);
  if (!core.broken.ok()) return core.broken;
  const int64_t cut = position.value;
  const int64_t min = core.log_min.load(std::memory_order_relaxed);
  const int64_t end = core.log_end.load(std::memory_order_relaxed);
  if (cut > end)
    return Status::InvalidArgument("leveldb: TruncateLog at " + std::to_string(cut) +
                                   " is past the log end " + std::to_string(end));
  if (cut == end) return Status::OK();
  if (cut < min)
    return Status::InvalidArgument("leveldb: TruncateLog at " + std::to_string(cut) +
                                   " is below the first readable position " + std::to_string(min));
  return TruncateFrom(core, cut, /*at_hole=*/false);
}

Status RepairLogTail(StoreCore& core, int64_t synced_end) {
  std::lock_guard write_lock(core.write_mu);
  const int64_t end = core.log_end.load(std::memory_order_relaxed);
  int64_t expected = std::max(synced_end, core.log_min.load(std::memory_order_relaxed));
  if (expected >= end) return Status::OK();
  // Blocks above the synced position must follow each other without a gap up to the end.
  std::unique_ptr<leveldb::Iterator> it(core.db->NewIterator(leveldb::ReadOptions()));
  std::optional<Block> block = SeekBlock(it.get(), expected);
  if (!block) {
    it->Seek(RecordKey(expected));
    block = BlockAt(it.get());
  }
  for (; block && block->start <= expected && expected < end; it->Next(), block = BlockAt(it.get()))
    expected = block->end();
  if (!it->status().ok()) return FromLevelDb(it->status(), "open scan");
  it.reset();
  if (expected >= end) return Status::OK();
  core.log->warn(
      "{}: LevelDB's recovery left a hole at log position {} (the log claims {}); the "
      "unsynced entries after it are dropped so that the log stays a prefix",
      core.options.db_dir, expected, end);
  return TruncateFrom(core, expected, /*at_hole=*/true);
}

}  // namespace sprocket::leveldb_store
