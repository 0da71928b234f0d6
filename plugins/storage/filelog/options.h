// The file log's configuration, read once from the PluginHost when the store opens.
// README.md lists every key with its default.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sprocket/plugin/host.h"
#include "sprocket/plugin/status.h"

namespace sprocket::filelog {

// Keys this plugin reads besides the kernel's (flushDiskType, syncFlushTimeout,
// flushIntervalCommitLog, maxMessageSize, messageDelayLevel). NULL-terminated, for the
// manifest. Both RocketMQ spellings of the file-size keys are accepted ("maped" before 4.4).
extern const char* const kOptionKeys[];

struct FileLogOptions {
  std::string data_dir;
  int64_t commit_log_segment_size = int64_t{1} << 30;  // mapedFileSizeCommitLog
  int64_t consume_queue_file_size = 300000 * 20;       // mapedFileSizeConsumeQueue
  bool sync_flush = false;                             // flushDiskType == SYNC_FLUSH
  int64_t sync_flush_timeout_ms = 5000;
  int64_t flush_interval_commit_log_ms = 500;
  int64_t flush_interval_consume_queue_ms = 1000;
  int64_t max_message_size = 4194304;
  // accessMessageInMemoryMaxRatio (percent of physical memory, RocketMQ's 40): records
  // further than this behind the log end are read with ReadLimits' *_on_disk pair.
  int64_t memory_window_bytes = 0;
  // commitLogPageCacheWindow (Sprocket's key, bytes, 0 = off): commit-log bytes further than
  // this behind the log end are written back and dropped from the page cache (cache_trimmer.h).
  int64_t page_cache_window_bytes = int64_t{1} << 30;
  // The key index (messageIndexEnable, maxHashSlotNum, maxIndexNum): RocketMQ's IndexFile.
  bool index_enable = true;
  int64_t max_hash_slots = 5000000;
  int64_t max_index_count = 20000000;
  // messageDelayLevel in ms, level 1 first: used to rebuild SCHEDULE_TOPIC_XXXX tag codes
  // (delivery times) when consume-queue entries are re-dispatched from the log.
  std::vector<int64_t> delay_level_ms;

  // Largest record Append accepts: RocketMQ 4.9's maxMessageSize + 64 KiB, and never more
  // than fits a segment with room for the blank marker.
  int64_t MaxRecordSize() const;

  static Result<FileLogOptions> FromHost(const PluginHost& host);
};

}  // namespace sprocket::filelog
