#include "sync_waiters.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace sprocket::filelog {

namespace {

void ReplaceOk(Completion& c, const Status& status) {
  for (AppendResult& r : c.results)
    if (r.status.ok()) r.status = status;
}

Status FlushTimeout() {
  return Status::Timeout(
      "filelog: fsync did not finish within syncFlushTimeout; the record is stored but may "
      "not be durable");
}

}  // namespace

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

void SyncWaiters::Add(int64_t target, Clock::time_point deadline, Completion c) {
  std::lock_guard lock(mu_);
  records_ += c.results.size();
  waiters_.push_back(Waiter{target, deadline, std::move(c)});
}

std::vector<Completion> SyncWaiters::TakeDurable(int64_t durable_end, Clock::time_point now) {
  std::vector<Completion> out;
  std::lock_guard lock(mu_);
  while (!waiters_.empty() && waiters_.front().target <= durable_end) {
    out.push_back(std::move(waiters_.front().completion));
    records_ -= out.back().results.size();
    if (waiters_.front().deadline < now) ReplaceOk(out.back(), FlushTimeout());
    waiters_.pop_front();
  }
  return out;
}

std::vector<Completion> SyncWaiters::TakeExpired(Clock::time_point now) {
  std::vector<Completion> out;
  std::lock_guard lock(mu_);
  while (!waiters_.empty() && waiters_.front().deadline <= now) {
    out.push_back(std::move(waiters_.front().completion));
    records_ -= out.back().results.size();
    waiters_.pop_front();
    ReplaceOk(out.back(), FlushTimeout());
  }
  return out;
}

std::vector<Completion> SyncWaiters::TakeAll(const Status& status) {
  std::vector<Completion> out;
  std::lock_guard lock(mu_);
  for (Waiter& w : waiters_) {
    out.push_back(std::move(w.completion));
    ReplaceOk(out.back(), status);
  }
  waiters_.clear();
  records_ = 0;
  return out;
}

std::optional<Clock::time_point> SyncWaiters::EarliestDeadline() const {
  std::lock_guard lock(mu_);
  if (waiters_.empty()) return std::nullopt;
  return waiters_.front().deadline;
}

size_t SyncWaiters::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

bool SyncWaiters::empty() const {
  std::lock_guard lock(mu_);
  return waiters_.empty();
}

}  // namespace sprocket::filelog
