// LevelDbStore: the MessageStore of the leveldb plugin. It wires the parts together:
//   StoreCore     options, the two DBs (index, records), the in-memory ends and queue table,
//                 the write mutex
//   AppendWriter  the writer thread (group commit) and its SyncWatchdog
//   read_path     ReadQueue, OffsetForTime, ReadAt, LookupKey, ReadLog
//   replication   AppendReplica, TruncateLog (indexer: index entries from records' fields)
//   retention     DeleteExpired, and the purge of its leftovers on open
//   recovery      on open, the index made to agree with the records after a crash
// See README.md for the options and the design, FORMAT.md for the keys and values.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "../common/late_completions.h"
#include "sprocket/plugin/host.h"
#include "sprocket/plugin/storage.h"
#include "store_core.h"
#include "writer.h"

namespace sprocket::leveldb_store {

class LevelDbStore final : public MessageStore {
 public:
  // Opens (creating, or recovering through LevelDB's own logs and recovery.h) the store under
  // <host.DataDir()>/leveldb.
  static Result<std::unique_ptr<MessageStore>> Open(PluginHost& host);
  ~LevelDbStore() override;

  void Append(std::vector<AppendRequest> requests, AppendCallback done) override;
  ReadQueueResult ReadQueue(std::string_view topic, int32_t queue_id, QueueOffset from,
                            const ReadLimits& limits, const TagFilter& filter) override;
  QueueRangeResult QueueRange(std::string_view topic, int32_t queue_id) override;
  QueueOffset OffsetForTime(std::string_view topic, int32_t queue_id, int64_t timestamp_ms) override;
  Result<RecordRead> ReadAt(LogPosition position) override;
  std::vector<std::pair<std::string, int32_t>> ListQueues() override;
  Result<std::vector<LogPosition>> LookupKey(std::string_view topic, std::string_view key, int64_t begin_ms,
                                             int64_t end_ms, int32_t max_results) override;
  Result<LogChunk> ReadLog(LogPosition from, int64_t max_bytes) override;
  Status AppendReplica(LogPosition at, ByteView chunk) override;
  Status TruncateLog(LogPosition position) override;
  Result<RetentionResult> DeleteExpired(const RetentionPolicy& policy) override;
  Status Flush() override;
  StoreStats Stats() override;
  Status Close() override;

 private:
  LevelDbStore(LevelDbOptions options, std::shared_ptr<spdlog::logger> logger);
  Status OpenDb();
  // Reads the metadata and queue states; *synced_end gets the log's synced_end (FORMAT.md §2).
  Status LoadState(int64_t* synced_end);
  // Syncs both databases and records the log end as synced; `force` even when it is already.
  Status Flush(bool force);
  Status NotOpen() const { return Status::Aborted("leveldb: the store is closed"); }

  StoreCore core_;
  AppendWriter writer_;
  std::atomic<bool> open_{false};  // Open finished and Close has not begun

  std::mutex close_mu_;
  bool opened_ = false;
  bool closed_ = false;
  Status close_status_;

  storage_common::LateCompletions late_;  // appends refused before the writer

  static constexpr std::chrono::milliseconds kDiskBytesMaxAge{200};
  std::mutex disk_bytes_mu_;
  int64_t disk_bytes_ = 0;
  int64_t disk_bytes_at_ = 0;  // steady-clock ns (+1) when disk_bytes_ was measured; 0: never
};

}  // namespace sprocket::leveldb_store
