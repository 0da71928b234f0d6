// SegmentedFile: an unbounded byte sequence stored as fixed-capacity files named by their
// start offset (RocketMQ's MappedFileQueue). Used for the commit log and for each consume
// queue. Callers keep every write and read inside one segment: the commit log never lets a
// record span segments, and consume-queue files hold a whole number of entries.
//
// Thread-safety: Find/Snapshot/Read/Sync from any thread. FindOrCreate/Write from one writer
// thread at a time. Load/TruncateFrom only while nothing else uses the object (open time).
#pragma once

#include <atomic>
#include <cstdint>
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
  SegmentedFile(std::string dir, int64_t segment_size, std::string what);

  const std::string& dir() const { return dir_; }
  int64_t segment_size() const { return segment_size_; }
  const std::string& what() const { return what_; }

  // Opens the files already in dir(). Names that are not 20 digits are ignored; a file that
  // is misaligned or larger than a segment is Corruption.
  Status Load();

  // The segment containing `offset`, or null.
  std::shared_ptr<Segment> Find(int64_t offset) const;
  std::vector<std::shared_ptr<Segment>> Snapshot() const;
  bool empty() const;
  // Start of the first segment; `fallback` when there is none.
  int64_t FirstStart(int64_t fallback) const;

  // Writer: the segment containing `offset`, creating its file (and syncing the directory)
  // when missing.
  Result<std::shared_ptr<Segment>> FindOrCreate(int64_t offset);
  // Writer: writes the iovecs at absolute `offset`; the range must lie in one segment.
  Status Write(int64_t offset, std::span<const iovec> iov);
  // Exactly n bytes at absolute `offset`, inside one segment. NotFound when no segment holds it.
  Status Read(int64_t offset, char* dst, size_t n) const;

  // Makes every byte below `upto` durable: fdatasync each segment holding unsynced bytes.
  // Concurrent callers are serialised; the cheap case (nothing new) takes no syscall.
  Status Sync(int64_t upto);
  int64_t synced() const { return synced_.load(std::memory_order_acquire); }
  // Open time: declares bytes below `offset` durable (after the caller synced them).
  void SetSynced(int64_t offset) { synced_.store(offset, std::memory_order_release); }

  // Open time: drops every byte at or after `offset` (deletes later segments, truncates the
  // one containing it). Syncs the directory when files were removed.
  Status TruncateFrom(int64_t offset);

 private:
  const std::string dir_;
  const int64_t segment_size_;
  const std::string what_;

  mutable std::shared_mutex mu_;  // guards segments_ (sorted by start)
  std::vector<std::shared_ptr<Segment>> segments_;

  std::mutex sync_mu_;  // serialises Sync
  std::atomic<int64_t> synced_{0};
};

}  // namespace sprocket::filelog
