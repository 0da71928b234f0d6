// The follower side of replication and log truncation (storage.h: AppendReplica, TruncateLog).
//
// A replicated chunk keeps the leader's bytes, positions and queue offsets; its records are
// indexed from their own fields (queue, QUEUEOFFSET, TAGS/DELAY, UNIQ_KEY/KEYS; indexer.h).
// Blanks from a file-log leader are stored as entries too, so that ReadLog on the follower
// returns the leader's bytes, but nothing indexes them and ReadAt treats their positions as
// empty. TruncateLog cuts the index, then the records (recovery.h).
#pragma once

#include "sprocket/plugin/storage.h"
#include "store_core.h"

namespace sprocket::leveldb_store {

Status AppendReplicaChunk(StoreCore& core, LogPosition at, ByteView chunk);
Status TruncateLogAt(StoreCore& core, LogPosition position);

}  // namespace sprocket::leveldb_store
