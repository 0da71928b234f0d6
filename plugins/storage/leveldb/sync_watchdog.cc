#include "sync_watchdog.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <exception>

namespace sprocket::leveldb_store {

void RunCompletions(std::vector<Completion>& completions, spdlog::logger& log) {
  for (Completion& c : completions) {
    try {
      if (c.done) c.done(c.results);
    } catch (const std::exception& e) {
      log.error("append callback threw: {}", e.what());
    } catch (...) {
      log.error("append callback threw a non-standard exception");
    }
  }
  completions.clear();
}

void SyncWatchdog::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "leveldb-syncdog");
    Run();
  });
}

void SyncWatchdog::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SyncWatchdog::Begin(std::vector<Completion> completions, Clock::time_point deadline) {
  {
    std::lock_guard lock(mu_);
    in_flight_ = std::move(completions);
    deadline_ = deadline;
  }
  cv_.notify_one();
}

std::vector<Completion> SyncWatchdog::End() {
  std::lock_guard lock(mu_);
  deadline_.reset();
  return std::move(in_flight_);
}

void SyncWatchdog::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!deadline_) {
      cv_.wait(lock);
      continue;
    }
    if (Clock::now() < *deadline_) {
      cv_.wait_until(lock, *deadline_);
      continue;
    }
    std::vector<Completion> expired = std::move(in_flight_);
    in_flight_.clear();
    deadline_.reset();
    lock.unlock();
    for (Completion& c : expired)
      for (AppendResult& r : c.results)
        if (r.status.ok())
          r.status = Status::Timeout(
              "leveldb: the synced write did not finish within syncFlushTimeout; "
              "the record is stored but may not be durable");
    log_.warn("a synced write is taking longer than syncFlushTimeout; {} appends completed with Timeout",
              expired.size());
    RunCompletions(expired, log_);
    lock.lock();
  }
}

}  // namespace sprocket::leveldb_store
