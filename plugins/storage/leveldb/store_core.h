// StoreCore: the state one open LevelDB store shares between its parts (the writer thread,
// the read path, replication and retention). Owned by LevelDbStore.
//
// Two LevelDB databases (FORMAT.md §1): `records` holds the log blocks, `db` (the index)
// everything else. Why two: the blocks are nearly all the bytes and their keys only grow, so
// in a database of their own every memtable becomes a table that never overlaps another one
// and LevelDB only ever moves it down the levels; mixed with the index keys, every table
// overlapped every other one and compactions rewrote the records again and again (multi-second
// write stalls under sustained appends).
//
// Consistency rule: every change happens under write_mu. Records are written to the records
// DB before the index entries naming them are written to the index DB; a batch of the index
// carries the queue entries, key-index entries, queue states and log ends of the records it
// indexes, so the index is always whole. The in-memory ends (queue max offsets, log_end) move
// only after both writes returned; readers load them first and then read the DBs, so they
// never look for data that is not there yet. The records DB is the log: after a crash the
// index above its last synced point (Mlog.synced_end) is rebuilt from the records
// (recovery.h).
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

// Bytes the regular files under `dir` take (the index DB's directory holds the records DB's).
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
  std::unique_ptr<leveldb::DB> db;       // the index: K, M, Q, S keys
  std::unique_ptr<leveldb::DB> records;  // the log blocks: R keys
  int64_t key_bucket_size = 0;           // fixed when the store was created (FORMAT.md)
  QueueTable queues;

  std::mutex retention_mu;              // one DeleteExpired at a time
  std::mutex write_mu;                  // serialises every change of the DB and of the fields marked (w)
  std::atomic<int64_t> log_min{0};      // (w) first readable position
  std::atomic<int64_t> log_end{0};      // (w) one past the last entry
  std::atomic<int64_t> durable_end{0};  // one past the last byte known to be synced (records DB)
  // (w) Mlog.synced_end as last written with sync: the index DB is synced up to here too.
  std::atomic<int64_t> index_synced_end{0};
  std::atomic<int64_t> records_appended{0};
  int64_t last_store_timestamp = 0;  // (w) store times never go backwards
  Status broken;                     // (w) set by a failed write: every later change fails

  // Write one batch to the index DB or the records DB, under write_mu; a failure (also a
  // failed log sync reported by the Env) sets `broken`, because the state of LevelDB's log is
  // then unknown.
  Status WriteIndex(leveldb::WriteBatch* batch, bool sync);
  Status WriteRecords(leveldb::WriteBatch* batch, bool sync);
  // Under write_mu: syncs the records DB (when durable_end is behind log_end, or `force`),
  // then writes Mlog with synced_end = log_end to the index DB with sync (when
  // index_synced_end is behind, or `force`).
  Status SyncLocked(bool force);
  // Moves durable_end forward to `end` (never back).
  void AdvanceDurable(int64_t end);
  // The 'Mlog' value for the current ends, with log_end replaced by `end`, for an index
  // batch written with sync after the records DB was synced up to `end` (`synced`), or not.
  LogValue LogValueAt(int64_t end, bool synced) const {
    return LogValue{log_min.load(std::memory_order_relaxed), end, last_store_timestamp,
                    synced ? end : std::min(end, index_synced_end.load())};
  }
};

}  // namespace sprocket::leveldb_store
