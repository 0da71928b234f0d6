// AppendWriter: the store's single writer thread (group commit).
//
// Append calls queue up here; the thread takes everything waiting at once and, for the whole
// batch: validates each record, assigns queue offsets and log positions, patches QUEUEOFFSET,
// PHYSICALOFFSET and STORETIMESTAMP into the records, writes the log with one pwritev per
// segment touched, writes the consume-queue entries, publishes the new ends to readers, and
// hands the rest to the Dispatcher (index keys, ASYNC_FLUSH callbacks, freeing the records)
// and, with SYNC_FLUSH, the callbacks to SyncWaiters, which this thread expires after
// syncFlushTimeout.
//
// Other changes to the log (AppendReplica, TruncateLog) run on this thread too, as tasks
// queued in order with the appends, so that one thread owns every writer-side state.
//
// A failed write leaves the log's tail unknown, so the writer stops accepting appends
// (every later one fails with IOError) until the store is reopened and recovery cuts the
// tail. Failing to create a segment (disk full) fails only the records that needed it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "sprocket/plugin/storage.h"
#include "store_core.h"

namespace sprocket::filelog {

class Dispatcher;
class Flusher;
class SegmentAllocator;

class AppendWriter {
 public:
  AppendWriter(StoreCore& core, Flusher& flusher, SegmentAllocator& allocator, Dispatcher& dispatcher);
  ~AppendWriter();

  void Start();
  // Queues an append. False once Stop has begun (the caller completes it with Aborted).
  bool Submit(std::vector<AppendRequest>& requests, AppendCallback& done);
  // Runs `task` on the writer thread after everything queued before it and waits for it.
  // Aborted once Stop has begun.
  Status RunTask(const std::function<Status()>& task);
  // Stores everything already queued, then joins the thread. Idempotent.
  void Stop();

  // --- writer thread only (tasks) ---
  // Why appends are refused (OK normally).
  const Status& broken() const { return broken_; }
  // A write failed outside an append: refuse appends until the store is reopened.
  void Break(Status why) { broken_ = std::move(why); }
  // After the log end moved outside an append (replica, truncation): the next store
  // timestamp must not go below what the log holds.
  void NoteStoreTimestamp(int64_t ts) { last_store_timestamp_ = std::max(last_store_timestamp_, ts); }
  // Records the log now holds up to the published end: consume queues published, allocator told.
  void AfterLogMoved();
  // The consume queue of (topic, queue id), cached for the common case of runs to one queue.
  Result<std::shared_ptr<ConsumeQueue>> Queue(std::string_view topic, int32_t queue_id);

 private:
  struct Pending {
    std::vector<AppendRequest> requests;
    AppendCallback done;
    const std::function<Status()>* task = nullptr;  // a task instead of an append
    Status* task_status = nullptr;
    bool* task_done = nullptr;
  };

  void Run();
  void Process(std::vector<Pending>& batch);
  void FailBatch(std::vector<Pending>& batch, const std::string& why);
  Status Validate(const AppendRequest& r) const;
  int64_t NextStoreTimestamp();

  StoreCore& core_;
  Flusher& flusher_;
  SegmentAllocator& allocator_;
  Dispatcher& dispatcher_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable task_cv_;
  std::vector<Pending> pending_;
  bool waiting_ = false;  // the thread sleeps on cv_: a Submit must wake it
  bool stopping_ = false;
  std::thread thread_;

  // Writer thread only.
  std::vector<Completion> in_flight_;  // the batch being processed
  Status broken_;
  int64_t last_store_timestamp_ = 0;
  int64_t requested_segment_ = -1;
  std::shared_ptr<ConsumeQueue> last_queue_;
};

}  // namespace sprocket::filelog
