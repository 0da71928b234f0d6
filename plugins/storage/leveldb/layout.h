// Log blocks and queue runs: how records and queue entries are grouped into LevelDB values
// (FORMAT.md §3, §4), and how readers find the value holding a given position or offset.
//
// Why groups: LevelDB's cost is mostly per entry (a memtable skiplist insert, then a merge
// step in every compaction), not per byte. One value per record plus one per queue entry
// made three entries per appended record; a block holds every record of a write batch (up
// to kMaxBlockBytes) and a run every entry one batch adds to a queue, so an append costs
// about one entry (its key-index entry) per record.
#pragma once

#include <leveldb/iterator.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keys.h"

namespace sprocket::leveldb_store {

// Blocks are cut at this many bytes (a larger entry is a block of its own): big enough to
// make per-entry costs vanish, small enough that reading one record reads little else.
inline constexpr size_t kMaxBlockBytes = 256 << 10;

inline std::string_view View(const leveldb::Slice& s) { return std::string_view(s.data(), s.size()); }

// A block of log entries laid end to end, starting at log position `start`. The bytes point
// into the iterator that found it and stay valid until it moves.
struct Block {
  int64_t start = 0;
  std::string_view bytes;
  int64_t end() const { return start + static_cast<int64_t>(bytes.size()); }
  bool Contains(int64_t position) const { return position >= start && position < end(); }
  // The bytes from `position` (inside the block) to its end.
  std::string_view From(int64_t position) const {
    return bytes.substr(static_cast<size_t>(position - start));
  }
};

// The block `it` is on; nullopt when it is not on a log-entry key.
std::optional<Block> BlockAt(const leveldb::Iterator* it);
// Moves `it` to the block that contains `position`; nullopt when none does.
std::optional<Block> SeekBlock(leveldb::Iterator* it, int64_t position);
// The length of the entry (record or blank) at the start of `bytes`: its first int32.
// 0 when it is not a sane length (below 8, or past the end of `bytes`).
size_t EntryLength(std::string_view bytes);
// Whether an entry of `block` starts exactly at `position` (walks the block from its start).
bool EntryStartsAt(const Block& block, int64_t position);

// A run of consecutive queue entries: offsets first .. first + count - 1, 28 bytes each.
struct Run {
  int64_t first = 0;
  std::string_view entries;
  int64_t count() const { return static_cast<int64_t>(entries.size() / kQueueEntryValueSize); }
  int64_t end() const { return first + count(); }
  bool Contains(int64_t offset) const { return offset >= first && offset < end(); }
  std::optional<QueueEntry> At(int64_t offset) const {
    return DecodeQueueEntry(
        entries.substr(static_cast<size_t>(offset - first) * kQueueEntryValueSize, kQueueEntryValueSize));
  }
  // The raw entries of offsets [from, to) of this run.
  std::string_view Slice(int64_t from, int64_t to) const {
    return entries.substr(static_cast<size_t>(from - first) * kQueueEntryValueSize,
                          static_cast<size_t>(to - from) * kQueueEntryValueSize);
  }
};

// The run `it` is on if it belongs to the queue whose entry keys start with `prefix`
// ('Q' | QueueName); nullopt otherwise or when its value is malformed.
std::optional<Run> RunAt(const leveldb::Iterator* it, std::string_view prefix);
// Moves `it` to the run of that queue that holds `offset`; nullopt when none does.
std::optional<Run> SeekRun(leveldb::Iterator* it, std::string_view prefix, int64_t offset);
// The entry at `offset`, via SeekRun.
std::optional<QueueEntry> FindEntry(leveldb::Iterator* it, std::string_view prefix, int64_t offset);

// Moves `it` to the last key before `key` (invalid when there is none).
void SeekBefore(leveldb::Iterator* it, const std::string& key);

}  // namespace sprocket::leveldb_store
