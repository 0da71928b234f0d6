#include "prefetcher.h"

#include <pthread.h>

#include <algorithm>

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
  for (Stream& s : streams_) s = Stream{};  // lets the segments go
  streams_in_use_.store(0, std::memory_order_relaxed);
}

// The end of the range this stream should have asked for by now.
int64_t Prefetcher::Want(const Stream& s) { return std::min(s.limit, s.reader + kWindow); }

void Prefetcher::Advance(const std::shared_ptr<Segment>& seg, int64_t pos, int64_t limit, bool cold) {
  if (!seg || pos >= limit) return;
  std::unique_lock lock(mu_);
  if (!running_ || stop_) {
    lock.unlock();
    if (cold) seg->Prefetch(pos, std::min(limit - pos, kWindow));
    return;
  }
  ++clock_;
  // The reader's stream: same segment, and `pos` between where it was and what was asked
  // for (a little past it when the reader outran the disk).
  Stream* found = nullptr;
  for (Stream& s : streams_) {
    if (s.live && s.seg == seg && pos >= s.reader && pos <= s.asked + kWindow) {
      found = &s;
      break;
    }
  }
  if (found == nullptr) {
    if (!cold) return;
    // A free slot, else the least recently advanced stream's (never one being served).
    for (Stream& s : streams_) {
      if (s.busy) continue;
      if (found == nullptr || !s.live || (found->live && s.used < found->used)) found = &s;
      if (!found->live) break;
    }
    if (found == nullptr) return;  // every stream is being served right now
    if (!found->live) streams_in_use_.fetch_add(1, std::memory_order_relaxed);
    *found = Stream{seg, pos, pos, limit, 0, true, false};
  }
  found->reader = pos;
  found->asked = std::max(found->asked, pos);  // nothing to ask for behind the reader
  found->limit = std::max(found->limit, limit);
  found->used = clock_;
  // Wake the thread as soon as a piece is due (at most one wake-up per MiB read), so the
  // whole window stays asked for: waking it only a quarter window behind let the range
  // ahead shrink to 24 MiB whenever the thread had gone to sleep.
  if (Want(*found) - found->asked >= std::min<int64_t>(kPiece, found->limit - found->asked)) {
    lock.unlock();
    cv_.notify_one();
  }
}

void Prefetcher::Run() {
  std::unique_lock lock(mu_);
  size_t next = 0;  // round robin over the streams
  while (true) {
    Stream* work = nullptr;
    cv_.wait(lock, [&] {
      if (stop_) return true;
      for (size_t i = 0; i < kMaxStreams; ++i) {
        Stream& s = streams_[(next + i) % kMaxStreams];
        if (!s.live) continue;
        if (s.asked >= s.limit) {  // done: everything up to its end was asked for
          s = Stream{};
          streams_in_use_.fetch_sub(1, std::memory_order_relaxed);
        } else if (s.asked < Want(s)) {
          work = &s;
          next = (next + i + 1) % kMaxStreams;
          return true;
        }
      }
      return false;
    });
    if (stop_) return;
    // Ask for one piece outside the lock; the slot is not reused while busy.
    std::shared_ptr<Segment> seg = work->seg;
    const int64_t from = work->asked;
    const int64_t n = std::min(kPiece, work->limit - from);
    work->busy = true;
    lock.unlock();
    seg->Prefetch(from, n);
    seg.reset();
    lock.lock();
    work->busy = false;
    work->asked = std::max(work->asked, from + n);
  }
}

}  // namespace sprocket::filelog
