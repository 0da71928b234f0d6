#include "options.h"

#include <charconv>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace sprocket::leveldb_store {

const char* const kOptionKeys[] = {"leveldbWriteBufferSize",  "leveldbBlockCacheSize",
                                   "leveldbMaxOpenFiles",     "leveldbCompression",
                                   "leveldbBlockSize",        "leveldbMaxFileSize",
                                   "leveldbBloomBitsPerKey",  "mapedFileSizeCommitLog",
                                   "mappedFileSizeCommitLog", nullptr};

namespace {

constexpr const char* kDefaultDelayLevels = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";
constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * kKiB;
constexpr int64_t kGiB = 1024 * kMiB;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Reads the first of `keys` that is set; unset keys leave *out untouched.
Status ReadInt(const PluginHost& host, std::initializer_list<std::string_view> keys, int64_t min, int64_t max,
               int64_t* out) {
  for (std::string_view key : keys) {
    std::optional<std::string> v = host.Option(key);
    if (!v) continue;
    const std::string_view text = Trim(*v);
    int64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
      return Status::InvalidArgument(std::string(key) + "=" + *v + ": not an integer");
    if (parsed < min || parsed > max)
      return Status::InvalidArgument(std::string(key) + "=" + *v + ": must be in [" + std::to_string(min) +
                                     ", " + std::to_string(max) + "]");
    *out = parsed;
    return Status::OK();
  }
  return Status::OK();
}

Result<std::vector<int64_t>> ParseDelayLevels(const std::string& text) {
  std::vector<int64_t> levels;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t sp = rest.find(' ');
    const std::string_view word = Trim(rest.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    if (word.empty()) continue;
    int64_t unit = 0;
    switch (word.back()) {
      case 's':
        unit = 1000;
        break;
      case 'm':
        unit = 60 * 1000;
        break;
      case 'h':
        unit = 60 * 60 * 1000;
        break;
      case 'd':
        unit = 24 * 60 * 60 * 1000;
        break;
      default:
        return Status::InvalidArgument("messageDelayLevel: bad unit in '" + std::string(word) + "'");
    }
    int64_t n = 0;
    auto [end, ec] = std::from_chars(word.data(), word.data() + word.size() - 1, n);
    if (ec != std::errc() || end != word.data() + word.size() - 1 || n < 0)
      return Status::InvalidArgument("messageDelayLevel: bad number in '" + std::string(word) + "'");
    levels.push_back(n * unit);
  }
  return levels;
}

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
      {{"leveldbBlockCacheSize"}, 0, 1024 * kGiB, &o.block_cache_size},
      {{"leveldbMaxOpenFiles"}, 64, 1000000, &o.max_open_files},
      {{"leveldbBlockSize"}, 1 * kKiB, 4 * kMiB, &o.block_size},
      {{"leveldbMaxFileSize"}, 1 * kMiB, 1 * kGiB, &o.max_file_size},
      {{"leveldbBloomBitsPerKey"}, 0, 64, &o.bloom_bits_per_key},
  };
  for (const IntKey& k : ints)
    if (Status s = ReadInt(host, k.keys, k.min, k.max, k.out); !s.ok()) return s;

  if (std::optional<std::string> v = host.Option("flushDiskType")) {
    const std::string_view t = Trim(*v);
    if (t == "SYNC_FLUSH") {
      o.sync_flush = true;
    } else if (t != "ASYNC_FLUSH") {
      return Status::InvalidArgument("flushDiskType=" + *v + ": expected ASYNC_FLUSH or SYNC_FLUSH");
    }
  }
  if (std::optional<std::string> v = host.Option("leveldbCompression")) {
    const std::string_view t = Trim(*v);
    if (t == "none") {
      o.snappy = false;
    } else if (t != "snappy") {
      return Status::InvalidArgument("leveldbCompression=" + *v + ": expected snappy or none");
    }
  }
  Result<std::vector<int64_t>> levels =
      ParseDelayLevels(host.Option("messageDelayLevel").value_or(kDefaultDelayLevels));
  if (!levels.ok()) return levels.status();
  o.delay_level_ms = std::move(levels.value());
  return o;
}

}  // namespace sprocket::leveldb_store
