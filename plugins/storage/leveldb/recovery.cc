#include "recovery.h"

#include <leveldb/iterator.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "indexer.h"
#include "keys.h"
#include "layout.h"

namespace sprocket::leveldb_store {

namespace {

// Keys per batch when deleting, and record bytes per index batch when rebuilding: bounds the
// batches whatever the range holds.
constexpr int kBatchKeys = 10000;
constexpr size_t kReindexBatchBytes = 4 << 20;

// The first offset of `run` whose record starts at or after `cut` (positions grow with the
// offsets of a queue); run.end() when none does.
int64_t FirstOffsetFrom(const Run& run, int64_t cut) {
  int64_t lo = run.first;
  int64_t hi = run.end();
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    std::optional<QueueEntry> e = run.At(mid);
    if (e && e->position >= cut) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// Walks the records DB from `from` (an entry boundary), indexing every entry while they
// follow each other; returns where the log ends: the first gap, the first entry that is not
// a sane record or blank continuing its queue, or the last block's end.
Result<int64_t> Reindex(StoreCore& core, int64_t from) {
  leveldb::ReadOptions ro;
  ro.fill_cache = false;  // a one-off pass
  std::unique_ptr<leveldb::Iterator> it(core.records->NewIterator(ro));
  std::optional<Block> block = SeekBlock(it.get(), from);
  if (block && !EntryStartsAt(*block, from))
    return Status::Corruption("leveldb: " + core.options.RecordsDir() + ": no entry starts at log position " +
                              std::to_string(from) + ", where the synced part of the index ends");
  if (!block) {
    it->Seek(RecordKey(from));
    block = BlockAt(it.get());
  }
  int64_t pos = from;
  int64_t indexed = 0;
  leveldb::WriteBatch batch;
  auto indexer = std::make_unique<LogIndexer>(core, &batch);
  size_t batch_bytes = 0;
  // Writes what the indexer holds; the in-memory ends follow.
  auto write = [&]() -> Status {
    if (batch_bytes == 0) return Status::OK();
    indexer->Finish();
    core.last_store_timestamp = indexer->last_store_timestamp();
    batch.Put(LogKey(), EncodeLog(core.LogValueAt(pos, /*synced=*/false)));
    if (Status s = core.WriteIndex(&batch, /*sync=*/false); !s.ok()) return s;
    indexer->Publish();
    indexed += indexer->records();
    core.log_end.store(pos, std::memory_order_release);
    batch.Clear();
    indexer = std::make_unique<LogIndexer>(core, &batch);
    batch_bytes = 0;
    return Status::OK();
  };
  bool stopped = false;
  while (!stopped && block && block->start <= pos && pos < block->end()) {
    std::string_view rest = block->From(pos);
    while (!rest.empty()) {
      const size_t len = EntryLength(rest);
      Status added = len == 0 ? Status::Corruption("leveldb: bad entry length at " + std::to_string(pos))
                              : indexer->Add(pos, rest.substr(0, len));
      if (!added.ok()) {
        core.log->warn("{}: the log ends at {}: {}", core.options.db_dir, pos, added.message());
        stopped = true;
        break;
      }
      rest.remove_prefix(len);
      pos += static_cast<int64_t>(len);
      batch_bytes += len;
    }
    if (batch_bytes >= kReindexBatchBytes)
      if (Status s = write(); !s.ok()) return s;
    if (stopped) break;
    it->Next();
    block = BlockAt(it.get());
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "reading records");
  if (Status s = write(); !s.ok()) return s;
  if (pos > from)
    core.log->info("{}: rebuilt the index of log positions [{}, {}) ({} records) from the records DB",
                   core.options.db_dir, from, pos, indexed);
  return pos;
}

}  // namespace

Status TruncateIndexFrom(StoreCore& core, int64_t cut) {
  const int64_t end = core.log_end.load(std::memory_order_relaxed);
  leveldb::WriteBatch batch;
  std::unique_ptr<leveldb::Iterator> it(core.db->NewIterator(leveldb::ReadOptions()));
  struct NewRange {
    std::shared_ptr<QueueState> queue;
    int64_t min, max;
  };
  std::vector<NewRange> moved;
  // Each queue's runs from its last one back, down to the first run below the cut. Positions
  // grow with the offsets of a queue, so what goes is a tail of its offsets; the queue's
  // state says nothing of where a hole in LevelDB's log (a lost batch) left gaps, so the
  // runs themselves say where the queue now ends.
  for (const std::shared_ptr<QueueState>& q : core.queues.All()) {
    const std::string prefix = QueueEntryPrefix(q->name);
    const int64_t q_min = q->min_offset.load(std::memory_order_relaxed);
    const int64_t q_max = q->max_offset.load(std::memory_order_relaxed);
    std::optional<int64_t> first_cut;  // lowest offset dropped
    std::optional<int64_t> kept_end;   // end of the last run kept (after cutting it)
    SeekBefore(it.get(), PrefixEnd(prefix));
    for (std::optional<Run> run = RunAt(it.get(), prefix); run; it->Prev(), run = RunAt(it.get(), prefix)) {
      const std::optional<QueueEntry> last = run->At(run->end() - 1);
      if (!last)
        return Status::Corruption("leveldb: " + q->topic + "/" + std::to_string(q->queue_id) +
                                  ": bad queue entry at offset " + std::to_string(run->end() - 1));
      if (last->position < cut) {
        kept_end = run->end();
        break;
      }
      const int64_t from = FirstOffsetFrom(*run, cut);
      first_cut = from;
      if (from > run->first) {
        const std::string_view keep = run->Slice(run->first, from);
        batch.Put(it->key(), leveldb::Slice(keep.data(), keep.size()));
        kept_end = from;
        break;
      }
      batch.Delete(it->key());
    }
    if (!it->status().ok()) return FromLevelDb(it->status(), "truncating the index");
    if (!first_cut) continue;
    const int64_t max = kept_end ? std::min(*kept_end, *first_cut) : std::min(q_min, *first_cut);
    const int64_t min = std::min(q_min, max);
    if (max == 0) {
      batch.Delete(QueueStateKey(q->name));  // nothing left: the queue no longer exists
    } else {
      batch.Put(QueueStateKey(q->name), EncodeQueueState(min, max));
    }
    if (max != q_max || min != q_min) moved.push_back(NewRange{q, min, max});
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
  if (!it->status().ok()) return FromLevelDb(it->status(), "truncating the index");
  it.reset();

  batch.Put(LogKey(), EncodeLog(core.LogValueAt(cut, /*synced=*/true)));
  if (Status s = core.WriteIndex(&batch, /*sync=*/true); !s.ok()) return s;
  for (const NewRange& m : moved) {
    m.queue->max_offset.store(m.max, std::memory_order_release);
    m.queue->min_offset.store(m.min, std::memory_order_release);
    if (m.max == 0) core.queues.Remove(m.queue->name);
  }
  core.log_end.store(cut, std::memory_order_release);
  core.durable_end.store(cut, std::memory_order_release);
  core.index_synced_end.store(cut);
  core.log->info("{}: index truncated at log position {} (it ended at {}), {} queues moved back",
                 core.options.db_dir, cut, end, moved.size());
  return Status::OK();
}

Status CutRecordsFrom(StoreCore& core, int64_t cut, bool mark) {
  std::unique_ptr<leveldb::Iterator> it(core.records->NewIterator(leveldb::ReadOptions()));
  leveldb::WriteBatch batch;
  if (mark) {
    char v[8];
    PutBig64(v, static_cast<uint64_t>(cut));
    batch.Put(CutKey(), leveldb::Slice(v, sizeof v));
  }
  if (std::optional<Block> block = SeekBlock(it.get(), cut)) {
    // The block holding the cut keeps what lies before it.
    if (block->start < cut) {
      batch.Put(it->key(), leveldb::Slice(block->bytes.data(), static_cast<size_t>(cut - block->start)));
    } else {
      batch.Delete(it->key());
    }
    it->Next();
  } else {
    it->Seek(RecordKey(cut));
  }
  int n = 0;
  // Nothing but blocks sorts after a block in the records DB ('M' < 'R'): every later key goes.
  for (; it->Valid(); it->Next()) {
    batch.Delete(it->key());
    if (++n == kBatchKeys) {
      if (Status s = core.WriteRecords(&batch, /*sync=*/true); !s.ok()) return s;
      batch.Clear();
      n = 0;
    }
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "cutting the records");
  return core.WriteRecords(&batch, /*sync=*/true);
}

Status RecoverAtOpen(StoreCore& core, int64_t synced_end) {
  std::lock_guard write_lock(core.write_mu);
  const int64_t log_min = core.log_min.load();
  const int64_t log_end = core.log_end.load();
  std::unique_ptr<leveldb::Iterator> it(core.records->NewIterator(leveldb::ReadOptions()));
  it->SeekToLast();
  const std::optional<Block> last = BlockAt(it.get());
  if (!it->status().ok()) return FromLevelDb(it->status(), "open " + core.options.RecordsDir());
  it.reset();
  const int64_t records_end = last ? std::max(last->end(), log_min) : log_min;
  if (synced_end >= log_end && records_end == log_end) return Status::OK();  // closed cleanly
  if (records_end < synced_end) {
    // Synced records are gone, unless a TruncateLog cut them and stopped before the index.
    std::string cut_mark;
    leveldb::Status g = core.records->Get(leveldb::ReadOptions(), CutKey(), &cut_mark);
    if (!g.ok() && !g.IsNotFound()) return FromLevelDb(g, "open " + core.options.RecordsDir());
    if (!g.ok() || cut_mark.size() != 8 || static_cast<int64_t>(GetBig64(cut_mark.data())) != records_end)
      return Status::Corruption("leveldb: " + core.options.RecordsDir() + " ends at log position " +
                                std::to_string(records_end) + ", but the index says everything below " +
                                std::to_string(synced_end) + " was synced");
    core.log->warn("{}: finishing a TruncateLog at {} that stopped before the index was cut",
                   core.options.db_dir, records_end);
    leveldb::WriteBatch unmark;  // synced with the rest below
    unmark.Delete(CutKey());
    if (Status s = core.WriteRecords(&unmark, /*sync=*/false); !s.ok()) return s;
  }

  // Below `cut` both databases hold the same log: the index was synced that far after the
  // records were, and the records end no lower (they end lower only where an interrupted
  // TruncateLog cut them, and the index then follows them). Above it, the index may miss
  // batches (a power loss) or records (appends whose index batch was never written): it is
  // rebuilt from the records.
  const int64_t cut = std::max(log_min, std::min({synced_end, log_end, records_end}));
  if (log_end > cut)
    if (Status s = TruncateIndexFrom(core, cut); !s.ok()) return s;
  Result<int64_t> end = Reindex(core, cut);
  if (!end.ok()) return end.status();
  if (records_end > *end) {
    core.log->warn(
        "{}: the records DB does not continue the log after position {} (it ends at {}): a power loss "
        "left a hole in LevelDB's unsynced log tail; what follows is dropped so that the log stays a prefix",
        core.options.RecordsDir(), *end, records_end);
    if (Status s = CutRecordsFrom(core, *end); !s.ok()) return s;
  }
  // Everything LevelDB recovered is in synced tables; this records it.
  return core.SyncLocked(/*force=*/true);
}

}  // namespace sprocket::leveldb_store
