// Flusher: the store's flush thread.
//
// Every flushIntervalCommitLog ms (at once when a SYNC_FLUSH append waits) it fdatasyncs the
// commit log up to its published end and completes the SYNC_FLUSH appends that fsync covered:
// one fsync for everything waiting at that moment (group commit). Every
// flushIntervalConsumeQueue ms it also syncs the consume queues and rewrites the checkpoint.
//
// With SYNC_FLUSH the callbacks of the appends an fsync covered run on a second thread
// (filelog-synced), in order, so the next fsync starts at once: run on the flush thread they
// delayed it by their own cost (measured: ~0.4 ms for ~120 callbacks that each send the next
// append, as long again as the fsync), and every waiting append paid for that.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <vector>
#include <mutex>
#include <thread>

#include "checkpoint.h"
#include "store_core.h"

namespace sprocket::filelog {

class Flusher {
 public:
  explicit Flusher(StoreCore& core) : core_(core) {}
  ~Flusher();

  void Start();
  // A SYNC_FLUSH append is waiting: flush now rather than at the next interval.
  void WakeForSync();
  // Syncs the log and every consume queue up to what is published, then rewrites the
  // checkpoint (skipped when nothing moved). Any thread; blocks on the fsyncs.
  Status FlushAll(bool clean_shutdown = false);
  // For changes that move the log end backwards (TruncateLog, repositioning an empty log):
  // no checkpoint is written while the lock is held, so none can record the old end after
  // the change; the change then writes its own with FlushAllLocked.
  std::unique_lock<std::mutex> HoldCheckpoints();
  Status FlushAllLocked(bool clean_shutdown = false);
  // Final log flush, completes every waiting SYNC_FLUSH append (with an error if the flush
  // fails), joins the thread. Call after the writer has stopped. Idempotent.
  void Stop();

 private:
  void Run();
  // Hands completions to the filelog-synced thread (or runs them when it is not running).
  void Complete(std::vector<Completion> done);
  void CompleterRun();

  StoreCore& core_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool sync_wanted_ = false;
  std::thread thread_;

  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::deque<std::vector<Completion>> done_queue_;
  bool done_stop_ = false;
  std::thread completer_;  // SYNC_FLUSH only

  std::mutex checkpoint_mu_;  // serialises FlushAll; guards last_checkpoint_
  CheckpointData last_checkpoint_;
  bool have_checkpoint_ = false;
};

}  // namespace sprocket::filelog
