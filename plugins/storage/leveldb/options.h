// The LevelDB store's configuration, read once from the PluginHost when the store opens.
// README.md lists every key with its default and range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sprocket/plugin/host.h"
#include "sprocket/plugin/status.h"

namespace sprocket::leveldb_store {

// Keys this plugin declares in its manifest (NULL-terminated): its own leveldb* keys and
// both spellings of the retention unit key, which the kernel does not list itself.
extern const char* const kOptionKeys[];

struct LevelDbOptions {
  std::string db_dir;  // <storePathRootDir>/leveldb: the index DB
  // The records DB, inside the index DB's directory (LevelDB ignores names it did not make).
  std::string RecordsDir() const { return db_dir + "/records"; }

  // Kernel keys (storage.h).
  bool sync_flush = false;               // flushDiskType == SYNC_FLUSH
  int64_t sync_flush_timeout_ms = 5000;  // syncFlushTimeout
  int64_t flush_interval_ms = 500;       // flushIntervalCommitLog
  int64_t max_message_size = 4194304;    // maxMessageSize
  int64_t unit_size = int64_t{1} << 30;  // mappedFileSizeCommitLog: the retention unit
  std::vector<int64_t> delay_level_ms;   // messageDelayLevel, for replicated schedule records

  // LevelDB's own knobs (leveldb* keys).
  int64_t write_buffer_size = 32 << 20;       // leveldbWriteBufferSize: the records DB's memtable
  int64_t index_write_buffer_size = 8 << 20;  // leveldbIndexWriteBufferSize: the index DB's
  int64_t block_cache_size = 32 << 20;        // leveldbBlockCacheSize (0: LevelDB's 8 MiB default)
  int64_t max_open_files = 1000;              // leveldbMaxOpenFiles
  bool snappy = true;                         // leveldbCompression: snappy | none
  int64_t block_size = 32 << 10;              // leveldbBlockSize
  int64_t max_file_size = 16 << 20;           // leveldbMaxFileSize
  int64_t bloom_bits_per_key = 10;            // leveldbBloomBitsPerKey (0: no filter)

  // Largest record Append accepts: RocketMQ 4.9's maxMessageSize + 64 KiB, as the file log.
  int64_t MaxRecordSize() const { return max_message_size + 64 * 1024; }

  // InvalidArgument naming the key for a value that does not parse or is out of range.
  static Result<LevelDbOptions> FromHost(const PluginHost& host);
};

}  // namespace sprocket::leveldb_store
