#include "options.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>

namespace sprocket::filelog {

const char* const kOptionKeys[] = {"mapedFileSizeCommitLog",
                                   "mappedFileSizeCommitLog",
                                   "mapedFileSizeConsumeQueue",
                                   "mappedFileSizeConsumeQueue",
                                   "flushIntervalConsumeQueue",
                                   "accessMessageInMemoryMaxRatio",
                                   "messageIndexEnable",
                                   "maxHashSlotNum",
                                   "maxIndexNum",
                                   "commitLogPageCacheWindow",
                                   nullptr};

namespace {

constexpr int64_t kCqEntrySize = 20;
constexpr int64_t kMinSegmentSize = 4096;
// The blank marker stores the bytes left in a segment as an int32.
constexpr int64_t kMaxSegmentSize = INT32_MAX;
constexpr const char* kDefaultDelayLevels = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Reads an integer option; nullopt-valued keys keep `*out` untouched.
Status ReadInt(const PluginHost& host, std::initializer_list<std::string_view> keys, int64_t min, int64_t max,
               int64_t* out) {
  for (std::string_view key : keys) {
    std::optional<std::string> v = host.Option(key);
    if (!v) continue;
    std::string_view text = Trim(*v);
    int64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec != std::errc() || end != text.data() + text.size())
      return Status::InvalidArgument(std::string(key) + "=" + *v + ": not an integer");
    if (parsed < min || parsed > max)
      return Status::InvalidArgument(std::string(key) + "=" + *v + ": must be in [" + std::to_string(min) +
                                     ", " + std::to_string(max) + "]");
    *out = parsed;
    return Status::OK();
  }
  return Status::OK();
}

}  // namespace

int64_t FileLogOptions::MaxRecordSize() const {
  return std::min(max_message_size + 64 * 1024, commit_log_segment_size - 8);
}

Result<std::vector<int64_t>> ParseDelayLevels(const std::string& text) {
  std::vector<int64_t> levels;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t sp = rest.find(' ');
    std::string_view word = Trim(rest.substr(0, sp));
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

Result<FileLogOptions> FileLogOptions::FromHost(const PluginHost& host) {
  FileLogOptions o;
  o.data_dir = host.DataDir();
  if (o.data_dir.empty()) return Status::InvalidArgument("filelog: the host gave no data directory");

  Status s = ReadInt(host, {"mapedFileSizeCommitLog", "mappedFileSizeCommitLog"}, kMinSegmentSize,
                     kMaxSegmentSize, &o.commit_log_segment_size);
  if (s.ok())
    s = ReadInt(host, {"mapedFileSizeConsumeQueue", "mappedFileSizeConsumeQueue"}, kCqEntrySize,
                kMaxSegmentSize, &o.consume_queue_file_size);
  if (s.ok()) s = ReadInt(host, {"syncFlushTimeout"}, 1, INT32_MAX, &o.sync_flush_timeout_ms);
  if (s.ok()) s = ReadInt(host, {"flushIntervalCommitLog"}, 1, INT32_MAX, &o.flush_interval_commit_log_ms);
  if (s.ok())
    s = ReadInt(host, {"flushIntervalConsumeQueue"}, 1, INT32_MAX, &o.flush_interval_consume_queue_ms);
  if (s.ok()) s = ReadInt(host, {"maxMessageSize"}, 1024, INT32_MAX, &o.max_message_size);
  if (s.ok()) s = ReadInt(host, {"maxHashSlotNum"}, 1, INT32_MAX, &o.max_hash_slots);
  if (s.ok()) s = ReadInt(host, {"maxIndexNum"}, 2, INT32_MAX, &o.max_index_count);
  int64_t memory_ratio = 40;
  if (s.ok()) s = ReadInt(host, {"accessMessageInMemoryMaxRatio"}, 0, 100, &memory_ratio);
  if (s.ok())
    s = ReadInt(host, {"commitLogPageCacheWindow"}, 0, INT64_MAX, &o.page_cache_window_bytes);
  if (!s.ok()) return s;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  const int64_t memory = pages > 0 && page_size > 0 ? int64_t{pages} * page_size : int64_t{1} << 34;
  o.memory_window_bytes = memory / 100 * memory_ratio;
  // Bytes the trimmer has dropped are read from the disk: pull limits must say so.
  if (o.page_cache_window_bytes > 0)
    o.memory_window_bytes = std::min(o.memory_window_bytes, o.page_cache_window_bytes);
  // Entries never span consume-queue files, so the file size is a whole number of entries.
  o.consume_queue_file_size -= o.consume_queue_file_size % kCqEntrySize;

  if (std::optional<std::string> v = host.Option("flushDiskType")) {
    std::string_view t = Trim(*v);
    if (t == "SYNC_FLUSH") {
      o.sync_flush = true;
    } else if (t != "ASYNC_FLUSH") {
      return Status::InvalidArgument("flushDiskType=" + *v + ": expected ASYNC_FLUSH or SYNC_FLUSH");
    }
  }

  if (std::optional<std::string> v = host.Option("messageIndexEnable")) {
    std::string_view t = Trim(*v);
    if (t == "false") {
      o.index_enable = false;
    } else if (t != "true") {
      return Status::InvalidArgument("messageIndexEnable=" + *v + ": expected true or false");
    }
  }

  Result<std::vector<int64_t>> levels =
      ParseDelayLevels(host.Option("messageDelayLevel").value_or(kDefaultDelayLevels));
  if (!levels.ok()) return levels.status();
  o.delay_level_ms = std::move(levels.value());
  return o;
}

}  // namespace sprocket::filelog
