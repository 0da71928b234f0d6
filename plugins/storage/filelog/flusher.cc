#include "flusher.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace sprocket::filelog {

Flusher::~Flusher() { Stop(); }

void Flusher::Start() {
  if (core_.options.sync_flush) {
    completer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "filelog-synced");
      CompleterRun();
    });
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "filelog-flush");
    Run();
  });
}

void Flusher::WakeForSync() {
  {
    std::lock_guard lock(mu_);
    sync_wanted_ = true;
    // While gathering, the thread needs waking only once the count it waits for is reached
    // (checked under mu_, as the thread checks it: no wake-up is missed).
    if (gathering_ && core_.sync_waiters.records() < gather_target_) return;
  }
  cv_.notify_one();
}

void Flusher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(done_mu_);
    done_stop_ = true;
  }
  done_cv_.notify_one();
  if (completer_.joinable()) completer_.join();  // after running everything handed to it
}

void Flusher::Complete(std::vector<Completion> done, bool inline_if_idle) {
  if (done.empty()) return;
  if (completer_.joinable()) {
    std::unique_lock lock(done_mu_);
    if (!inline_if_idle || completer_busy_ || !done_queue_.empty()) {
      done_queue_.push_back(std::move(done));
      lock.unlock();
      done_cv_.notify_one();
      return;
    }
  }
  RunCompletions(done, *core_.log);
}

void Flusher::CompleterRun() {
  std::unique_lock lock(done_mu_);
  while (true) {
    done_cv_.wait(lock, [this] { return done_stop_ || !done_queue_.empty(); });
    if (done_queue_.empty()) return;  // stopping, and everything handed over has run
    std::deque<std::vector<Completion>> batch;
    batch.swap(done_queue_);
    completer_busy_ = true;
    lock.unlock();
    for (std::vector<Completion>& done : batch) RunCompletions(done, *core_.log);
    lock.lock();
    completer_busy_ = false;
  }
}

void Flusher::Gather(std::unique_lock<std::mutex>& lock) {
  if (gather_target_ == 0) return;
  if (gather_off_ > 0) {
    --gather_off_;
    return;
  }
  constexpr Clock::duration kMaxWait = std::chrono::milliseconds(1);
  const Clock::duration wait = std::min(std::max(fsync_time_, gather_budget_), kMaxWait);
  const auto start = Clock::now();
  gathering_ = true;
  const bool gathered = cv_.wait_until(lock, start + wait, [this] {
    return stop_ || core_.sync_waiters.records() >= gather_target_;
  });
  gathering_ = false;
  if (gathered) {
    // Room for twice the longest time the answered producers recently took to come back
    // (a decaying maximum: cohorts alternate between arriving at once and spread out).
    const Clock::duration took = Clock::now() - start;
    gather_budget_ =
        std::min<Clock::duration>(std::max(2 * took, gather_budget_ - gather_budget_ / 8), kMaxWait);
    gather_backoff_ = 1;
  } else {
    // Perhaps only too short (a round trip longer than an fsync): the next try waits twice
    // as long; open-loop traffic meanwhile pays for it ever more rarely.
    gather_budget_ = std::min<Clock::duration>(2 * wait, kMaxWait);
    gather_off_ = gather_backoff_;
    gather_backoff_ = std::min(gather_backoff_ * 2, 256);
  }
}

void Flusher::Run() {
  const auto log_interval = std::chrono::milliseconds(core_.options.flush_interval_commit_log_ms);
  const auto cq_interval = std::chrono::milliseconds(core_.options.flush_interval_consume_queue_ms);
  auto next_cq_flush = Clock::now() + cq_interval;
  std::string last_error;
  while (true) {
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, log_interval, [this] { return stop_ || sync_wanted_; });
      if (sync_wanted_ && !stop_) Gather(lock);
      sync_wanted_ = false;
      stopping = stop_;
    }
    // One fdatasync per segment touched covers every append published so far.
    const auto fsync_start = Clock::now();
    Status synced = core_.commit_log.SyncToEnd();
    const auto fsync_end = Clock::now();
    if (!synced.ok() && synced.message() != last_error) {
      core_.log->error("commitlog flush failed: {}", synced.ToString());
      last_error = synced.message();
    }
    std::vector<Completion> durable = core_.sync_waiters.TakeDurable(core_.commit_log.durable_end(), fsync_end);
    if (core_.options.sync_flush) {
      fsync_time_ = (fsync_time_ * 7 + (fsync_end - fsync_start)) / 8;
      // Gather for the next fsync only after one that answered more than one record (a
      // lone producer gains nothing from waiting).
      size_t answered = 0;
      for (const Completion& c : durable) answered += c.results.size();
      const size_t target = answered > 1 ? core_.sync_waiters.records() + answered : 0;
      std::lock_guard lock(mu_);
      gather_target_ = target;
    }
    // When the next fsync will wait to gather anyway, the callbacks run here (their order
    // kept: only when the filelog-synced thread has nothing left), sparing the hand-off.
    Complete(std::move(durable), /*inline_if_idle=*/gather_target_ > 0 && gather_off_ == 0);
    if (stopping) {
      std::vector<Completion> left = core_.sync_waiters.TakeAll(
          synced.ok() ? Status::Aborted("filelog: closed before the flush") : synced);
      Complete(std::move(left));
      break;
    }
    if (Clock::now() >= next_cq_flush) {
      if (Status s = FlushAll(); !s.ok() && s.message() != last_error) {
        core_.log->error("consume queue flush failed: {}", s.ToString());
        last_error = s.message();
      }
      next_cq_flush = Clock::now() + cq_interval;
    }
  }
}

Status Flusher::FlushAll(bool clean_shutdown) {
  // Serialised, so that checkpoints are written in the order their positions were taken.
  std::lock_guard lock(checkpoint_mu_);
  return FlushAllLocked(clean_shutdown);
}

std::unique_lock<std::mutex> Flusher::HoldCheckpoints() { return std::unique_lock(checkpoint_mu_); }

Status Flusher::FlushAllLocked(bool clean_shutdown) {
  // Every record below the dispatched end has its consume-queue entries written and
  // published (the writer moves it after publishing the queues), so syncing the log up to
  // it and then every queue makes both durable for all of those records.
  Result<int64_t> synced = core_.commit_log.SyncTo(core_.dispatched_end);
  if (!synced.ok()) return synced.status();
  const int64_t position = *synced;
  Status status;
  for (const auto& q : core_.queues.All()) {
    Status s = q->Sync();
    if (status.ok() && !s.ok()) status = s;
  }
  if (status.ok() && core_.index) status = core_.index->Flush();
  if (!status.ok()) return status;

  CheckpointData cp;
  cp.clean_shutdown = clean_shutdown;
  cp.commit_log_segment_size = core_.options.commit_log_segment_size;
  cp.consume_queue_file_size = core_.options.consume_queue_file_size;
  cp.log_min = core_.commit_log.min_position();
  cp.log_durable_end = position;
  cp.cq_durable_position = position;
  if (have_checkpoint_ && !clean_shutdown && cp.log_min == last_checkpoint_.log_min &&
      cp.log_durable_end == last_checkpoint_.log_durable_end &&
      cp.cq_durable_position == last_checkpoint_.cq_durable_position)
    return Status::OK();  // nothing moved: spare the disk a write and an fsync
  if (Status s = core_.directory->WriteCheckpoint(cp); !s.ok()) return s;
  last_checkpoint_ = cp;
  have_checkpoint_ = true;
  return Status::OK();
}

}  // namespace sprocket::filelog
