#include "prefetcher.h"

#include <pthread.h>

namespace sprocket::filelog {

Prefetcher::~Prefetcher() { Stop(); }

void Prefetcher::Start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  stop_ = false;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "filelog-prefetch");
    Run();
  });
}

void Prefetcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  std::lock_guard lock(mu_);
  running_ = false;
  queue_.clear();  // advice nobody will act on; lets the segments go
}

void Prefetcher::Request(std::shared_ptr<Segment> seg, int64_t offset, int64_t n) {
  if (n <= 0 || !seg) return;
  {
    std::lock_guard lock(mu_);
    if (running_ && !stop_) {
      for (const Range& r : queue_) {
        if (r.seg == seg && offset >= r.offset && offset < r.offset + r.n) return;  // asked already
      }
      if (queue_.size() < kMaxQueued) queue_.push_back(Range{std::move(seg), offset, n});
      cv_.notify_one();
      return;
    }
  }
  seg->Prefetch(offset, n);
}

void Prefetcher::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Range r = queue_.front();  // a copy: it stays queued (seen by Request) until done
    lock.unlock();
    r.seg->Prefetch(r.offset, r.n);
    r.seg.reset();
    lock.lock();
    queue_.pop_front();
  }
}

}  // namespace sprocket::filelog
