// Prefetcher: keeps the commit log ahead of each consumer working through a cold backlog in
// the page cache, on its own thread (filelog-prefetch).
//
// A reader reports where it is (Advance); the prefetcher tracks it as a stream and keeps
// the next kWindow bytes of its segment asked for, in kPiece requests (readahead advice:
// the kernel reads them while the reader works on what it already has). On the development
// VM a cold file read through a mapping kept 32 MiB ahead this way ran at up to 2.1 GB/s
// (8 MiB ahead: up to 1.6), but cold-read speed there swings 2-3x between consecutive runs,
// and an interleaved A/B of the whole store against the previous prefetcher (one 4 MiB
// request per 2 MiB read) showed no difference beyond that noise.
//
// Why a thread: a readahead request returns only once its reads are submitted, long enough
// for a reader asking inline to stall on it. Advance costs the reader a lock and a scan of
// at most kMaxStreams streams; readers of warm data skip it while no stream is followed (Following).
//
// Advice only: nothing waits for it and a stream that is not advanced is forgotten (the
// least recently advanced one makes room for a new one).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "segment.h"

namespace sprocket::filelog {

class Prefetcher {
 public:
  static constexpr int64_t kWindow = 32 << 20;
  static constexpr int64_t kPiece = 1 << 20;
  static constexpr size_t kMaxStreams = 16;

  Prefetcher() = default;
  ~Prefetcher();

  void Start();
  void Stop();

  // A reader of `seg` finished reading at `pos` (relative to the segment's start) and will
  // read on, up to `limit` at most (the segment's or the log's end). `cold`: the range
  // ahead of it is not in memory — a new stream starts only then; a reader already tracked
  // is followed either way. Before Start (or after Stop) a cold reader's window is asked
  // for inline.
  void Advance(const std::shared_ptr<Segment>& seg, int64_t pos, int64_t limit, bool cold);

  // Whether a warm read should report itself: some stream is being followed.
  bool Following() const { return streams_in_use_.load(std::memory_order_relaxed) > 0; }

 private:
  struct Stream {
    std::shared_ptr<Segment> seg;
    int64_t reader = 0;  // where the reader is
    int64_t asked = 0;   // everything before this has been asked for
    int64_t limit = 0;
    uint64_t used = 0;   // Advance clock of the last report
    bool live = false;
    bool busy = false;   // the thread is asking for a piece of it (the slot is not reused)
  };
  static int64_t Want(const Stream& s);
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::array<Stream, kMaxStreams> streams_;
  std::atomic<size_t> streams_in_use_{0};
  uint64_t clock_ = 0;
  bool running_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sprocket::filelog
