// The read side of the LevelDB store: MessageStore's read calls on a StoreCore.
//
// Each call loads the published ends first, then reads each database through one snapshot
// (an explicit one, or an iterator's implicit one), the index before the records, so it sees
// a state at least as new as those ends and never a half-applied batch. Records are copied
// into one buffer owned by `hold`.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "sprocket/plugin/storage.h"
#include "store_core.h"

namespace sprocket::leveldb_store {

// RocketMQ scans at most this many consume-queue entries per pull when a tag filter skips
// records (maxFilterMessageCount 16000 bytes / 20-byte entries).
inline constexpr int64_t kMinEntriesScanned = 800;

ReadQueueResult ReadQueueRecords(StoreCore& core, std::string_view topic, int32_t queue_id, QueueOffset from,
                                 const ReadLimits& limits, const TagFilter& filter);
QueueOffset FindOffsetForTime(StoreCore& core, std::string_view topic, int32_t queue_id,
                              int64_t timestamp_ms);
Result<RecordRead> ReadRecordAt(StoreCore& core, LogPosition position);
Result<std::vector<LogPosition>> LookupKeyPositions(StoreCore& core, std::string_view topic,
                                                    std::string_view key, int64_t begin_ms, int64_t end_ms,
                                                    int32_t max_results);
Result<LogChunk> ReadLogChunk(StoreCore& core, LogPosition from, int64_t max_bytes);

}  // namespace sprocket::leveldb_store
