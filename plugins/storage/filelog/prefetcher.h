// Prefetcher: reads commit-log ranges into the page cache on its own thread
// (filelog-prefetch), for consumers working through a cold backlog.
//
// Why a thread: madvise(WILLNEED) returns only once the reads are submitted, which for a few
// MiB takes long enough that a reader asking for the range ahead of it stalled on the
// request itself (measured: a 32 MiB window read slower than a 4 MiB one when asked for
// inline). Handed to this thread, the request costs the reader a lock and a notify.
//
// Advice only: requests that find the queue full are dropped, and a range already asked
// for is not asked for again while it waits.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "segment.h"

namespace sprocket::filelog {

class Prefetcher {
 public:
  Prefetcher() = default;
  ~Prefetcher();

  void Start();
  void Stop();
  // [offset, offset + n) of `seg` (relative to its start), read in the background. Before
  // Start (or after Stop) the request runs inline.
  void Request(std::shared_ptr<Segment> seg, int64_t offset, int64_t n);

 private:
  struct Range {
    std::shared_ptr<Segment> seg;
    int64_t offset;
    int64_t n;
  };
  void Run();

  static constexpr size_t kMaxQueued = 64;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Range> queue_;
  bool running_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sprocket::filelog
