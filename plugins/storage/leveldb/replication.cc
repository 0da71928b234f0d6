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

#include "indexer.h"
#include "keys.h"
#include "layout.h"
#include "record.h"
#include "recovery.h"

namespace sprocket::leveldb_store {

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

  leveldb::WriteBatch records;
  leveldb::WriteBatch batch;
  LogIndexer indexer(core, &batch);
  const std::string_view bytes(chunk.data, chunk.size);
  // Blocks are cut from the chunk at entry boundaries, as the writer cuts them.
  size_t block_begin = 0;
  auto put_block = [&](size_t from, size_t to) {
    if (to > from)
      records.Put(RecordKey(at + static_cast<int64_t>(from)), leveldb::Slice(bytes.data() + from, to - from));
  };
  int64_t pos = at;
  size_t p = 0;
  while (p < bytes.size()) {
    const std::string where = "leveldb: replicated entry at " + std::to_string(pos);
    if (bytes.size() - p < 8) return Status::Corruption(where + ": truncated header");
    const auto len = static_cast<int32_t>(GetBig32(bytes.data() + p));
    if (len < kMinBlankSize || static_cast<size_t>(len) > bytes.size() - p)
      return Status::Corruption(where + ": length " + std::to_string(len) + " does not fit the chunk");
    const std::string_view e = bytes.substr(p, static_cast<size_t>(len));
    if (p > block_begin && p - block_begin + e.size() > kMaxBlockBytes) {
      put_block(block_begin, p);
      block_begin = p;
    }
    if (Status s = indexer.Add(pos, e); !s.ok()) return s;
    pos += len;
    p += static_cast<size_t>(len);
  }

  put_block(block_begin, bytes.size());
  indexer.Finish();
  const int64_t new_min = restart_log ? at : core.log_min.load(std::memory_order_relaxed);
  const bool sync = core.options.sync_flush;
  batch.Put(LogKey(), EncodeLog(LogValue{new_min, pos, indexer.last_store_timestamp(),
                                         sync ? pos : std::min(pos, core.index_synced_end.load())}));
  // The records first: an index entry never names a record the records DB lacks.
  if (Status s = core.WriteRecords(&records, sync); !s.ok()) return s;
  if (Status s = core.WriteIndex(&batch, sync); !s.ok()) return s;

  core.last_store_timestamp = indexer.last_store_timestamp();
  indexer.Publish();
  if (restart_log) {
    core.log_min.store(at, std::memory_order_release);
    core.AdvanceDurable(at);
  }
  core.log_end.store(pos, std::memory_order_release);
  core.records_appended.fetch_add(indexer.records(), std::memory_order_relaxed);
  if (sync) {
    core.AdvanceDurable(pos);
    core.index_synced_end.store(pos);
  }
  return Status::OK();
}

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
  {
    std::unique_ptr<leveldb::Iterator> it(core.records->NewIterator(leveldb::ReadOptions()));
    std::optional<Block> block = SeekBlock(it.get(), cut);
    if (!it->status().ok()) return FromLevelDb(it->status(), "TruncateLog");
    if (!block || !EntryStartsAt(*block, cut))
      return Status::InvalidArgument("leveldb: TruncateLog at " + std::to_string(cut) +
                                     ": no record starts there");
  }
  // The records first (synced, and synced up to the cut before): after a crash before the
  // index is cut, open cuts the index where the records end (recovery.h).
  if (Status s = core.SyncLocked(/*force=*/false); !s.ok()) return s;
  if (Status s = CutRecordsFrom(core, cut, /*mark=*/true); !s.ok()) return s;
  if (Status s = TruncateIndexFrom(core, cut); !s.ok()) return s;
  leveldb::WriteBatch unmark;  // the index agrees again (a stale mark is harmless: see recovery.cc)
  unmark.Delete(CutKey());
  return core.WriteRecords(&unmark, /*sync=*/false);
}

}  // namespace sprocket::leveldb_store
