// LogIndexer: the index entries of log entries that were not appended through the writer —
// a replicated chunk (AppendReplica), or records found in the records DB above what the
// index holds after a crash (recovery.h). Everything comes from the records' own fields:
// queue, QUEUEOFFSET, PHYSICALOFFSET, STORETIMESTAMP, TAGS/DELAY (tags code) and
// UNIQ_KEY/KEYS; blanks from a file-log leader are accepted and indexed by nothing.
//
// Use: Add each entry in log order (no gaps), Finish into the index batch, write it, then
// Publish the queues' new ranges. Called under write_mu.
#pragma once

#include <leveldb/write_batch.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store_core.h"

namespace sprocket::leveldb_store {

class LogIndexer {
 public:
  // Key-index entries go to `batch` as entries are added; runs and states on Finish.
  LogIndexer(StoreCore& core, leveldb::WriteBatch* batch)
      : core_(core), batch_(batch), last_ts_(core.last_store_timestamp) {}

  // Indexes the entry `entry` at log position `pos`. Corruption naming the reason when it is
  // not a sane record or blank, or does not continue its queue (offsets dense per queue; a
  // queue without entries may start at any offset at or above its max, as a leader's does).
  Status Add(int64_t pos, std::string_view entry);
  // Puts each touched queue's run and state into the batch.
  void Finish();
  // After the batch was written: the queues' new ranges become visible.
  void Publish();

  int64_t records() const { return records_; }
  int64_t last_store_timestamp() const { return last_ts_; }

 private:
  struct Staged {
    int64_t min;
    int64_t max;
    int64_t run_first = 0;  // offset of the first entry added for the queue
    std::string run;        // the entries added, 28 bytes each
  };

  StoreCore& core_;
  leveldb::WriteBatch* batch_;
  std::unordered_map<QueueState*, Staged> staged_;
  int64_t records_ = 0;
  int64_t last_ts_;  // the largest store time so far (never below the store's)
};

}  // namespace sprocket::leveldb_store
