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
//
// Gathering (SYNC_FLUSH): producers that send synchronously send their next message as soon
// as the previous one is answered. Started at once, the next fsync covers only what arrived
// during the last one, and the answered producers' next messages wait for all of it and
// then for an fsync of their own: two cohorts, each send waiting ~2 fsyncs. So after an
// fsync that answered N > 1 records, the flusher waits until N more records wait than did
// then (records, not Append calls: a broker hands over one Append per batch of sends, and
// the returning cohort arrives batched differently). It waits at most twice the longest
// recent successful wait (a decaying maximum), at least the recent fsync time, and never
// more than 1 ms: when they come
// back the fsync covers both cohorts and a send waits ~1 fsync plus its round trip, which
// beats 2 fsyncs also when the round trip is the longer (through a broker on this machine).
// A wait that runs out (the answered producers did not come back: open-loop traffic) doubles
// the next wait's limit and turns gathering off for a number of fsyncs that doubles each
// time, up to 256, and resets when a wait succeeds. While gathering, the callbacks run
// on the flush thread itself (the next fsync waits for their appends anyway). Measured,
// store alone, 32 single-record appends in flight: 16 -> 32 appends per fsync, p50 2.1-2.8x
// -> 1.6-2.1x the disk's fsync p50.
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
  // The gathering wait before a SYNC_FLUSH fsync (see above); `mu_` held.
  void Gather(std::unique_lock<std::mutex>& lock);
  // Hands completions to the filelog-synced thread (or runs them when it is not running,
  // or, `inline_if_idle`, when it has nothing queued or running).
  void Complete(std::vector<Completion> done, bool inline_if_idle = false);
  void CompleterRun();

  StoreCore& core_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool sync_wanted_ = false;
  std::thread thread_;

  // Gathering: guarded by mu_ ...
  size_t gather_target_ = 0;  // records to wait for; 0: no gathering wait
  bool gathering_ = false;    // the thread waits for gather_target_
  // ... and the flush thread's own.
  Clock::duration fsync_time_{};    // recent fsync duration (moving average)
  Clock::duration gather_budget_{};  // the next wait's limit (at least fsync_time_)
  int gather_off_ = 0;            // fsyncs left without gathering
  int gather_backoff_ = 1;        // the next value of gather_off_ after a wait runs out

  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::deque<std::vector<Completion>> done_queue_;
  bool done_stop_ = false;
  bool completer_busy_ = false;  // running a batch it took
  std::thread completer_;  // SYNC_FLUSH only

  std::mutex checkpoint_mu_;  // serialises FlushAll; guards last_checkpoint_
  CheckpointData last_checkpoint_;
  bool have_checkpoint_ = false;
};

}  // namespace sprocket::filelog
