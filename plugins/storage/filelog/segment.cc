#include "segment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "file_util.h"

namespace sprocket::filelog {

Result<std::shared_ptr<Segment>> Segment::Open(std::string path, int64_t start, int64_t capacity,
                                               bool create) {
  int flags = O_RDWR | O_CLOEXEC;
  // O_TRUNC: a file we create is new by definition; stale bytes there would look like data.
  if (create) flags |= O_CREAT | O_TRUNC;
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return ErrnoStatus(create ? "create" : "open", path, errno);
  return std::shared_ptr<Segment>(new Segment(std::move(path), fd, start, capacity));
}

Segment::~Segment() { ::close(fd_); }

Status Segment::Write(int64_t offset, std::span<const iovec> iov) {
  return PwritevAll(fd_, iov, offset, path_);
}

Status Segment::Read(int64_t offset, char* dst, size_t n) const {
  Result<size_t> got = ReadUpTo(offset, dst, n);
  if (!got.ok()) return got.status();
  if (*got != n)
    return Status::Corruption(path_ + ": wanted " + std::to_string(n) + " bytes at " +
                              std::to_string(offset) + ", file ends after " + std::to_string(*got));
  return Status::OK();
}

Result<size_t> Segment::ReadUpTo(int64_t offset, char* dst, size_t n) const {
  return PreadUpTo(fd_, dst, n, offset, path_);
}

Status Segment::Sync() {
  if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync", path_, errno);
  return Status::OK();
}

Status Segment::Truncate(int64_t size) {
  if (::ftruncate(fd_, size) != 0) return ErrnoStatus("truncate", path_, errno);
  return Status::OK();
}

Result<int64_t> Segment::FileSize() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoStatus("stat", path_, errno);
  return static_cast<int64_t>(st.st_size);
}

}  // namespace sprocket::filelog
