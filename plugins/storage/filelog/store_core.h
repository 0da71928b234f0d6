// StoreCore: the state one open file-log store shares between its parts (the writer thread,
// the flusher thread, recovery and the read path). Owned by FileLogStore.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "checkpoint.h"
#include "commit_log.h"
#include "file_util.h"
#include "index_file.h"
#include "options.h"
#include "queue_table.h"
#include "sync_waiters.h"

namespace spdlog {
class logger;
}

namespace sprocket::filelog {

struct StoreCore {
  StoreCore(FileLogOptions opts, std::shared_ptr<spdlog::logger> logger)
      : options(std::move(opts)),
        log(std::move(logger)),
        commit_log(JoinPath(options.data_dir, "commitlog"), options.commit_log_segment_size,
                   /*reserve_blocks=*/!options.sync_flush),
        queues(JoinPath(options.data_dir, "consumequeue"), options.consume_queue_file_size) {}

  const FileLogOptions options;
  const std::shared_ptr<spdlog::logger> log;
  std::unique_ptr<StoreDirectory> directory;
  CommitLog commit_log;
  QueueTable queues;
  std::unique_ptr<KeyIndex> index;  // null with messageIndexEnable=false
  SyncWaiters sync_waiters;
  std::atomic<int64_t> records_appended{0};
  // Every record below this log position has its consume-queue entries published (set by
  // the writer after it publishes the queues; the flusher checkpoints up to it).
  std::atomic<int64_t> dispatched_end{0};

  // Indexes stored records' keys, in log order (dispatcher thread, recovery: one at a
  // time). A failure is logged, not fatal: the record is stored, only QUERY_MESSAGE by key
  // will not find it. Records go to KeyIndex::AddBatch kIndexBatch at a time: one lock per
  // batch, and lookups wait for at most one batch (well under a millisecond).
  static constexpr size_t kIndexBatch = 1024;
  void IndexBatch(std::span<const KeyIndex::Record> records);
  void IndexRecord(std::string_view topic, std::string_view keys, int64_t position, int64_t store_timestamp);
  std::string last_index_error;  // the same failure is logged once
};

}  // namespace sprocket::filelog
