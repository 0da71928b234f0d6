// SyncWatchdog: completes SYNC_FLUSH appends with Timeout when their synced write takes
// longer than syncFlushTimeout (RocketMQ's FLUSH_DISK_TIMEOUT; the records are stored).
//
// The writer thread is blocked inside LevelDB's synced write, so it cannot time the appends
// out itself: it hands their completions to the watchdog before the write (Begin) and takes
// back after it (End) whatever the watchdog did not take. Whoever takes a completion runs it,
// so each callback runs exactly once. One batch is in flight at a time (one writer).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "sprocket/plugin/storage.h"

namespace spdlog {
class logger;
}

namespace sprocket::leveldb_store {

using Clock = std::chrono::steady_clock;

// A finished Append: its callback and one result per request.
struct Completion {
  AppendCallback done;
  std::vector<AppendResult> results;
};

// Runs each completion's callback; a throwing callback is logged, never propagated.
void RunCompletions(std::vector<Completion>& completions, spdlog::logger& log);

class SyncWatchdog {
 public:
  explicit SyncWatchdog(spdlog::logger& log) : log_(log) {}
  ~SyncWatchdog() { Stop(); }

  void Start();
  void Stop();  // idempotent; anything still handed over stays for End
  void Begin(std::vector<Completion> completions, Clock::time_point deadline);
  std::vector<Completion> End();

 private:
  void Run();

  spdlog::logger& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Completion> in_flight_;
  std::optional<Clock::time_point> deadline_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sprocket::leveldb_store
