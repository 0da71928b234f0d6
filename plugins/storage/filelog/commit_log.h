// CommitLog: the broker's single ordered log of records, stored as segments of
// mapedFileSizeCommitLog bytes named by their start position (FORMAT.md §1).
//
// A record never spans segments: when one does not fit in what is left of the current
// segment (keeping 8 bytes for the marker), the writer puts the 8-byte blank marker there and
// the record starts the next segment, at the segment-size boundary.
//
// Visibility: the writer thread writes a batch, then Publish()es the new end. Readers only
// read below end(), so they never see a partly written record. Durability: Sync() moves
// durable_end() forward.
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
  };
  void AddRecord(int64_t position, const char* data, size_t size) { pieces_.push_back({position, data, size}); }
  void AddBlank(int64_t position, int32_t bytes_left);
  const std::vector<Piece>& pieces() const { return pieces_; }
  bool empty() const { return pieces_.empty(); }

 private:
  std::vector<Piece> pieces_;
  std::deque<std::array<char, 8>> blanks_;  // deque: addresses stay valid as it grows
};

class CommitLog {
 public:
  CommitLog(const std::string& dir, int64_t segment_size);

  SegmentedFile& files() { return files_; }
  const SegmentedFile& files() const { return files_; }
  int64_t segment_size() const { return files_.segment_size(); }

  // Open time, after recovery found where valid records end: appends continue there and
  // readers may read everything below it.
  void ResetEnd(int64_t end);

  // First position still held (the first segment's start).
  int64_t min_position() const { return files_.FirstStart(end()); }
  // One past the last published record (or blank).
  int64_t end() const { return end_.load(std::memory_order_acquire); }
  int64_t durable_end() const { return files_.synced(); }

  // --- writer thread only ---
  // Assigns the position of a record of `size` bytes (size + kBlankSize <= segment size),
  // adding a blank marker to `batch` first when the record must start the next segment.
  int64_t Reserve(int64_t size, LogBatch* batch);
  // Writes the batch with one pwritev per segment it touches.
  Status Write(const LogBatch& batch);
  // Makes everything reserved so far visible to readers.
  void Publish() { end_.store(write_position_, std::memory_order_release); }
  int64_t write_position() const { return write_position_; }

  // --- any thread ---
  Status Sync(int64_t upto) { return files_.Sync(upto); }
  // `size` bytes of the record at `position` (taken from a consume-queue entry).
  Status ReadRecord(int64_t position, int32_t size, char* dst) const;
  // The record starting at `position`, validated (magic, size, PHYSICALOFFSET == position).
  Result<RecordRead> ReadAt(int64_t position) const;

 private:
  SegmentedFile files_;
  std::atomic<int64_t> end_{0};
  int64_t write_position_ = 0;  // writer thread only
};

}  // namespace sprocket::filelog
