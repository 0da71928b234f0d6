#include "checkpoint.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "big_endian.h"
#include "file_util.h"

namespace sprocket::filelog {

namespace {

constexpr char kCheckpointMagic[8] = {'S', 'P', 'R', 'K', 'C', 'K', 'P', 'T'};
constexpr int32_t kCheckpointVersion = 2;
constexpr int32_t kFlagCleanShutdown = 0x1;

// Version 2 checksums with CRC-32 (zlib); version 1 (same layout) used FNV-1a and is still read.
uint32_t Crc32(const char* p, size_t n) {
  return static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(p), static_cast<uInt>(n)));
}

uint32_t Fnv1a(const char* p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 16777619u;
  }
  return h;
}

}  // namespace

void EncodeCheckpoint(const CheckpointData& d, char* out) {
  std::memset(out, 0, kCheckpointSize);
  std::memcpy(out, kCheckpointMagic, sizeof kCheckpointMagic);
  PutInt32(out + 8, kCheckpointVersion);
  PutInt32(out + 12, d.clean_shutdown ? kFlagCleanShutdown : 0);
  PutInt64(out + 16, d.commit_log_segment_size);
  PutInt64(out + 24, d.consume_queue_file_size);
  PutInt64(out + 32, d.log_min);
  PutInt64(out + 40, d.log_durable_end);
  PutInt64(out + 48, d.cq_durable_position);
  PutInt32(out + 60, static_cast<int32_t>(Crc32(out, 60)));
}

Result<CheckpointData> DecodeCheckpoint(const char* in) {
  if (std::memcmp(in, kCheckpointMagic, sizeof kCheckpointMagic) != 0)
    return Status::Corruption("checkpoint: bad magic");
  const int32_t version = GetInt32(in + 8);
  if (version != kCheckpointVersion && version != 1)
    return Status::Corruption("checkpoint: unknown version " + std::to_string(version));
  const uint32_t sum = version == 1 ? Fnv1a(in, 60) : Crc32(in, 60);
  if (static_cast<uint32_t>(GetInt32(in + 60)) != sum)
    return Status::Corruption("checkpoint: checksum mismatch");
  CheckpointData d;
  d.clean_shutdown = (GetInt32(in + 12) & kFlagCleanShutdown) != 0;
  d.commit_log_segment_size = GetInt64(in + 16);
  d.consume_queue_file_size = GetInt64(in + 24);
  d.log_min = GetInt64(in + 32);
  d.log_durable_end = GetInt64(in + 40);
  d.cq_durable_position = GetInt64(in + 48);
  return d;
}

Result<std::unique_ptr<StoreDirectory>> StoreDirectory::Open(const std::string& dir) {
  const std::string lock_path = JoinPath(dir, "lock");
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("open", lock_path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK)
      return Status::IOError("store directory " + dir + " is in use by another store (" + lock_path +
                             " is locked)");
    return ErrnoStatus("lock", lock_path, err);
  }
  const std::string abort_path = JoinPath(dir, "abort");
  struct stat st;
  const bool crashed = ::stat(abort_path.c_str(), &st) == 0;
  int afd = ::open(abort_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (afd < 0 || ::fsync(afd) != 0) {
    int err = errno;
    if (afd >= 0) ::close(afd);
    ::close(fd);
    return ErrnoStatus("create", abort_path, err);
  }
  ::close(afd);
  if (Status s = SyncDir(dir); !s.ok()) {
    ::close(fd);
    return s;
  }
  return std::unique_ptr<StoreDirectory>(new StoreDirectory(dir, fd, crashed));
}

StoreDirectory::~StoreDirectory() {
  if (checkpoint_fd_ >= 0) ::close(checkpoint_fd_);
  ::close(lock_fd_);  // releases the flock
}

Result<std::optional<CheckpointData>> StoreDirectory::ReadCheckpoint() const {
  const std::string path = JoinPath(dir_, "checkpoint");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<CheckpointData>();
    return ErrnoStatus("open", path, errno);
  }
  char buf[kCheckpointSize];
  Result<size_t> got = PreadUpTo(fd, buf, sizeof buf, 0, path);
  ::close(fd);
  if (!got.ok()) return got.status();
  if (*got != sizeof buf)
    return Status::Corruption(path + ": " + std::to_string(*got) + " bytes, expected 64");
  Result<CheckpointData> d = DecodeCheckpoint(buf);
  if (!d.ok()) return Status::Corruption(path + ": " + d.status().message());
  return std::optional<CheckpointData>(*d);
}

Status StoreDirectory::WriteCheckpoint(const CheckpointData& d) {
  std::lock_guard lock(checkpoint_mu_);
  const std::string path = JoinPath(dir_, "checkpoint");
  if (checkpoint_fd_ < 0) {
    checkpoint_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (checkpoint_fd_ < 0) return ErrnoStatus("open", path, errno);
    if (Status s = SyncDir(dir_); !s.ok()) return s;
  }
  char buf[kCheckpointSize];
  EncodeCheckpoint(d, buf);
  // 64 bytes inside one sector: the overwrite is atomic on the devices we run on, and the
  // checksum catches it when it is not.
  iovec v{buf, sizeof buf};
  if (Status s = PwritevAll(checkpoint_fd_, {&v, 1}, 0, path); !s.ok()) return s;
  checkpoint_writes_.fetch_add(1, std::memory_order_relaxed);
  if (::fdatasync(checkpoint_fd_) != 0) return ErrnoStatus("fdatasync", path, errno);
  return Status::OK();
}

Status StoreDirectory::MarkCleanShutdown() {
  const std::string abort_path = JoinPath(dir_, "abort");
  if (::unlink(abort_path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("unlink", abort_path, errno);
  return SyncDir(dir_);
}

}  // namespace sprocket::filelog
