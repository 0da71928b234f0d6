// CommitLog: the broker's single ordered log of records, stored as segments of
// mapedFileSizeCommitLog bytes named by their start position (FORMAT.md §1).
//
// A record never spans segments: when one does not fit in what is left of the current
// segment (keeping 8 bytes for the marker), the writer puts the 8-byte blank marker there and
// the record starts the next segment, at the segment-size boundary.
//
// Visibility: the writer thread writes a batch (pwritev), then Publish()es the new end.
// Readers only read below end(), through the segment's read-only mapping, so they never see
// a partly written record; the views they get stay valid while they hold the segment.
// Durability: Sync() moves durable_end() forward.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "segmented_file.h"
#include "sprocket/plugin/status.h"
#include "sprocket/plugin/storage.h"

namespace sprocket::filelog {

// The bytes one append batch adds to the log, in position order. The batch does not own the
// record bytes (the AppendRequests do); it owns the blank markers it adds.
class LogBatch {
 public:
  struct Piece {
    int64_t position;
    const char* data;
    size_t size;
    int64_t store_timestamp;  // -1 for a blank
  };
  void AddRecord(int64_t position, const char* data, size_t size, int64_t store_timestamp) {
    pieces_.push_back({position, data, size, store_timestamp});
  }
  void AddBlank(int64_t position, int32_t bytes_left);
  const std::vector<Piece>& pieces() const { return pieces_; }
  bool empty() const { return pieces_.empty(); }
  void clear() {
    pieces_.clear();
    blanks_.clear();
  }

 private:
  std::vector<Piece> pieces_;
  std::deque<std::array<char, 8>> blanks_;  // deque: addresses stay valid as it grows
};

// A view of published log bytes and the segment that keeps them mapped.
struct LogView {
  const char* data = nullptr;
  std::shared_ptr<Segment> segment;
};

class CommitLog {
 public:
  // reserve_blocks: fallocate each segment when it is created (see commit_log.cc).
  CommitLog(const std::string& dir, int64_t segment_size, bool reserve_blocks);

  SegmentedFile& files() { return files_; }
  const SegmentedFile& files() const { return files_; }
  int64_t segment_size() const { return files_.segment_size(); }
  int64_t SegmentStart(int64_t position) const { return position - position % segment_size(); }

  // Open time (or the writer, repositioning an empty log): appends continue at `end` and
  // readers may read [min, end).
  void ResetEnd(int64_t end);
  void SetMin(int64_t min) { min_.store(min, std::memory_order_release); }

  // First position still held.
  int64_t min_position() const { return min_.load(std::memory_order_acquire); }
  // One past the last published record (or blank).
  int64_t end() const { return end_.load(std::memory_order_acquire); }
  int64_t durable_end() const { return files_.synced(); }

  // --- writer thread only ---
  // Assigns the position of a record of `size` bytes (size + kBlankSize <= segment size),
  // adding a blank marker to `batch` first when the record must start the next segment;
  // the next segment is created (if the allocator has not yet) before anything is reserved,
  // so a full disk fails the record without leaving a half-written roll.
  Result<int64_t> Reserve(int64_t size, LogBatch* batch);
  // Writes the batch with one pwritev per segment it touches.
  Status Write(const LogBatch& batch);
  // Replication: writes `n` bytes of whole entries at the write position, inside one
  // segment (created when missing), and moves the write position past them.
  Status WriteRaw(const char* data, int64_t n, int64_t newest_store_timestamp);
  // TruncateLog: the log ends at `position` from now on (readers first, then the bytes past
  // it are zeroed and later segments deleted, durably).
  Status CutAt(int64_t position);
  // Makes everything reserved so far visible to readers.
  void Publish() { end_.store(write_position_, std::memory_order_release); }
  int64_t write_position() const { return write_position_; }

  // --- any thread ---
  // For the writer (which alone moves the end backwards) and recovery.
  Status Sync(int64_t upto) { return files_.Sync(upto); }
  // Syncs up to the value `position` holds (the log end, or the store's dispatched end),
  // read again if the log was cut meanwhile; returns the position synced.
  Result<int64_t> SyncTo(const std::atomic<int64_t>& position);
  Status SyncToEnd() { return SyncTo(end_).status(); }
  // [position, position + size) of published bytes, inside one segment. NotFound when not
  // held (below min, past the end, segment deleted).
  Result<LogView> View(int64_t position, int64_t size) const;
  // The record starting at `position`: NotFound unless a record header naming this position
  // starts there; Corruption when its fields do not add up or its body CRC is wrong.
  Result<RecordRead> ReadAt(int64_t position) const;
  // Whole entries from `from` (see MessageStore::ReadLog); one segment at most per chunk.
  Result<LogChunk> ReadLog(int64_t from, int64_t max_bytes) const;

 private:
  SegmentedFile files_;
  std::atomic<int64_t> min_{0};
  std::atomic<int64_t> end_{0};
  int64_t write_position_ = 0;        // writer thread only
  std::shared_ptr<Segment> current_;  // writer thread only: the segment holding write_position_
};

}  // namespace sprocket::filelog
