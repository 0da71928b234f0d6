// Replication on the file log: AppendReplica and TruncateLog (ReadLog is CommitLog::ReadLog).
//
// A follower stores the leader's chunks byte for byte at the leader's positions, so its
// ReadLog returns the same bytes. Both functions run on the writer thread (as tasks queued
// with the appends, AppendWriter::RunTask) with FileLogStore's maintenance lock held, so they
// own every writer-side state and never race retention.
//
// A follower must use the leader's mappedFileSizeCommitLog: a blank marker stands for "the
// rest of this segment", and a record never spans segments; a chunk that does not fit this
// store's segments is refused (InvalidArgument).
#pragma once

#include <cstdint>

#include "sprocket/plugin/status.h"
#include "sprocket/plugin/types.h"
#include "store_core.h"

namespace sprocket::filelog {

class AppendWriter;
class Dispatcher;
class Flusher;
class SegmentAllocator;

struct WriterParts {
  StoreCore& core;
  AppendWriter& writer;
  SegmentAllocator& allocator;
  Flusher& flusher;
  Dispatcher& dispatcher;
};

// Validates the whole chunk first (entries, positions, queue offsets), then writes it,
// indexes its records (consume queues from their QUEUEOFFSETs, key index), publishes, and
// with SYNC_FLUSH syncs before returning. An empty store (its log holds nothing) starts at
// any `at`: old files go and the checkpoint records the new start before any byte lands.
Status AppendReplicaOnWriter(WriterParts& w, int64_t at, ByteView chunk);

// Drops every record at or after `position` (a record or blank boundary, or the log's
// start), with their consume-queue and key-index entries; durable on return.
Status TruncateLogOnWriter(WriterParts& w, int64_t position);

}  // namespace sprocket::filelog
