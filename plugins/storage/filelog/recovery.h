// Recovery at open: brings the commit log, the consume queues and the key index back to a
// consistent state (FORMAT.md §4).
//
//  1. Where the log starts: the checkpoint's log_min (a follower's log may start inside a
//     segment), else the first segment's first record.
//  2. Where the log ends: every record from the checkpoint's log_durable_end on (bytes below
//     it were fsynced before the checkpoint was written) is checked by magic, TOTALSIZE,
//     PHYSICALOFFSET and BODYCRC; the first bad one ends the log. After a clean shutdown
//     that position is the log end, so nothing is scanned. The bytes after the end are
//     zeroed (a crash may have left a torn record or stale pages there) and later segments
//     deleted.
//  3. Consume queues: entries of records below the checkpoint's cq_durable_position are
//     trusted; each queue ends at its first entry that is not (recovery re-creates the rest
//     from the log), and entries the log does not back are dropped.
//  4. Re-dispatch: the log from the smaller of cq_durable_position and the key index's
//     durable end is read once; each record gets its consume-queue entry and index keys
//     where they are missing.
//
// Without a (valid) checkpoint everything is rebuilt: the whole log is checked and every
// queue re-created from it — also what happens when consumequeue/ is deleted.
#pragma once

#include <optional>

#include "checkpoint.h"
#include "sprocket/plugin/status.h"
#include "store_core.h"

namespace sprocket::filelog {

// `crashed`: the abort file was there (the last run did not close the store).
Status RecoverStore(StoreCore& core, const std::optional<CheckpointData>& checkpoint, bool crashed);

}  // namespace sprocket::filelog
