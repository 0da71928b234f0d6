// SegmentedFile: an unbounded byte sequence stored as fixed-capacity files named by their
// start offset (RocketMQ's MappedFileQueue). Used for the commit log and for each consume
// queue. Callers keep every write and read inside one segment: the commit log never lets a
// record span segments, and consume-queue files hold a whole number of entries.
//
// Thread-safety: Find/Snapshot/Read/Sync from any thread. FindOrCreate from any thread
// (creation is serialised, so the writer and the segment allocator never make a file twice).
// Write from one writer thread at a time. RemoveFront (retention) from one thread at a
// time, concurrently with the writer (it never removes the segment being written).
// Load/TruncateFrom/RemoveAll only while the writer is not writing (open time, or on the
// writer thread itself).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "segment.h"
#include "sprocket/plugin/status.h"

namespace sprocket::filelog {

class SegmentedFile {
 public:
  // `what` names the sequence in messages ("commitlog", "consumequeue TopicA/3").
  SegmentedFile(std::string dir, int64_t segment_size, SegmentOptions options, std::string what);

  const std::string& dir() const { return dir_; }
  int64_t segment_size() const { return segment_size_; }
  const std::string& what() const { return what_; }

  // Opens the files already in dir(). Names that are not 20 digits are ignored; a file that
  // is misaligned or larger than a segment is Corruption; a shorter one is extended.
  Status Load();

  // The segment containing `offset`, or null.
  std::shared_ptr<Segment> Find(int64_t offset) const;
  std::vector<std::shared_ptr<Segment>> Snapshot() const;
  bool empty() const;
  size_t count() const;
  // Start of the first segment / end of the last; `fallback` when there is none.
  int64_t FirstStart(int64_t fallback) const;
  int64_t LastEnd(int64_t fallback) const;

  // The segment containing `offset`, creating its file (and syncing the directory) when
  // missing.
  Result<std::shared_ptr<Segment>> FindOrCreate(int64_t offset);
  // Writer: writes the iovecs at absolute `offset`; the range must lie in one segment.
  Status Write(int64_t offset, std::span<const iovec> iov);
  // Exactly n bytes at absolute `offset`, inside one segment. NotFound when no segment holds it.
  Status Read(int64_t offset, char* dst, size_t n) const;

  // Makes every byte below `upto` durable: fdatasync each segment holding unsynced bytes.
  // Concurrent callers are serialised; the cheap case (nothing new) takes no syscall.
  // For callers that own the sequence's end (recovery, the writer); see SyncIfUnchanged.
  Status Sync(int64_t upto) { return SyncIfUnchanged(upto, epoch()).status(); }
  // As Sync, unless TruncateFrom/RemoveAll ran since the caller read `epoch` (then false,
  // nothing done): `upto` came from an end that may no longer hold, and recording it as
  // synced would claim bytes written later were durable. Read the epoch, then the end.
  Result<bool> SyncIfUnchanged(int64_t upto, uint64_t epoch);
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  int64_t synced() const { return synced_.load(std::memory_order_acquire); }
  // Declares bytes below `offset` durable (after the caller synced them).
  void SetSynced(int64_t offset) { synced_.store(offset, std::memory_order_release); }
  // Number of fdatasync calls made by Sync (for the log line at close and the tests).
  int64_t sync_calls() const { return sync_calls_.load(std::memory_order_relaxed); }

  // Drops every byte at or after `offset`: zeroes [offset, min(its segment's end, zero_to))
  // and deletes every later segment. Durable on return. Bytes at and after `zero_to` must
  // already be zeros (the caller knows where data ended).
  Status TruncateFrom(int64_t offset, int64_t zero_to = INT64_MAX);

  // Retention: unlinks segments from the front while `expired(segment)` says so, at most
  // `max` of them, and returns them (a reader holding one keeps reading it).
  Result<std::vector<std::shared_ptr<Segment>>> RemoveFront(
      size_t max, const std::function<bool(const Segment&)>& expired);
  // Unlinks every segment; bytes below `synced` count as durable afterwards.
  Status RemoveAll(int64_t synced);

 private:
  Status Unlink(const std::string& path) const;

  const std::string dir_;
  const int64_t segment_size_;
  const SegmentOptions options_;
  const std::string what_;

  mutable std::shared_mutex mu_;  // guards segments_ (sorted by start)
  std::vector<std::shared_ptr<Segment>> segments_;
  std::mutex create_mu_;  // serialises file creation

  std::mutex sync_mu_;  // serialises Sync, TruncateFrom and RemoveAll
  std::atomic<int64_t> synced_{0};
  std::atomic<uint64_t> epoch_{0};  // moves when the end moves backwards
  std::atomic<int64_t> sync_calls_{0};
};

}  // namespace sprocket::filelog
