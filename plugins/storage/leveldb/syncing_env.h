// SyncingEnv: LevelDB's default Env, except that its write-ahead log files (*.log) are
// fsynced when LevelDB closes them, and their directory entry is fsynced on their first sync.
//
// Why: LevelDB switches to a new log file when the memtable fills and closes the old one
// without fsync; its contents become durable only once the background compaction has
// written that memtable to a table. A power loss in between could keep writes of the new
// log (synced by a later sync=true write) while losing the end of the old one: the store
// would then hold records after a hole, not a prefix of what was appended. Syncing the old
// log before the first byte goes to the new one keeps the on-disk logs a prefix (one
// fdatasync per memtable, i.e. per leveldbWriteBufferSize bytes). The directory sync makes
// a synced write in a brand-new log file survive a power loss too.
//
// Errors of those extra syncs cannot travel back through LevelDB (they happen in a
// destructor), so they are kept here; the writer checks TakeError after every write.
#pragma once

#include <leveldb/env.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace sprocket::leveldb_store {

// fsyncs a directory, so that the names of the files in it survive a power loss.
leveldb::Status SyncDirectory(const std::string& dir);

class SyncingEnv final : public leveldb::EnvWrapper {
 public:
  SyncingEnv();

  leveldb::Status NewWritableFile(const std::string& fname, leveldb::WritableFile** result) override;

  // The first error a log close or directory sync hit since the last call; OK when none.
  leveldb::Status TakeError();
  // fdatasyncs of log files so far (LevelDB's own sync=true writes and our closes).
  int64_t log_syncs() const { return log_syncs_.load(std::memory_order_relaxed); }

  // Called by the wrapped files.
  void RecordError(const leveldb::Status& s);
  void CountSync() { log_syncs_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::mutex mu_;
  leveldb::Status error_;
  std::atomic<int64_t> log_syncs_{0};
};

}  // namespace sprocket::leveldb_store
