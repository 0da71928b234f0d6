#include "cache_trimmer.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "commit_log.h"

namespace sprocket::filelog {

namespace {
// Bytes dropped per step: big enough that the syscalls cost nothing per byte, small enough
// that one step's write-back wait stays short.
constexpr int64_t kStep = 32 << 20;
constexpr int64_t kPage = 4096;
// How often the thread looks at the log end: at 2 GB/s the log moves 200 MB meanwhile,
// well inside any sensible window.
constexpr auto kPollInterval = std::chrono::milliseconds(100);
}  // namespace

CacheTrimmer::CacheTrimmer(CommitLog& log, int64_t window, std::shared_ptr<spdlog::logger> logger)
    : log_(log), window_(window), logger_(std::move(logger)) {}

CacheTrimmer::~CacheTrimmer() { Stop(); }

void CacheTrimmer::Start() {
  if (window_ <= 0) return;
  {
    std::lock_guard lock(mu_);
    trimmed_ = std::max(log_.min_position(), log_.end() - window_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "filelog-cache");
    Run();
  });
}

void CacheTrimmer::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

int64_t CacheTrimmer::trimmed() const {
  std::lock_guard lock(mu_);
  return trimmed_;
}

void CacheTrimmer::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    TrimOnce();
    lock.lock();
    cv_.wait_for(lock, kPollInterval, [this] { return stop_; });
  }
}

void CacheTrimmer::TrimOnce() {
  if (window_ <= 0) return;
  std::lock_guard pass(pass_mu_);
  int64_t from = trimmed();
  const int64_t end = log_.end();
  // The log was cut back (TruncateLog) or its front deleted: start again from what is there.
  from = std::max(std::min(from, end), log_.min_position());
  const int64_t target = (end - window_) / kPage * kPage;
  while (from < target) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    std::shared_ptr<Segment> seg = log_.files().Find(from);
    // Whole steps only (or up to a segment's end): a pass every poll interval should not
    // turn into a syscall per few kilobytes.
    const int64_t seg_end = seg ? seg->end() : log_.SegmentStart(from) + log_.segment_size();
    const int64_t step_end = std::min(seg_end, from + kStep);
    if (step_end > target) break;
    // A segment deleted by retention meanwhile has nothing cached left to drop.
    if (seg) seg->DropCache(from - seg->start(), step_end - from);
    from = step_end;
    std::lock_guard lock(mu_);
    trimmed_ = from;
  }
}

}  // namespace sprocket::filelog
