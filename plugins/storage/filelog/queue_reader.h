// The read path of one consume queue: ReadQueue and OffsetForTime of MessageStore.
//
// Zero copy: a read returns views into the commit log's read-only mappings, and its `hold`
// pins the segments they lie in (a segment deleted meanwhile stays mapped until the hold is
// dropped). A read whose first record is not in memory is read with pread into a buffer
// instead (the hold), see ReadCold in queue_reader.cc. Each record's header is checked against its consume-queue entry before it is
// handed out (magic, TOTALSIZE, QUEUEID, QUEUEOFFSET); body CRCs are checked by recovery
// and ReadAt, not on this hot path.
#pragma once

#include <cstdint>

#include "commit_log.h"
#include "consume_queue.h"
#include "prefetcher.h"
#include "sprocket/plugin/storage.h"

namespace spdlog {
class logger;
}

namespace sprocket::filelog {

// At least this many entries are examined per read when a tag filter skips records
// (RocketMQ's maxFilterMessageCount: 16000 bytes of consume queue = 800 entries).
inline constexpr int64_t kMinEntriesScanned = 800;

struct ReadSettings {
  // Records that start more than this many bytes behind the log end have probably left
  // the page cache (RocketMQ's accessMessageInMemoryMaxRatio of physical memory): the
  // ReadLimits' *_on_disk pair applies to them.
  int64_t memory_window = INT64_MAX;
  // Keeps a consumer of a cold backlog ahead in the page cache (null: no read-ahead).
  Prefetcher* prefetcher = nullptr;
};

// Outcomes and next_offset follow PROTOCOL.md §3.2 (the master's view).
ReadQueueResult ReadQueueRecords(const CommitLog& log, const ConsumeQueue& queue, int64_t from,
                                 const ReadLimits& limits, const TagFilter& filter,
                                 const ReadSettings& settings, spdlog::logger& logger);

// The first offset whose STORETIMESTAMP >= timestamp_ms (max when none, min when all).
// Store timestamps never decrease along the log, so a binary search over the queue works.
int64_t FindOffsetForTime(const CommitLog& log, const ConsumeQueue& queue, int64_t timestamp_ms);

}  // namespace sprocket::filelog
