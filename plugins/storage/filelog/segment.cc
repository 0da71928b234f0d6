#include "segment.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "file_util.h"

namespace sprocket::filelog {

namespace {

// Gives the file `size` bytes, reserving blocks when asked. File systems without fallocate
// get a sparse file: still correct, only a full disk shows later (as a write error).
Status SizeFile(int fd, int64_t size, bool reserve, const std::string& path) {
  if (reserve) {
    if (::fallocate(fd, 0, 0, size) == 0) return Status::OK();
    if (errno != EOPNOTSUPP && errno != ENOSYS) return ErrnoStatus("fallocate", path, errno);
  }
  if (::ftruncate(fd, size) != 0) return ErrnoStatus("truncate", path, errno);
  return Status::OK();
}

Status WriteZeros(int fd, int64_t from, int64_t to, const std::string& path) {
  static const std::vector<char> zeros(1 << 20, '\0');
  while (from < to) {
    iovec v{const_cast<char*>(zeros.data()), static_cast<size_t>(std::min<int64_t>(to - from, 1 << 20))};
    if (Status s = PwritevAll(fd, {&v, 1}, from, path); !s.ok()) return s;
    from += static_cast<int64_t>(v.iov_len);
  }
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<Segment>> Segment::Create(std::string path, int64_t start, int64_t capacity,
                                                 SegmentOptions options) {
  // O_TRUNC: a file we create is new by definition; stale bytes there would look like data.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create", path, errno);
  auto seg = std::shared_ptr<Segment>(new Segment(std::move(path), fd, start, capacity, options));
  if (Status s = SizeFile(fd, capacity, options.reserve, seg->path_); !s.ok()) {
    ::unlink(seg->path_.c_str());  // a half-made file must not be found by the next open
    return s;
  }
  return Finish(std::move(seg));
}

Result<std::shared_ptr<Segment>> Segment::OpenExisting(std::string path, int64_t start, int64_t capacity,
                                                       SegmentOptions options) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  auto seg = std::shared_ptr<Segment>(new Segment(std::move(path), fd, start, capacity, options));
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus("stat", seg->path_, errno);
  if (st.st_size > capacity)
    return Status::Corruption(seg->path_ + " holds " + std::to_string(st.st_size) +
                              " bytes, more than the segment size " + std::to_string(capacity));
  if (st.st_size < capacity) {
    if (Status s = SizeFile(fd, capacity, options.reserve, seg->path_); !s.ok()) return s;
  }
  return Finish(std::move(seg));
}

Result<std::shared_ptr<Segment>> Segment::Finish(std::shared_ptr<Segment> seg) {
  if (seg->options_.map) {
    void* p = ::mmap(nullptr, static_cast<size_t>(seg->capacity_), PROT_READ, MAP_SHARED, seg->fd_, 0);
    if (p == MAP_FAILED) return ErrnoStatus("mmap", seg->path_, errno);
    seg->map_ = static_cast<char*>(p);
  }
  return seg;
}

Segment::~Segment() {
  if (map_ != nullptr) ::munmap(map_, static_cast<size_t>(capacity_));
  ::close(fd_);
}

Status Segment::Write(int64_t offset, std::span<const iovec> iov) {
  return PwritevAll(fd_, iov, offset, path_);
}

Status Segment::Read(int64_t offset, char* dst, size_t n) const {
  if (map_ != nullptr) {
    std::copy(map_ + offset, map_ + offset + static_cast<int64_t>(n), dst);
    return Status::OK();
  }
  return ReadFile(offset, dst, n);
}

Status Segment::ReadFile(int64_t offset, char* dst, size_t n) const {
  Result<size_t> got = PreadUpTo(fd_, dst, n, offset, path_);
  if (!got.ok()) return got.status();
  if (*got != n)
    return Status::Corruption(path_ + ": wanted " + std::to_string(n) + " bytes at " +
                              std::to_string(offset) + ", file ends after " + std::to_string(*got));
  return Status::OK();
}

Status Segment::Sync() {
  if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_, errno);
  return Status::OK();
}

Status Segment::ZeroRange(int64_t from, int64_t to) {
  if (from >= to) return Status::OK();
  // Reserved files keep their blocks (ZERO_RANGE); sparse ones give them back (PUNCH_HOLE).
  const int mode = options_.reserve ? (FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE)
                                    : (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
  if (::fallocate(fd_, mode, from, to - from) == 0) return Status::OK();
  if (errno != EOPNOTSUPP && errno != ENOSYS) return ErrnoStatus("fallocate (zero range)", path_, errno);
  return WriteZeros(fd_, from, to, path_);
}

void Segment::Prefetch(int64_t offset, int64_t n) const {
  if (n <= 0) return;
  const int64_t page = 4096;
  const int64_t from = offset / page * page;
  const int64_t to = std::min(capacity_, offset + n);
  if (map_ != nullptr) {
    ::madvise(map_ + from, static_cast<size_t>(to - from), MADV_WILLNEED);  // advice: failure is harmless
  } else {
    ::posix_fadvise(fd_, from, to - from, POSIX_FADV_WILLNEED);
  }
}

void Segment::DropCache(int64_t offset, int64_t n) const {
  const int64_t page = 4096;
  const int64_t from = offset / page * page;
  const int64_t to = std::min(capacity_, offset + n);
  if (to <= from) return;
  // Dirty pages cannot be dropped: write them back first and wait for it.
  ::sync_file_range(fd_, from, to - from,
                    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  // Pages mapped by a reader are skipped by the fadvise below: unmap them first (for a
  // read-only shared file mapping this only discards the page-table entries).
  if (map_ != nullptr) ::madvise(map_ + from, static_cast<size_t>(to - from), MADV_DONTNEED);
  ::posix_fadvise(fd_, from, to - from, POSIX_FADV_DONTNEED);
}

int64_t Segment::DiskBytes() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return 0;
  return static_cast<int64_t>(st.st_blocks) * 512;
}

}  // namespace sprocket::filelog
