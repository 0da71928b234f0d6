// StoreDirectory: the files at the top of the data directory that describe the store as a
// whole (FORMAT.md §3):
//   lock        flock()ed while a store has the directory open: a second opener is refused.
//   abort       exists while a store is open; finding it at open means the last run crashed.
//   checkpoint  64 bytes: file sizes the data was written with, where the log starts, and
//               how far the log and the consume queues were known durable (recovery checks
//               and re-dispatches only what lies past that; see recovery.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "sprocket/plugin/status.h"

namespace sprocket::filelog {

struct CheckpointData {
  bool clean_shutdown = false;
  int64_t commit_log_segment_size = 0;
  int64_t consume_queue_file_size = 0;
  int64_t log_min = 0;
  int64_t log_durable_end = 0;      // the commit log was fsynced up to here
  int64_t cq_durable_position = 0;  // consume-queue entries of records below here were fsynced
};

inline constexpr size_t kCheckpointSize = 64;

// Encoding, exposed for tests and FORMAT.md's sake.
void EncodeCheckpoint(const CheckpointData& d, char* out /* kCheckpointSize bytes */);
Result<CheckpointData> DecodeCheckpoint(const char* in /* kCheckpointSize bytes */);

class StoreDirectory {
 public:
  // Locks `dir`, notes whether an abort file is there, then creates it.
  static Result<std::unique_ptr<StoreDirectory>> Open(const std::string& dir);
  ~StoreDirectory();
  StoreDirectory(const StoreDirectory&) = delete;
  StoreDirectory& operator=(const StoreDirectory&) = delete;

  bool previous_run_crashed() const { return crashed_; }
  // nullopt when there is no checkpoint yet; Corruption when it fails its checksum.
  Result<std::optional<CheckpointData>> ReadCheckpoint() const;
  // Rewrites the checkpoint in place (one 64-byte pwrite, then fdatasync). Thread-safe.
  Status WriteCheckpoint(const CheckpointData& d);
  // Removes the abort file (and syncs the directory): the next open sees a clean shutdown.
  Status MarkCleanShutdown();
  // Checkpoint writes so far (each one fdatasync), for StoreStats::syncs.
  int64_t checkpoint_writes() const { return checkpoint_writes_.load(std::memory_order_relaxed); }

 private:
  StoreDirectory(std::string dir, int lock_fd, bool crashed)
      : dir_(std::move(dir)), lock_fd_(lock_fd), crashed_(crashed) {}

  const std::string dir_;
  const int lock_fd_;
  const bool crashed_;
  std::mutex checkpoint_mu_;
  int checkpoint_fd_ = -1;  // opened on first write
  std::atomic<int64_t> checkpoint_writes_{0};
};

}  // namespace sprocket::filelog
