#include "dispatcher.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

namespace sprocket::filelog {

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  {
    std::lock_guard lock(mu_);
    running_ = true;
  }
  thread_ = std::thread([this] {
    // At most 15 characters: a longer name is refused (ERANGE) and the thread stays unnamed.
    pthread_setname_np(pthread_self(), "filelog-reput");
    Run();
  });
}

void Dispatcher::Do(std::vector<DispatchWork>& batch) {
  // Every waiting batch's callbacks first: they reopen the producers' in-flight window
  // soonest. LookupKey waits for the work to be done, so a lookup still sees every record
  // acknowledged before it.
  for (DispatchWork& w : batch) RunCompletions(w.completions, *core_.log);
  for (DispatchWork& w : batch) w.garbage.clear();  // frees the records (their keys were moved out)
  // Keys of every waiting batch together, StoreCore::kIndexBatch records per call: one lock
  // and no allocation per record in the index.
  try {
    records_.clear();
    for (const DispatchWork& w : batch) {
      for (const DispatchWork::Keys& k : w.index) {
        records_.push_back({k.topic, k.keys, LogPosition(k.position), k.store_timestamp});
        if (records_.size() == StoreCore::kIndexBatch) {
          core_.IndexBatch(records_);
          records_.clear();
        }
      }
    }
    core_.IndexBatch(records_);
  } catch (const std::exception& e) {  // allocation only: those keys are not indexed
    core_.log->error("filelog dispatch: {}", e.what());
  }
  records_.clear();  // views of the keys freed with the batch
}

void Dispatcher::Submit(DispatchWork work) {
  bool wake = false;
  {
    std::unique_lock lock(mu_);
    ++submitted_;
    // Bounded: when indexing falls behind the writer, the writer waits (keys of ~256k
    // records at most, a few MB).
    done_cv_.wait(lock, [&] { return !running_ || queued_records_ < kMaxQueuedRecords; });
    if (!running_) {  // before Start or after Stop: nobody else will do it
      lock.unlock();
      std::vector<DispatchWork> one;
      one.push_back(std::move(work));
      Do(one);
      lock.lock();
      ++done_;
      done_cv_.notify_all();
      return;
    }
    queued_records_ += work.index.size();
    queue_.push_back(std::move(work));
    wake = waiting_;
    waiting_ = false;
  }
  if (wake) cv_.notify_one();
}

uint64_t Dispatcher::submitted() const {
  std::lock_guard lock(mu_);
  return submitted_;
}

bool Dispatcher::WaitFor(uint64_t ticket, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return done_cv_.wait_for(lock, timeout, [&] { return done_ >= ticket; });
}

void Dispatcher::WaitIdle() {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return done_ >= submitted_; });
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  running_ = false;
}

void Dispatcher::Run() {
  std::vector<DispatchWork> batch;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (queue_.empty() && !stop_) {
        waiting_ = true;
        cv_.wait(lock, [&] { return !queue_.empty() || stop_; });
        waiting_ = false;
      }
      if (queue_.empty() && stop_) return;
      batch.swap(queue_);
    }
    size_t records = 0;
    for (const DispatchWork& w : batch) records += w.index.size();
    Do(batch);
    {
      std::lock_guard lock(mu_);
      done_ += batch.size();
      queued_records_ -= records;
      done_cv_.notify_all();
    }
    batch.clear();
  }
}

}  // namespace sprocket::filelog
