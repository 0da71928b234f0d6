// The read path of one consume queue: ReadQueue and OffsetForTime of MessageStore.
//
// A read copies the chosen records into one buffer that the result's `hold` owns. Serving
// views into mapped segments instead (zero copy) changes only CopyRecords in the .cc: the
// hold would then pin the segments.
#pragma once

#include <cstdint>

#include "commit_log.h"
#include "consume_queue.h"
#include "sprocket/plugin/storage.h"

namespace spdlog {
class logger;
}

namespace sprocket::filelog {

// At least this many entries are examined per read when a tag filter skips records
// (RocketMQ's maxFilterMessageCount: 16000 bytes of consume queue = 800 entries).
inline constexpr int64_t kMinEntriesScanned = 800;

// Outcomes and next_offset follow PROTOCOL.md §3.2 (the master's view).
ReadQueueResult ReadQueueRecords(const CommitLog& log, const ConsumeQueue& queue, int64_t from,
                                 const ReadLimits& limits, const TagFilter& filter, spdlog::logger& logger);

// The first offset whose STORETIMESTAMP >= timestamp_ms (max when none, min when all).
// Store timestamps never decrease along the log, so a binary search over the queue works.
int64_t FindOffsetForTime(const CommitLog& log, const ConsumeQueue& queue, int64_t timestamp_ms);

}  // namespace sprocket::filelog
