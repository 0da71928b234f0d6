#include "options.h"

#include <initializer_list>
#include <optional>
#include <string_view>

#include "../common/plugin_options.h"

namespace sprocket::leveldb_store {

const char* const kOptionKeys[] = {"leveldbWriteBufferSize",
                                   "leveldbIndexWriteBufferSize",
                                   "leveldbBlockCacheSize",
                                   "leveldbMaxOpenFiles",
                                   "leveldbCompression",
                                   "leveldbBlockSize",
                                   "leveldbMaxFileSize",
                                   "leveldbBloomBitsPerKey",
                                   "mapedFileSizeCommitLog",
                                   "mappedFileSizeCommitLog",
                                   nullptr};

namespace {

using storage_common::ReadIntOption;
using storage_common::TrimOption;

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * kKiB;
constexpr int64_t kGiB = 1024 * kMiB;

}  // namespace

Result<LevelDbOptions> LevelDbOptions::FromHost(const PluginHost& host) {
  LevelDbOptions o;
  const std::string root = host.DataDir();
  if (root.empty()) return Status::InvalidArgument("leveldb: the host gave no data directory");
  o.db_dir = root + "/leveldb";

  struct IntKey {
    std::initializer_list<std::string_view> keys;
    int64_t min, max;
    int64_t* out;
  };
  const IntKey ints[] = {
      {{"mappedFileSizeCommitLog", "mapedFileSizeCommitLog"}, 4096, int64_t{1} << 50, &o.unit_size},
      {{"syncFlushTimeout"}, 1, INT32_MAX, &o.sync_flush_timeout_ms},
      {{"flushIntervalCommitLog"}, 1, INT32_MAX, &o.flush_interval_ms},
      {{"maxMessageSize"}, 1024, INT32_MAX - 64 * kKiB, &o.max_message_size},
      {{"leveldbWriteBufferSize"}, 64 * kKiB, 1 * kGiB, &o.write_buffer_size},
      {{"leveldbIndexWriteBufferSize"}, 64 * kKiB, 1 * kGiB, &o.index_write_buffer_size},
      {{"leveldbBlockCacheSize"}, 0, 1024 * kGiB, &o.block_cache_size},
      {{"leveldbMaxOpenFiles"}, 64, 1000000, &o.max_open_files},
      {{"leveldbBlockSize"}, 1 * kKiB, 4 * kMiB, &o.block_size},
      {{"leveldbMaxFileSize"}, 1 * kMiB, 1 * kGiB, &o.max_file_size},
      {{"leveldbBloomBitsPerKey"}, 0, 64, &o.bloom_bits_per_key},
  };
  for (const IntKey& k : ints)
    if (Status s = ReadIntOption(host, k.keys, k.min, k.max, k.out); !s.ok()) return s;

  if (Status f = storage_common::ReadFlushDiskType(host, &o.sync_flush); !f.ok()) return f;
  if (std::optional<std::string> v = host.Option("leveldbCompression")) {
    const std::string_view t = TrimOption(*v);
    if (t == "none") {
      o.snappy = false;
    } else if (t != "snappy") {
      return Status::InvalidArgument("leveldbCompression=" + *v + ": expected snappy or none");
    }
  }
  Result<std::vector<int64_t>> levels = storage_common::ReadDelayLevels(host);
  if (!levels.ok()) return levels.status();
  o.delay_level_ms = std::move(levels.value());
  return o;
}

}  // namespace sprocket::leveldb_store
