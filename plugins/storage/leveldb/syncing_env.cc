#include "syncing_env.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sprocket::leveldb_store {

leveldb::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return leveldb::Status::IOError(dir, std::strerror(errno));
  leveldb::Status s;
  if (::fsync(fd) != 0) s = leveldb::Status::IOError(dir, std::strerror(errno));
  ::close(fd);
  return s;
}

namespace {

bool IsLogFile(const std::string& fname) {
  return fname.size() > 4 && fname.compare(fname.size() - 4, 4, ".log") == 0;
}

leveldb::Status SyncDirectoryOf(const std::string& fname) {
  const size_t slash = fname.rfind('/');
  return SyncDirectory(slash == std::string::npos ? "." : fname.substr(0, slash));
}

// A write-ahead log file that is synced before it is closed (see syncing_env.h).
class SyncOnCloseLogFile final : public leveldb::WritableFile {
 public:
  SyncOnCloseLogFile(leveldb::WritableFile* target, std::string fname, SyncingEnv* env)
      : target_(target), fname_(std::move(fname)), env_(env) {}
  ~SyncOnCloseLogFile() override {
    if (!closed_) {
      if (leveldb::Status s = Close(); !s.ok()) env_->RecordError(s);
    }
  }

  leveldb::Status Append(const leveldb::Slice& data) override {
    dirty_ = true;
    return target_->Append(data);
  }
  leveldb::Status Flush() override { return target_->Flush(); }
  leveldb::Status Sync() override {
    leveldb::Status s = target_->Sync();
    env_->CountSync();
    if (s.ok()) dirty_ = false;
    if (s.ok() && !dir_synced_) {
      s = SyncDirectoryOf(fname_);
      dir_synced_ = s.ok();
    }
    return s;
  }
  leveldb::Status Close() override {
    closed_ = true;
    leveldb::Status s;
    if (dirty_) s = Sync();
    leveldb::Status c = target_->Close();
    return s.ok() ? c : s;
  }

 private:
  std::unique_ptr<leveldb::WritableFile> target_;
  const std::string fname_;
  SyncingEnv* const env_;
  bool dirty_ = false;
  bool dir_synced_ = false;
  bool closed_ = false;
};

}  // namespace

SyncingEnv::SyncingEnv() : leveldb::EnvWrapper(leveldb::Env::Default()) {}

leveldb::Status SyncingEnv::NewWritableFile(const std::string& fname, leveldb::WritableFile** result) {
  leveldb::Status s = target()->NewWritableFile(fname, result);
  if (s.ok() && IsLogFile(fname)) *result = new SyncOnCloseLogFile(*result, fname, this);
  return s;
}

void SyncingEnv::RecordError(const leveldb::Status& s) {
  std::lock_guard lock(mu_);
  if (error_.ok()) error_ = s;
}

leveldb::Status SyncingEnv::TakeError() {
  std::lock_guard lock(mu_);
  leveldb::Status s = error_;
  error_ = leveldb::Status::OK();
  return s;
}

}  // namespace sprocket::leveldb_store
