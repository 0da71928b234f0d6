// SyncWaiters: appends that are stored and wait for an fsync (flushDiskType=SYNC_FLUSH).
//
// The writer adds one Completion per Append call after writing it; the flusher takes those
// its fsync covered; the writer also takes those whose syncFlushTimeout ran out (they are
// stored, so their results become Timeout, RocketMQ's FLUSH_DISK_TIMEOUT). Whoever takes a
// completion runs it, outside the lock, so each callback runs exactly once.
//
// Waiters are added in log order with the same timeout, so both targets and deadlines grow
// along the queue and each take pops from the front.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "sprocket/plugin/storage.h"

namespace spdlog {
class logger;
}

namespace sprocket::filelog {

using Clock = std::chrono::steady_clock;

// A finished Append: its callback and one result per request.
struct Completion {
  AppendCallback done;
  std::vector<AppendResult> results;
};

// Runs each completion's callback; a throwing callback is logged, never propagated.
void RunCompletions(std::vector<Completion>& completions, spdlog::logger& log);

class SyncWaiters {
 public:
  // `target`: the log must be durable up to here.
  void Add(int64_t target, Clock::time_point deadline, Completion c);
  // Completions the log is durable for. Those whose deadline passed before `now` complete
  // with Timeout all the same: the flush was not done within syncFlushTimeout.
  std::vector<Completion> TakeDurable(int64_t durable_end, Clock::time_point now);
  // Completions whose deadline passed; their OK results become Timeout.
  std::vector<Completion> TakeExpired(Clock::time_point now);
  // Everything left, with OK results replaced by `status` (close after a failed flush).
  std::vector<Completion> TakeAll(const Status& status);
  std::optional<Clock::time_point> EarliestDeadline() const;
  bool empty() const;
  // Records waiting (results of the waiting completions): what a gathering flusher counts,
  // as a broker hands the store one completion per batch of sends, and a cohort of
  // returning sends arrives batched differently from the one answered.
  size_t records() const;

 private:
  struct Waiter {
    int64_t target;
    Clock::time_point deadline;
    Completion completion;
  };
  mutable std::mutex mu_;
  std::deque<Waiter> waiters_;
  size_t records_ = 0;  // sum of completion.results.size() over waiters_
};

}  // namespace sprocket::filelog
