// Segment: one file holding bytes [start, start + capacity) of a segmented byte sequence (the
// commit log, or one consume queue). Every file is sized to its full capacity when created,
// so its size never changes afterwards: bytes never written read as zeros, and a reader of a
// mapping can never touch a page past the end of the file (which would be SIGBUS).
//
// Writes always go through pwritev, never through the mapping: measured on this project's
// machine, pwrite into a preallocated file ran 2-4x faster than memcpy into a mapping (the
// first touch of every page takes a fault), and a full disk then comes back as an error
// instead of a SIGBUS. The commit log's segments are also mapped read-only so that readers
// get zero-copy views (FORMAT.md §1, README.md "How it works").
//
// Lifetime: a Segment lives as long as someone holds its shared_ptr. Retention and
// truncation unlink the file and drop it from the SegmentedFile; a reader holding it keeps
// reading the (unlinked) file through the mapping until it lets go.
//
// Thread-safety: reads, Sync, Prefetch, DropCache from any thread; Write/ZeroRange from the owner's
// writer (or with the writer stopped).
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "sprocket/plugin/status.h"

namespace sprocket::filelog {

struct SegmentOptions {
  // Reserve the disk blocks when the file is created (fallocate): running out of space
  // then shows when a segment is created, before any byte of a record is written. Files
  // are sparse otherwise (consume queues: thousands of mostly empty 6 MB files).
  bool reserve = false;
  // Map the whole file read-only for zero-copy reads.
  bool map = false;
};

class Segment {
 public:
  // Creates the file at `path` (replacing any file there) sized to `capacity`.
  static Result<std::shared_ptr<Segment>> Create(std::string path, int64_t start, int64_t capacity,
                                                 SegmentOptions options);
  // Opens an existing file. A file shorter than `capacity` (written by a version that
  // grew files by appending) is extended with zeros; a longer one is Corruption.
  static Result<std::shared_ptr<Segment>> OpenExisting(std::string path, int64_t start, int64_t capacity,
                                                       SegmentOptions options);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  int64_t start() const { return start_; }
  int64_t capacity() const { return capacity_; }
  int64_t end() const { return start_ + capacity_; }
  bool Contains(int64_t offset) const { return offset >= start_ && offset < end(); }
  const std::string& path() const { return path_; }

  // The read-only mapping of the whole file (null when not mapped). Only bytes the owner
  // has published may be read through it.
  const char* data() const { return map_; }

  // Offsets below are relative to start(). The caller keeps writes inside the capacity.
  Status Write(int64_t offset, std::span<const iovec> iov);
  // Exactly n bytes (the file always holds `capacity` bytes).
  Status Read(int64_t offset, char* dst, size_t n) const;
  // As Read, always with pread (never through the mapping): for bytes not in memory.
  Status ReadFile(int64_t offset, char* dst, size_t n) const;
  Status Sync();
  // Makes [from, to) read as zeros, keeping reserved blocks reserved (so a later write
  // cannot fail for space there). Not durable until Sync.
  Status ZeroRange(int64_t from, int64_t to);
  // Asks the kernel to read [offset, offset + n) into the page cache in the background
  // (a cold read is about to touch it through the mapping).
  void Prefetch(int64_t offset, int64_t n) const;
  // Writes [offset, offset + n) back (waiting for it) and drops it from the page cache and
  // from this process's mapping. Advice only: the bytes stay readable, a later read fetches
  // them from the disk again. Failures are harmless and ignored.
  void DropCache(int64_t offset, int64_t n) const;
  // Bytes the file takes on disk (allocated blocks).
  int64_t DiskBytes() const;

  // STORETIMESTAMP of the newest record written to this segment, -1 when not known yet
  // (segments loaded at open: retention finds it from the file). Store times never
  // decrease along the log, so the writer simply stores the latest one.
  int64_t newest_store_timestamp() const { return newest_store_ts_.load(std::memory_order_acquire); }
  void set_newest_store_timestamp(int64_t ts) { newest_store_ts_.store(ts, std::memory_order_release); }

 private:
  Segment(std::string path, int fd, int64_t start, int64_t capacity, SegmentOptions options)
      : path_(std::move(path)), fd_(fd), start_(start), capacity_(capacity), options_(options) {}
  static Result<std::shared_ptr<Segment>> Finish(std::shared_ptr<Segment> seg);

  const std::string path_;
  const int fd_;
  const int64_t start_;
  const int64_t capacity_;
  const SegmentOptions options_;
  char* map_ = nullptr;
  std::atomic<int64_t> newest_store_ts_{-1};
};

}  // namespace sprocket::filelog
