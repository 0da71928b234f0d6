#include "segment_allocator.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

namespace sprocket::filelog {

SegmentAllocator::SegmentAllocator(SegmentedFile& files, std::shared_ptr<spdlog::logger> log)
    : files_(files), log_(std::move(log)) {}

SegmentAllocator::~SegmentAllocator() { Stop(); }

void SegmentAllocator::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "filelog-alloc");
    Run();
  });
}

void SegmentAllocator::Request(int64_t start) {
  {
    std::lock_guard lock(mu_);
    if (wanted_ == start) return;
    wanted_ = start;
  }
  cv_.notify_one();
}

std::unique_lock<std::mutex> SegmentAllocator::Pause() {
  std::unique_lock work(work_mu_);
  std::lock_guard lock(mu_);
  wanted_ = -1;
  return work;
}

void SegmentAllocator::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SegmentAllocator::Run() {
  int64_t done = -1;
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || (wanted_ >= 0 && wanted_ != done); });
    if (stop_) return;
    lock.unlock();
    {
      std::lock_guard work(work_mu_);
      int64_t start = -1;
      {
        std::lock_guard again(mu_);  // Pause may have withdrawn the request meanwhile
        start = wanted_;
      }
      if (start >= 0 && !files_.Find(start)) {
        Result<std::shared_ptr<Segment>> seg = files_.FindOrCreate(start);
        if (!seg.ok())
          log_->warn("commitlog: preparing the segment at {} failed: {}", start, seg.status().ToString());
      }
      done = start;
    }
    lock.lock();
  }
}

}  // namespace sprocket::filelog
