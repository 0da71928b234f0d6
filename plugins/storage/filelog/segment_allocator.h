// SegmentAllocator: creates the next commit-log segment before the writer needs it
// (RocketMQ's AllocateMappedFileService). Creating a 1 GiB segment means fallocate, mmap and
// a directory fsync; done on this thread, a roll costs the writer nothing. When the writer
// gets there first it creates the file itself (SegmentedFile serialises creation), so the
// allocator is only ever an optimisation: its failures are logged, never fatal.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "segmented_file.h"

namespace spdlog {
class logger;
}

namespace sprocket::filelog {

class SegmentAllocator {
 public:
  SegmentAllocator(SegmentedFile& files, std::shared_ptr<spdlog::logger> log);
  ~SegmentAllocator();

  void Start();
  // Asks for the segment starting at `start` (cheap; the latest request wins).
  void Request(int64_t start);
  // While the returned lock is held no segment is being created and pending requests are
  // forgotten (the writer repositions or truncates the log).
  std::unique_lock<std::mutex> Pause();
  void Stop();

 private:
  void Run();

  SegmentedFile& files_;
  std::shared_ptr<spdlog::logger> log_;
  std::mutex work_mu_;  // held while creating a segment
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t wanted_ = -1;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sprocket::filelog
