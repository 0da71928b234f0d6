#include "indexer.h"

#include "keys.h"
#include "record.h"
#include "sprocket/plugin/storage.h"

namespace sprocket::leveldb_store {

Status LogIndexer::Add(int64_t pos, std::string_view e) {
  const std::string where = "leveldb: entry at " + std::to_string(pos);
  if (e.size() < 8) return Status::Corruption(where + ": truncated header");
  const uint32_t magic = GetBig32(e.data() + kMagicField);
  if (magic == kBlankMagic) return Status::OK();  // kept as received; nothing indexes it
  if (static_cast<int32_t>(magic) != kMessageMagic)
    return Status::Corruption(where + ": bad magic " + std::to_string(static_cast<int32_t>(magic)));
  Result<RecordFields> f = ParseRecord(e);
  if (!f.ok()) return Status::Corruption(where + ": " + f.status().message());
  if (f->physical_offset != pos)
    return Status::Corruption(where + ": its PHYSICALOFFSET says " + std::to_string(f->physical_offset));
  if (f->topic.empty() || f->queue_id < 0 || f->queue_offset < 0)
    return Status::Corruption(where + ": bad topic, queue id or queue offset");
  QueueState* q = core_.queues.FindOrCreate(f->topic, f->queue_id).get();
  auto [it, fresh] = staged_.try_emplace(q, Staged{q->min_offset.load(), q->max_offset.load(), 0, {}});
  Staged& sq = it->second;
  if (f->queue_offset != sq.max) {
    // A queue without entries (new, or emptied by retention) starts where the leader's is.
    if (sq.min != sq.max || f->queue_offset < sq.max)
      return Status::Corruption(where + ": " + std::string(f->topic) + "/" + std::to_string(f->queue_id) +
                                " queue offset " + std::to_string(f->queue_offset) + ", expected " +
                                std::to_string(sq.max));
    sq.min = f->queue_offset;
  }
  sq.max = f->queue_offset + 1;
  char entry[kQueueEntryValueSize];
  EncodeQueueEntry(QueueEntry{pos, static_cast<int32_t>(e.size()),
                              TagsCodeFromRecord(*f, core_.options.delay_level_ms), f->store_timestamp},
                   entry);
  if (sq.run.empty()) sq.run_first = f->queue_offset;
  sq.run.append(entry, sizeof entry);
  char ts[8];
  PutBig64(ts, static_cast<uint64_t>(f->store_timestamp));
  const std::string keys = KeysFromRecord(*f);
  for (std::string_view key : SplitIndexKeys(keys))
    batch_->Put(KeyIndexKey(pos / core_.key_bucket_size, f->topic, key, pos), leveldb::Slice(ts, sizeof ts));
  last_ts_ = std::max(last_ts_, f->store_timestamp);
  ++records_;
  return Status::OK();
}

void LogIndexer::Finish() {
  for (const auto& [q, sq] : staged_) {
    batch_->Put(QueueEntryKey(q->name, sq.run_first), sq.run);
    batch_->Put(QueueStateKey(q->name), EncodeQueueState(sq.min, sq.max));
  }
}

void LogIndexer::Publish() {
  for (const auto& [q, sq] : staged_) {
    q->min_offset.store(sq.min, std::memory_order_release);
    q->max_offset.store(sq.max, std::memory_order_release);
  }
}

}  // namespace sprocket::leveldb_store
