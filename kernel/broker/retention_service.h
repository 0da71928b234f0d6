// RetentionService: deletes expired log data, on RocketMQ's schedule (CleanCommitLogService).
//
// Every cleanResourceInterval (10 s) it decides whether it is time to delete:
//   - the local hour is one of deleteWhen ("04", or several: "04;16"), or
//   - the disk holding storePathRootDir is fuller than diskMaxUsedSpaceRatio percent;
// and if so asks the store to delete units (commit-log segments) whose newest record is
// older than fileReservedTime hours. Past diskSpaceCleanForciblyRatio (RocketMQ's system
// property, 0.85) and with cleanFileForciblyEnable, units are deleted even unexpired.
// The store trims its queues and index to match; pulls below a queue's new minimum then
// get PULL_OFFSET_MOVED with the corrected offset (pull_processor.cc).
//
// It runs on its own thread: deleting a 1 GiB file may take a while and must not stall
// an I/O thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sprocket/plugin/storage.h"

namespace sprocket::broker {

struct RetentionSettings {
  int64_t file_reserved_hours = 72;          // fileReservedTime
  std::vector<int> delete_hours = {4};       // deleteWhen, parsed
  int32_t disk_max_used_space_ratio = 75;    // percent, RocketMQ clamps to 10..95
  double disk_space_clean_forcibly_ratio = 0.85;
  bool clean_file_forcibly_enable = true;
  int64_t clean_resource_interval_ms = 10000;
  int32_t delete_file_batch_max = 10;
};

// Parses deleteWhen: hours 0..23 separated by ';' ("04", "4;16"). InvalidArgument otherwise.
Result<std::vector<int>> ParseDeleteWhen(const std::string& text);

// The decision for one pass, pure so that it can be tested.
struct RetentionDecision {
  bool run = false;
  RetentionPolicy policy;
  std::string why;  // "deleteWhen hour 04", "disk 91% > 75%" ... for the log line
};
RetentionDecision DecideRetention(const RetentionSettings& s, int64_t now_ms, int local_hour,
                                  double disk_used_ratio);

// Fraction of the file system holding `path` in use, as Java's File.getTotalSpace /
// getFreeSpace see it ((total - free) / total); -1 when statvfs fails.
double DiskUsedRatio(const std::string& path);

class RetentionService {
 public:
  RetentionService(RetentionSettings settings, MessageStore& store, std::string data_dir);
  ~RetentionService();  // Stop()

  void Start();
  void Stop();
  // Runs one pass now (tests, the admin command), whatever the schedule says if `force_time`.
  Result<RetentionResult> RunOnce(bool force_time);

 private:
  void Loop();

  const RetentionSettings settings_;
  MessageStore& store_;
  const std::string data_dir_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sprocket::broker
