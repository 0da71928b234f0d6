// Dispatcher: the work that follows an append batch but need not hold up the next one, on
// its own thread ("filelog-reput", after RocketMQ's ReputMessageService): it adds the
// records' keys to the key index, runs the ASYNC_FLUSH completions, and frees the batch.
//
// Profiled with a key on every record, the writer thread spent about a quarter of its time in
// KeyIndex::Add (random hash-slot writes through the index's mapping) and more in callbacks
// and freeing records; moved here, the writer only validates, places, writes and publishes.
// Keys go to the index in batches (StoreCore::IndexBatch): one lock per batch, not per record.
//
// Ordering: work runs in the order it was handed over, so callbacks complete in append order
// and keys reach the index in log order (KeyIndex::Add needs that). Callbacks run before the
// keys are added (the producers' window reopens sooner); LookupKey waits for the work handed
// over before it (WaitFor), so a lookup still sees every record acknowledged before it. When
// indexing falls behind, Submit blocks the writer (a bounded queue).
// Changes to the index that must not interleave with Add (TruncateLog, repositioning,
// Close) wait until the dispatcher is idle (WaitIdle), on the only thread that hands it work.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sprocket/plugin/storage.h"
#include "store_core.h"

namespace sprocket::filelog {

struct DispatchWork {
  struct Keys {
    std::string topic;
    std::string keys;
    int64_t position = 0;
    int64_t store_timestamp = 0;
  };
  std::vector<Keys> index;                          // records to index, in log order
  std::vector<Completion> completions;              // ASYNC_FLUSH: run after indexing
  std::vector<std::vector<AppendRequest>> garbage;  // freed here, not on the writer
};

class Dispatcher {
 public:
  explicit Dispatcher(StoreCore& core) : core_(core) {}
  ~Dispatcher();

  void Start();
  // Writer thread: hands over one batch's work. Runs it inline when the thread is stopped.
  void Submit(DispatchWork work);
  // How much work was handed over so far (a ticket for WaitFor).
  uint64_t submitted() const;
  // Waits until the work up to `ticket` is done, at most `timeout`; false on timeout.
  bool WaitFor(uint64_t ticket, std::chrono::milliseconds timeout);
  // Writer thread: waits until everything handed over is done.
  void WaitIdle();
  // Finishes the work handed over, then joins the thread. Idempotent.
  void Stop();

 private:
  void Run();
  void Do(std::vector<DispatchWork>& batch);

  StoreCore& core_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // work arrived / stop
  std::condition_variable done_cv_;  // work finished
  std::vector<DispatchWork> queue_;
  // Do's buffer of records to index, reused. Do runs on one thread at a time: this one, or
  // the writer (Submit) when this one is not running.
  std::vector<KeyIndex::Record> records_;
  static constexpr size_t kMaxQueuedRecords = 256 * 1024;
  size_t queued_records_ = 0;  // keys waiting in queue_
  uint64_t submitted_ = 0;
  uint64_t done_ = 0;
  bool waiting_ = false;  // the thread sleeps on cv_
  bool stop_ = false;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace sprocket::filelog
