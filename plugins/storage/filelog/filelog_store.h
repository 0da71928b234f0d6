// FileLogStore: the MessageStore of the filelog plugin. It wires the parts together:
//   StoreCore     options, logger, commit log, consume queues, sync waiters
//   AppendWriter  the writer thread (group commit)
//   Dispatcher    key index, ASYNC_FLUSH callbacks, freeing records, off the writer
//   Flusher       the flush thread (fsync, checkpoint)
//   SegmentAllocator  creates the next commit-log segment ahead of the writer
//   CacheTrimmer  holds the log's page cache to a window behind the end
//   recovery      run once in Open
//   queue_reader  ReadQueue / OffsetForTime
// See README.md for the options and FORMAT.md for the files.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "../common/late_completions.h"
#include "append_writer.h"
#include "cache_trimmer.h"
#include "dispatcher.h"
#include "flusher.h"
#include "prefetcher.h"
#include "segment_allocator.h"
#include "sprocket/plugin/host.h"
#include "sprocket/plugin/storage.h"
#include "store_core.h"

namespace sprocket::filelog {

class FileLogStore final : public MessageStore {
 public:
  // Opens (creating or recovering) the store under host.DataDir().
  static Result<std::unique_ptr<MessageStore>> Open(PluginHost& host);
  ~FileLogStore() override;

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
  FileLogStore(FileLogOptions options, std::shared_ptr<spdlog::logger> logger);

  StoreCore core_;
  Flusher flusher_;
  SegmentAllocator allocator_;
  Dispatcher dispatcher_;
  AppendWriter writer_;
  CacheTrimmer trimmer_;
  Prefetcher prefetcher_;  // cold reads

  // Serialises the changes that rewrite the log's front or move its end backwards:
  // retention, TruncateLog, an empty store repositioned by AppendReplica.
  std::mutex maintenance_mu_;
  std::mutex close_mu_;
  bool opened_ = false;  // Open finished: the threads run and Close has work to do
  bool closed_ = false;
  Status close_status_;

  storage_common::LateCompletions late_;  // appends refused before the writer
};

}  // namespace sprocket::filelog
