// The follower side of replication and log truncation (storage.h: AppendReplica, TruncateLog).
//
// A replicated chunk keeps the leader's bytes, positions and queue offsets; its records are
// indexed from their own fields (queue, QUEUEOFFSET, TAGS/DELAY, UNIQ_KEY/KEYS). Blanks from a
// file-log leader are stored as entries too, so that ReadLog on the follower returns the
// leader's bytes, but nothing indexes them and ReadAt treats their positions as empty.
#pragma once

#include "sprocket/plugin/storage.h"
#include "store_core.h"

namespace sprocket::leveldb_store {

Status AppendReplicaChunk(StoreCore& core, LogPosition at, ByteView chunk);
Status TruncateLogAt(StoreCore& core, LogPosition position);

// On open: a power loss can leave LevelDB's unsynced log tail with a hole (a lost middle
// write followed by a surviving later one; LevelDB's recovery skips what it cannot read and
// goes on). Entries above `synced_end` are checked to follow each other; from the first gap
// on, everything is dropped, so the store holds a prefix of what was appended.
Status RepairLogTail(StoreCore& core, int64_t synced_end);

}  // namespace sprocket::leveldb_store
