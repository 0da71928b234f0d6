#include "options.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "../common/plugin_options.h"

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

using storage_common::ReadIntOption;
using storage_common::TrimOption;

constexpr int64_t kCqEntrySize = 20;
constexpr int64_t kMinSegmentSize = 4096;
// The blank marker stores the bytes left in a segment as an int32.
constexpr int64_t kMaxSegmentSize = INT32_MAX;

}  // namespace

int64_t FileLogOptions::MaxRecordSize() const {
  return std::min(max_message_size + 64 * 1024, commit_log_segment_size - 8);
}

Result<FileLogOptions> FileLogOptions::FromHost(const PluginHost& host) {
  FileLogOptions o;
  o.data_dir = host.DataDir();
  if (o.data_dir.empty()) return Status::InvalidArgument("filelog: the host gave no data directory");

  Status s = ReadIntOption(host, {"mapedFileSizeCommitLog", "mappedFileSizeCommitLog"}, kMinSegmentSize,
                     kMaxSegmentSize, &o.commit_log_segment_size);
  if (s.ok())
    s = ReadIntOption(host, {"mapedFileSizeConsumeQueue", "mappedFileSizeConsumeQueue"}, kCqEntrySize,
                kMaxSegmentSize, &o.consume_queue_file_size);
  if (s.ok()) s = ReadIntOption(host, {"syncFlushTimeout"}, 1, INT32_MAX, &o.sync_flush_timeout_ms);
  if (s.ok()) s = ReadIntOption(host, {"flushIntervalCommitLog"}, 1, INT32_MAX, &o.flush_interval_commit_log_ms);
  if (s.ok())
    s = ReadIntOption(host, {"flushIntervalConsumeQueue"}, 1, INT32_MAX, &o.flush_interval_consume_queue_ms);
  if (s.ok()) s = ReadIntOption(host, {"maxMessageSize"}, 1024, INT32_MAX, &o.max_message_size);
  if (s.ok()) s = ReadIntOption(host, {"maxHashSlotNum"}, 1, INT32_MAX, &o.max_hash_slots);
  if (s.ok()) s = ReadIntOption(host, {"maxIndexNum"}, 2, INT32_MAX, &o.max_index_count);
  int64_t memory_ratio = 40;
  if (s.ok()) s = ReadIntOption(host, {"accessMessageInMemoryMaxRatio"}, 0, 100, &memory_ratio);
  if (s.ok())
    s = ReadIntOption(host, {"commitLogPageCacheWindow"}, 0, INT64_MAX, &o.page_cache_window_bytes);
  if (!s.ok()) return s;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  const int64_t memory = pages > 0 && page_size > 0 ? int64_t{pages} * page_size : int64_t{1} << 34;
  o.memory_window_bytes = memory / 100 * memory_ratio;
  // RocketMQ's rule alone decides the pull limits, not commitLogPageCacheWindow: a consumer
  // catching up on a backlog the trimmer has dropped reads it with pread (queue_reader.cc),
  // where the bigger in-memory batches cost less per byte than the on-disk ones.
  // Entries never span consume-queue files, so the file size is a whole number of entries.
  o.consume_queue_file_size -= o.consume_queue_file_size % kCqEntrySize;

  if (Status f = storage_common::ReadFlushDiskType(host, &o.sync_flush); !f.ok()) return f;

  if (std::optional<std::string> v = host.Option("messageIndexEnable")) {
    std::string_view t = TrimOption(*v);
    if (t == "false") {
      o.index_enable = false;
    } else if (t != "true") {
      return Status::InvalidArgument("messageIndexEnable=" + *v + ": expected true or false");
    }
  }

  Result<std::vector<int64_t>> levels = storage_common::ReadDelayLevels(host);
  if (!levels.ok()) return levels.status();
  o.delay_level_ms = std::move(levels.value());
  return o;
}

}  // namespace sprocket::filelog
