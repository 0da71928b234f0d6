// Retention (MessageStore::DeleteExpired): whole commit-log segments are deleted from the
// front of the log, oldest first, never the one being appended to (the one holding the log
// end), at most policy.max_units per call. A segment is expired when the newest record in it
// was stored before policy.expire_before_ms; with policy.force the oldest segments go
// whether expired or not (the disk is nearly full). RocketMQ's CommitLog.deleteExpiredFile.
//
// Then, as RocketMQ's DefaultMessageStore.CleanConsumeQueueService: each consume queue's
// minimum moves to its first entry whose record is still in the log (correctMinOffset) and
// its files wholly below that are deleted; the key index drops files wholly below the new log
// start; the checkpoint records the new log start.
//
// Order matters for concurrent readers: the log's minimum moves first (a read that meets an
// entry below it reports MESSAGE_WAS_REMOVING), then the files go (a reader holding a
// segment keeps its mapping), then the queues' minimums move (reads below them get
// OFFSET_TOO_SMALL).
#pragma once

#include <cstdint>
#include <optional>

#include "segment.h"
#include "sprocket/plugin/status.h"
#include "sprocket/plugin/storage.h"
#include "store_core.h"

namespace sprocket::filelog {

// STORETIMESTAMP of the last record of a complete segment (one the log has moved past, so it
// ends with the blank marker), found from the end of the file: -1 when it has no record,
// nullopt when the end of the segment does not look like a finished segment.
// Store times never decrease along the log, so it is the segment's newest. Cached in the
// segment.
std::optional<int64_t> NewestStoreTimestamp(Segment& segment, int64_t max_record_size);

// Deletes expired segments and trims the queues (see above). The caller serialises it with
// changes that move the log end backwards (TruncateLog, AppendReplica on an empty store) and
// writes the checkpoint afterwards.
Result<RetentionResult> DeleteExpiredSegments(StoreCore& core, const RetentionPolicy& policy);

}  // namespace sprocket::filelog
