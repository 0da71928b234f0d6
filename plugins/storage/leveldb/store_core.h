// StoreCore: the state one open LevelDB store shares between its parts (the writer thread,
// the read path, replication and retention). Owned by LevelDbStore.
//
// Consistency rule: every change of the DB's contents happens under write_mu, in WriteBatches
// that each carry the records, their queue entries and key-index entries, and the queue
// states and log ends they move. LevelDB applies a batch whole or not at all (also after a
// crash), so the indexes and the records never disagree. The in-memory ends (queue max
// offsets, log_end) move only after LevelDB's write returned; readers load them first and
// then read the DB, so they never look for data that is not there yet.
#pragma once

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "keys.h"
#include "options.h"
#include "queue_table.h"
#include "sprocket/plugin/status.h"
#include "syncing_env.h"

namespace spdlog {
class logger;
}

namespace sprocket::leveldb_store {

// "leveldb: <context>: <LevelDB's message>" with the matching code.
Status FromLevelDb(const leveldb::Status& s, std::string_view context);

// Bytes the regular files directly in `dir` take (the DB keeps no subdirectories).
int64_t DirectoryBytes(const std::string& dir);

struct StoreCore {
  StoreCore(LevelDbOptions opts, std::shared_ptr<spdlog::logger> logger)
      : options(std::move(opts)), log(std::move(logger)) {}

  const LevelDbOptions options;
  const std::shared_ptr<spdlog::logger> log;
  // Declared before `db` so that they outlive it (members are destroyed in reverse order).
  std::unique_ptr<SyncingEnv> env;
  std::unique_ptr<leveldb::Cache> cache;
  std::unique_ptr<const leveldb::FilterPolicy> filter;
  std::unique_ptr<leveldb::DB> db;
  int64_t key_bucket_size = 0;  // fixed when the store was created (FORMAT.md)
  QueueTable queues;

  std::mutex retention_mu;              // one DeleteExpired at a time
  std::mutex write_mu;                  // serialises every change of the DB and of the fields marked (w)
  std::atomic<int64_t> log_min{0};      // (w) first readable position
  std::atomic<int64_t> log_end{0};      // (w) one past the last entry
  std::atomic<int64_t> durable_end{0};  // one past the last byte known to be synced
  std::atomic<int64_t> records_appended{0};
  int64_t last_store_timestamp = 0;  // (w) store times never go backwards
  Status broken;                     // (w) set by a failed write: every later change fails

  // Writes one batch under write_mu; a failure (also a failed log sync reported by the Env)
  // sets `broken`, because the state of LevelDB's log is then unknown.
  Status Write(leveldb::WriteBatch* batch, bool sync);
  // Moves durable_end forward to `end` (never back).
  void AdvanceDurable(int64_t end);
  // The 'Mlog' value for the current ends, with log_end replaced by `end`, for a batch
  // written with or without sync.
  LogValue LogValueAt(int64_t end, bool synced) const {
    return LogValue{log_min.load(std::memory_order_relaxed), end, last_store_timestamp,
                    synced ? end : std::min(end, durable_end.load())};
  }
};

}  // namespace sprocket::leveldb_store
