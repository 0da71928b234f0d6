// AppendWriter: the store's single writer thread (group commit).
//
// Append calls queue up here; the thread takes everything waiting at once and, for the whole
// group: validates each record, assigns queue offsets and log positions, patches QUEUEOFFSET,
// PHYSICALOFFSET and STORETIMESTAMP into the records, and writes them in chunks (one, unless
// the group passes kChunkBytes): the chunk's blocks as one batch of the records DB, then its
// queue entries, key-index entries, queue states and log end as one batch of the index DB.
// With SYNC_FLUSH the last records batch of the group is written with sync=true: one
// fdatasync of the records DB's log covers every append of the group, and they complete after
// it (or with Timeout from the SyncWatchdog). With ASYNC_FLUSH they complete once written.
// In both modes, at most every flushIntervalCommitLog ms after a change, both databases are
// synced (the records first) and Mlog records how far: that bounds what the next open
// rebuilds after a crash, and with ASYNC_FLUSH moves durable_end.
#pragma once

#include <leveldb/write_batch.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "sprocket/plugin/storage.h"
#include "store_core.h"
#include "sync_watchdog.h"

namespace sprocket::leveldb_store {

class AppendWriter {
 public:
  explicit AppendWriter(StoreCore& core);
  ~AppendWriter();

  void Start();
  // Queues an append. False once Stop has begun (the caller completes it with Aborted).
  bool Submit(std::vector<AppendRequest>& requests, AppendCallback& done);
  // Stores everything already queued, syncs, then joins the threads. Idempotent.
  void Stop();

 private:
  struct Pending {
    std::vector<AppendRequest> requests;
    AppendCallback done;
  };
  // One record of a group, placed: where it goes and under which queue offset.
  struct Placed {
    AppendRequest* request;
    QueueState* queue;
    int64_t queue_offset;
    int64_t position;
    size_t completion;  // index into the group's completions
    size_t result;      // index into that completion's results
  };

  void Run();
  // Stores one group; returns the completions to run once write_mu is released.
  std::vector<Completion> Process(std::vector<Pending>& group, bool sync_due);
  Status Validate(const AppendRequest& r) const;
  int64_t NextStoreTimestamp();
  // Writes records [begin, end) of `placed` (a records batch, then an index batch); publishes
  // the ends on success. `sync_records`: the records batch is synced; `sync_index`: so is the
  // index batch, which then records the chunk's end as synced (needs `sync_records`).
  Status WriteChunk(std::vector<Placed>& placed, size_t begin, size_t end, bool sync_records, bool sync_index,
                    int64_t store_ts);
  // Syncs both databases: makes everything written so far durable.
  void SyncNow();

  StoreCore& core_;
  SyncWatchdog watchdog_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> pending_;
  bool stopping_ = false;
  std::thread thread_;

  // Writer thread only: buffers reused from batch to batch.
  leveldb::WriteBatch batch_;          // index DB
  leveldb::WriteBatch records_batch_;  // records DB
  std::string key_buffer_;
  std::string block_buffer_;
};

}  // namespace sprocket::leveldb_store
