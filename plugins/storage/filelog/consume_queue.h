// ConsumeQueue: the index of one (topic, queue id): entry i says where the queue's i-th
// record sits in the commit log (FORMAT.md §2). Entries are 20 bytes, so queue offset q lives
// at byte q * 20 of the queue's segmented file. Files are full-size and sparse: bytes past
// the last entry read as zeros.
//
// Visibility: the writer stages entries, writes them, then Publish()es the new max offset;
// readers only read entries below max_offset(), whose records are already in the log.
// Thread-safety: min_offset/max_offset/ReadEntries/Sync from any thread; the "writer"
// methods from the store's writer thread (or recovery, before the store is shared);
// DeleteBelow from the retention caller (one at a time, never with TruncateFrom).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "commit_log.h"
#include "segmented_file.h"
#include "sprocket/plugin/status.h"

namespace sprocket::filelog {

inline constexpr int64_t kCqEntrySize = 20;

struct CqEntry {
  int64_t position = 0;
  int32_t size = 0;
  int64_t tags_code = 0;
  // Zero bytes (never written, or before the queue's first record) and the filler entry
  // (position -1, size 0) name no record.
  bool hole() const { return size <= 0 || position < 0; }
  bool filler() const { return position == -1 && size == 0 && tags_code == 0; }
};

class ConsumeQueue {
 public:
  ConsumeQueue(std::string topic, int32_t queue_id, std::string dir, int64_t file_size);

  const std::string& topic() const { return topic_; }
  int32_t queue_id() const { return queue_id_; }
  const std::string& name() const { return files_.what(); }

  // Open time: opens the files and finds where the entries end: the first entry that is not
  // plausible (zeros, a torn write) or that names a record at or after `trusted_below`
  // ends the queue (recovery re-dispatches the log from there), then trailing entries the
  // log does not back (magic, size, QUEUEOFFSET) are dropped. With `zero_tail` everything
  // after the end is zeroed, so stale entries can never come back. Returns how many
  // entries past the end were found plausible and dropped.
  Result<int64_t> Load(const CommitLog& log, int64_t trusted_below, bool zero_tail);
  // Log position just after this queue's last record; -1 for an empty queue.
  int64_t last_entry_end() const { return last_entry_end_; }

  int64_t min_offset() const { return min_.load(std::memory_order_acquire); }
  int64_t max_offset() const { return max_.load(std::memory_order_acquire); }

  // --- writer ---
  int64_t next_offset() const { return next_; }
  void Stage(const CqEntry& e);
  // The log holds this queue's records from `offset` on but not the ones before it. An
  // empty queue simply starts at `offset`; a non-empty one gets filler entries up to it.
  Status SkipTo(int64_t offset);
  // An empty queue (min == max) restarts at `offset`, even below its current end (a
  // follower's log repositioned by AppendReplica). Its files are removed.
  Status RestartEmptyAt(int64_t offset);
  bool has_staged() const { return !staged_.empty(); }
  size_t staged_bytes() const { return staged_.size(); }
  Status WriteStaged();
  void Publish() { max_.store(next_, std::memory_order_release); }
  // TruncateLog: drops the entries of records at or after log position `position` (durably).
  // Returns how many were dropped.
  Result<int64_t> CutFromPosition(int64_t position);

  // --- retention ---
  // The log now starts at `log_min`: the minimum moves to the first entry at or after it
  // (RocketMQ's correctMinOffset) and files wholly below the minimum are deleted (never
  // the last one). Returns the bytes the deleted files took on disk.
  Result<int64_t> DeleteBelow(int64_t log_min);

  // --- any thread ---
  // Entries [from, from + count); missing bytes read as holes.
  Status ReadEntries(int64_t from, int64_t count, std::vector<CqEntry>* out) const;
  // Syncs the entries below max_offset(), re-reading it if CutFromPosition ran meanwhile.
  Status Sync();
  int64_t sync_calls() const { return files_.sync_calls(); }
  int64_t DiskBytes() const;

 private:
  Result<CqEntry> EntryAt(int64_t offset) const;
  // Whether entry `offset` names a record the log holds at that queue offset.
  bool Backed(const CqEntry& e, int64_t offset, const CommitLog& log) const;
  void RaiseMin(int64_t offset);

  const std::string topic_;
  const int32_t queue_id_;
  SegmentedFile files_;
  std::atomic<int64_t> min_{0};
  std::atomic<int64_t> max_{0};
  // Writer state.
  int64_t next_ = 0;
  int64_t staged_first_ = 0;  // queue offset of staged_'s first entry
  std::string staged_;        // encoded entries not yet written
  int64_t last_entry_end_ = -1;
};

}  // namespace sprocket::filelog
