// Segment: one file holding bytes [start, start + capacity) of a segmented byte sequence (the
// commit log, or one consume queue). Files grow by appending; nothing is preallocated yet,
// so a file's size is where its data ends (a later issue maps preallocated segments; the
// readers already treat zeros as "no data", so that stays a local change).
//
// Thread-safety: Read/Sync from any thread; Write/Truncate from the owner's writer only.
// A Segment lives as long as someone holds its shared_ptr, so a reader keeps the file
// descriptor valid even if the segment is dropped from its SegmentedFile meanwhile.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "sprocket/plugin/status.h"

namespace sprocket::filelog {

class Segment {
 public:
  // Opens (create: creates and empties) the file at `path`.
  static Result<std::shared_ptr<Segment>> Open(std::string path, int64_t start, int64_t capacity,
                                               bool create);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  int64_t start() const { return start_; }
  int64_t capacity() const { return capacity_; }
  int64_t end() const { return start_ + capacity_; }
  bool Contains(int64_t offset) const { return offset >= start_ && offset < end(); }
  const std::string& path() const { return path_; }

  // Offsets below are relative to start(). The caller keeps writes inside the capacity.
  Status Write(int64_t offset, std::span<const iovec> iov);
  // Exactly n bytes; Corruption when the file ends first.
  Status Read(int64_t offset, char* dst, size_t n) const;
  // Up to n bytes, fewer at end of file.
  Result<size_t> ReadUpTo(int64_t offset, char* dst, size_t n) const;
  Status Sync();
  Status Truncate(int64_t size);
  Result<int64_t> FileSize() const;

 private:
  Segment(std::string path, int fd, int64_t start, int64_t capacity)
      : path_(std::move(path)), fd_(fd), start_(start), capacity_(capacity) {}

  const std::string path_;
  const int fd_;
  const int64_t start_;
  const int64_t capacity_;
};

}  // namespace sprocket::filelog
