// AppendWriter: the store's single writer thread (group commit).
//
// Append calls queue up here; the thread takes everything waiting at once and, for the whole
// batch: validates each record, assigns queue offsets and log positions, patches QUEUEOFFSET,
// PHYSICALOFFSET and STORETIMESTAMP into the records, writes the log with one pwritev per
// segment touched, writes the consume-queue entries, publishes the new ends to readers, and
// completes the callbacks (ASYNC_FLUSH) or hands them to SyncWaiters (SYNC_FLUSH), which
// this thread also expires after syncFlushTimeout.
//
// A failed write leaves the log's tail unknown, so the writer stops accepting appends
// (every later one fails with IOError) until the store is reopened and recovery cuts the tail.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "sprocket/plugin/storage.h"
#include "store_core.h"

namespace sprocket::filelog {

class Flusher;

class AppendWriter {
 public:
  AppendWriter(StoreCore& core, Flusher& flusher);
  ~AppendWriter();

  void Start();
  // Queues an append. False once Stop has begun (the caller completes it with Aborted).
  bool Submit(std::vector<AppendRequest>& requests, AppendCallback& done);
  // Stores everything already queued, then joins the thread. Idempotent.
  void Stop();

 private:
  struct Pending {
    std::vector<AppendRequest> requests;
    AppendCallback done;
  };

  void Run();
  void Process(std::vector<Pending>& batch);
  Status Validate(const AppendRequest& r) const;
  int64_t NextStoreTimestamp();

  StoreCore& core_;
  Flusher& flusher_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> pending_;
  bool stopping_ = false;
  std::thread thread_;

  // Writer thread only.
  std::vector<Completion> in_flight_;  // the batch being processed
  Status broken_;
  int64_t last_store_timestamp_ = 0;
};

}  // namespace sprocket::filelog
