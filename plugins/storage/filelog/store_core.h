// StoreCore: the state one open file-log store shares between its parts (the writer thread,
// the flusher thread, recovery and the read path). Owned by FileLogStore.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "checkpoint.h"
#include "commit_log.h"
#include "file_util.h"
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
        commit_log(JoinPath(options.data_dir, "commitlog"), options.commit_log_segment_size),
        queues(JoinPath(options.data_dir, "consumequeue"), options.consume_queue_file_size) {}

  const FileLogOptions options;
  const std::shared_ptr<spdlog::logger> log;
  std::unique_ptr<StoreDirectory> directory;
  CommitLog commit_log;
  QueueTable queues;
  SyncWaiters sync_waiters;
  std::atomic<int64_t> records_appended{0};
};

}  // namespace sprocket::filelog
