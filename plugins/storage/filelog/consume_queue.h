// ConsumeQueue: the index of one (topic, queue id): entry i says where the queue's i-th
// record sits in the commit log (FORMAT.md §2). Entries are 20 bytes, so queue offset q lives
// at byte q * 20 of the queue's segmented file.
//
// Visibility: the writer stages entries, writes them, then Publish()es the new max offset;
// readers only read entries below max_offset(), whose records are already in the log.
// Thread-safety: min_offset/max_offset/ReadEntries/Sync from any thread; the "writer"
// methods from the store's writer thread (or recovery, before the store is shared).
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
  // Zero bytes (a gap or a never-written entry) name no record.
  bool hole() const { return size <= 0 || position < 0; }
};

class ConsumeQueue {
 public:
  ConsumeQueue(std::string topic, int32_t queue_id, std::string dir, int64_t file_size);

  const std::string& topic() const { return topic_; }
  int32_t queue_id() const { return queue_id_; }
  const std::string& name() const { return files_.what(); }

  // Open time: opens the files and keeps the entries the log backs. Trailing entries that
  // are holes, point past the log's end, or do not match the record they point at (magic,
  // size, QUEUEOFFSET) are cut. Returns how many entries were cut.
  Result<int64_t> Load(const CommitLog& log);
  // Log position just after this queue's last record; -1 for an empty queue. Valid after
  // Load; recovery re-dispatches the log from the smallest of these.
  int64_t last_entry_end() const { return last_entry_end_; }

  int64_t min_offset() const { return min_.load(std::memory_order_acquire); }
  int64_t max_offset() const { return max_.load(std::memory_order_acquire); }

  // --- writer ---
  int64_t next_offset() const { return next_; }
  void Stage(const CqEntry& e);
  // Recovery: the log holds this queue's records from `offset` on, but the entries before it
  // are gone; later entries are written at their own offsets, leaving a hole.
  Status SkipTo(int64_t offset);
  bool has_staged() const { return !staged_.empty(); }
  size_t staged_bytes() const { return staged_.size(); }
  Status WriteStaged();
  void Publish() { max_.store(next_, std::memory_order_release); }

  // --- any thread ---
  // Entries [from, from + count); missing bytes read as holes.
  Status ReadEntries(int64_t from, int64_t count, std::vector<CqEntry>* out) const;
  Status Sync() { return files_.Sync(max_offset() * kCqEntrySize); }

 private:
  // Whether entry `offset` names a record the log holds at that queue offset.
  bool Backed(const CqEntry& e, int64_t offset, const CommitLog& log) const;

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
