#include "layout.h"

namespace sprocket::leveldb_store {

std::optional<Block> BlockAt(const leveldb::Iterator* it) {
  if (!it->Valid() || !IsRecordKey(View(it->key()))) return std::nullopt;
  return Block{PositionOfRecordKey(View(it->key())), View(it->value())};
}

void SeekBefore(leveldb::Iterator* it, const std::string& key) {
  it->Seek(key);
  if (it->Valid()) {
    it->Prev();
  } else {
    it->SeekToLast();
  }
}

std::optional<Block> SeekBlock(leveldb::Iterator* it, int64_t position) {
  const std::string key = RecordKey(position);
  it->Seek(key);
  if (it->Valid() && it->key() == leveldb::Slice(key)) return BlockAt(it);
  // The block holding `position` is the last one starting before it. (After retention
  // rewrote a block's tail under a new key, the stale block before it is never chosen for
  // positions the tail covers, because the tail's key is closer.)
  if (it->Valid()) {
    it->Prev();
  } else {
    it->SeekToLast();
  }
  std::optional<Block> b = BlockAt(it);
  if (b && b->Contains(position)) return b;
  return std::nullopt;
}

size_t EntryLength(std::string_view bytes) {
  if (bytes.size() < 8) return 0;
  const auto len = static_cast<int32_t>(GetBig32(bytes.data()));
  if (len < 8 || static_cast<size_t>(len) > bytes.size()) return 0;
  return static_cast<size_t>(len);
}

bool EntryStartsAt(const Block& block, int64_t position) {
  if (!block.Contains(position)) return false;
  const auto target = static_cast<size_t>(position - block.start);
  size_t at = 0;
  while (at < target) {
    const size_t len = EntryLength(block.bytes.substr(at));
    if (len == 0) return false;
    at += len;
  }
  return at == target;
}

std::optional<Run> RunAt(const leveldb::Iterator* it, std::string_view prefix) {
  if (!it->Valid()) return std::nullopt;
  const std::string_view key = View(it->key());
  if (key.size() != prefix.size() + 8 || key.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view v = View(it->value());
  if (v.empty() || v.size() % kQueueEntryValueSize != 0) return std::nullopt;
  return Run{QueueOffsetOfKey(key), v};
}

std::optional<Run> SeekRun(leveldb::Iterator* it, std::string_view prefix, int64_t offset) {
  std::string key(prefix);
  AppendBig64(&key, static_cast<uint64_t>(offset));
  it->Seek(key);
  if (it->Valid() && it->key() == leveldb::Slice(key)) return RunAt(it, prefix);
  if (it->Valid()) {
    it->Prev();
  } else {
    it->SeekToLast();
  }
  std::optional<Run> r = RunAt(it, prefix);
  if (r && r->Contains(offset)) return r;
  return std::nullopt;
}

std::optional<QueueEntry> FindEntry(leveldb::Iterator* it, std::string_view prefix, int64_t offset) {
  std::optional<Run> r = SeekRun(it, prefix, offset);
  if (!r) return std::nullopt;
  return r->At(offset);
}

}  // namespace sprocket::leveldb_store
