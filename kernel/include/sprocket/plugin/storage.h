// Storage plugins keep the broker's messages: RocketMQ's model of one ordered log per
// broker (every topic's records appended in arrival order) plus a per-queue index
// (queue offset -> log position, size, tag hash). See ../shared/DESIGN.md §2.2.
//
// Records are RocketMQ's stored-message encoding (PROTOCOL.md §5.1), built by the kernel.
// The store treats them as opaque bytes except for three fields it fills in on append:
//   QUEUEOFFSET    int64 at byte 20          (kQueueOffsetField)
//   PHYSICALOFFSET int64 at byte 28          (kLogPositionField)
//   STORETIMESTAMP int64 at AppendRequest::store_timestamp_field
// so that a pull response can send stored bytes unchanged.
//
// Log positions are byte offsets in every plugin; a record at position p followed by one
// of size s puts the next record at p + s, except where a plugin skips bytes (the file
// log's end-of-segment blank); positions only grow.
//
// Thread-safety: every method may be called from any thread concurrently, unless stated.
// Durability: see Append.
//
// Part of the plugin ABI: see abi.h before changing anything here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sprocket/plugin/status.h"
#include "sprocket/plugin/types.h"

namespace sprocket {

class PluginHost;

inline constexpr size_t kQueueOffsetField = 20;
inline constexpr size_t kLogPositionField = 28;

// The metadata fields repeat what the record holds (topic, queue id, field positions) so a
// store need not parse it; they must agree with the record, and a store may refuse a
// request where they do not with MessageIllegal (recovery trusts the record).
struct AppendRequest {
  // The whole encoded record; the store patches the three fields above in place and
  // then owns the bytes. Its TOTALSIZE field equals record.size().
  std::string record;
  std::string topic;
  int32_t queue_id = 0;
  // Consume-queue tag code: Java String.hashCode of TAGS, 0 without tags (§7.1).
  int64_t tags_code = 0;
  // Byte index of STORETIMESTAMP inside `record` (depends on the born host's length).
  uint32_t store_timestamp_field = 0;
  // Index keys: the UNIQ_KEY and each space-separated entry of KEYS. Stores that support
  // LookupKey index them as topic#key; others ignore them.
  std::string keys;
};

struct AppendResult {
  Status status;               // OK, or why this record was not stored
  QueueOffset queue_offset;    // assigned; dense per (topic, queue)
  LogPosition position;        // where the record starts in the log
  int32_t size = 0;            // bytes the record takes (== record.size())
  int64_t store_timestamp = 0; // ms since epoch, as written into the record
};

// Completion of an Append: one result per request, in request order. Called exactly once,
// on a store thread (never inside Append itself); keep it short and non-blocking.
using AppendCallback = std::function<void(std::span<const AppendResult> results)>;

// Which records a ReadQueue returns: all of them, or those whose consume-queue tag code is
// one of `codes` (RocketMQ compares the low 32 bits: (int32_t)tags_code).
struct TagFilter {
  bool match_all = true;
  std::vector<int32_t> codes;
  bool Matches(int64_t tags_code) const {
    if (match_all) return true;
    for (int32_t c : codes)
      if (c == static_cast<int32_t>(tags_code)) return true;
    return false;
  }
};

// Outcomes of ReadQueue, with RocketMQ's GetMessageStatus names (PROTOCOL.md §3.2).
enum class ReadOutcome : uint8_t {
  kFound,                // >= 1 record returned
  kNoMessageInQueue,     // queue exists but is empty (or does not exist: kNoMatchedLogicQueue)
  kNoMatchedLogicQueue,  // no such (topic, queue) in the store
  kOffsetTooSmall,       // from < min_offset: the data was deleted
  kOffsetOverflowOne,    // from == max_offset: nothing new yet (the long-poll case)
  kOffsetOverflowBadly,  // from > max_offset
  kNoMatchedMessage,     // records were scanned but none passed the tag filter
  kMessageWasRemoving,   // the index points at log data already deleted (retention)
  kOffsetFoundNull,      // the index has no entry there (e.g. a missing index file)
};

struct ReadQueueResult {
  // Not OK when the store could not read (I/O error, corruption); `outcome` is then
  // meaningless and the kernel answers the pull with SYSTEM_ERROR.
  Status status;
  ReadOutcome outcome = ReadOutcome::kNoMatchedLogicQueue;
  // Whole records in queue order. The views stay valid while `hold` is alive (it may pin
  // a mapped segment or own a buffer); the caller drops `hold` when done with them.
  std::vector<ByteView> records;
  std::shared_ptr<const void> hold;
  QueueOffset next_offset;  // where the next read of this queue should start
  QueueOffset min_offset;   // smallest offset still readable
  QueueOffset max_offset;   // one past the last written offset (exclusive)
};

// How much one ReadQueue may return. RocketMQ lowers both limits when the records have
// probably left the page cache (maxTransferCountOnMessageInDisk/...BytesOnMessageInDisk):
// a store that can tell (the file log: the records start more than
// accessMessageInMemoryMaxRatio (40%) of physical memory behind the log end) applies the
// *_on_disk pair instead; a store that cannot applies the first pair.
struct ReadLimits {
  int32_t max_count = 32;
  int64_t max_bytes = 256 * 1024;  // stop before exceeding this many record bytes (>= 1 record)
  int32_t max_count_on_disk = 8;
  int64_t max_bytes_on_disk = 64 * 1024;
};

struct QueueRangeResult {
  QueueOffset min_offset;
  QueueOffset max_offset;  // exclusive
};

// One stored record read back by position (VIEW_MESSAGE_BY_ID, send-back).
struct RecordRead {
  ByteView record;
  std::shared_ptr<const void> hold;
};

struct StoreStats {
  LogPosition log_min;          // first position still readable
  LogPosition log_end;          // one past the last appended byte
  LogPosition durable_end;      // one past the last byte known to be on disk (a store that
                                // keeps nothing on disk reports log_end)
  int64_t records_appended = 0; // since open
  int64_t disk_bytes = 0;       // bytes the store's files take on disk (0 for a memory store)
  int64_t syncs = 0;            // durability syncs (fsync, fdatasync, synced writes) since open
};

// A piece of the log as bytes, for replication (ReadLog -> AppendReplica).
//
// A chunk is a run of whole entries laid end to end, starting at a record boundary. An
// entry is either a record (PROTOCOL.md §5.1; its TOTALSIZE field gives its length) or a
// blank: int32 length | int32 0xCBD43194 (kBlankMagic) | length - 8 bytes of anything,
// which stands for `length` bytes of log positions that hold no record (the file log's
// end-of-segment marker, PROTOCOL.md §7.3). A store that never writes blanks still accepts
// them in AppendReplica and keeps the positions they cover empty, so that every store
// holds the leader's records at the leader's positions.
inline constexpr uint32_t kBlankMagic = 0xCBD43194u;

struct LogChunk {
  LogPosition start;   // == the `from` asked for
  LogPosition next;    // start + bytes.size: where the next ReadLog continues
  ByteView bytes;      // valid while `hold` is alive
  std::shared_ptr<const void> hold;
};

// What DeleteExpired may remove. Stores delete whole *units* from the front of the log,
// oldest first, and never the unit that holds the newest record (so a queue never loses
// its last message to retention). For the file log a unit is one
// commit-log segment; a store without segments uses ranges of mappedFileSizeCommitLog
// bytes of log positions (unit k covers [k*size, (k+1)*size); a record belongs to the unit
// it starts in) so that retention behaves alike everywhere.
struct RetentionPolicy {
  // A unit is expired when the newest record in it was stored before this time
  // (ms since epoch): the kernel passes now - fileReservedTime.
  int64_t expire_before_ms = 0;
  // Also delete the oldest units that have not expired (the disk is nearly full:
  // RocketMQ's diskSpaceCleanForciblyRatio).
  bool force = false;
  // Delete at most this many units per call (RocketMQ's deleteFileBatchMax).
  int32_t max_units = 10;
};

struct RetentionResult {
  int32_t units_deleted = 0;
  int64_t bytes_freed = 0;  // on-disk bytes given back (the record bytes for a memory store)
  LogPosition log_min;      // the first readable position afterwards
};

class MessageStore {
 public:
  virtual ~MessageStore() = default;

  // Stores the records in order, assigning each the next queue offset of its queue and
  // the next log position. Completes via `done` once the records are readable and, with
  // flushDiskType=SYNC_FLUSH, once they are on disk (fsync; one fsync covers every append
  // waiting at that moment); a flush not done within syncFlushTimeout completes with
  // Status::Timeout for those records (they are stored, RocketMQ's FLUSH_DISK_TIMEOUT).
  // A record larger than the store accepts completes with MessageIllegal.
  // After Close, completes with Aborted.
  // Order: requests of one call are stored in order, and calls that happen one after
  // another (one returned before the next began, e.g. from one thread) are stored in call
  // order — ordered messages and the crash-prefix guarantee rely on it.
  virtual void Append(std::vector<AppendRequest> requests, AppendCallback done) = 0;

  // Reads up to limits.max_count records of (topic, queue) starting at `from`, skipping
  // records whose tag code does not pass `filter` (skipped ones count as scanned:
  // next_offset moves past them). Never blocks on I/O of other callers' appends.
  virtual ReadQueueResult ReadQueue(std::string_view topic, int32_t queue_id, QueueOffset from,
                                    const ReadLimits& limits, const TagFilter& filter) = 0;

  // min/max queue offsets of a queue; {0,0} for an unknown queue.
  virtual QueueRangeResult QueueRange(std::string_view topic, int32_t queue_id) = 0;

  // The first queue offset whose record was stored at or after `timestamp_ms`
  // (max_offset when none is; min_offset when all are). RocketMQ's SEARCH_OFFSET_BY_TIMESTAMP.
  virtual QueueOffset OffsetForTime(std::string_view topic, int32_t queue_id,
                                    int64_t timestamp_ms) = 0;

  // The record that starts at `position`. Positions come from clients (decoded from a
  // msgId), so NotFound covers every position where no valid record header starts (inside
  // a record, past the end, deleted); Corruption is for a valid header whose contents are
  // inconsistent.
  virtual Result<RecordRead> ReadAt(LogPosition position) = 0;

  // Every (topic, queue id) pair the store holds records for; used at start to rebuild
  // the kernel's view after a restart.
  virtual std::vector<std::pair<std::string, int32_t>> ListQueues() = 0;

  // Positions of records of `topic` indexed under `key` (AppendRequest::keys: UNIQ_KEY and
  // KEYS entries) with a store time in [begin_ms, end_ms], newest first, at most
  // `max_results`. A hash index may return positions of records with other keys (the
  // caller reads each with ReadAt and checks); it never misses a record it indexed and
  // still holds. RocketMQ's QUERY_MESSAGE. NotSupported from a store without a key index.
  virtual Result<std::vector<LogPosition>> LookupKey(std::string_view topic, std::string_view key,
                                                     int64_t begin_ms, int64_t end_ms,
                                                     int32_t max_results) = 0;

  // --- Replication: the log as bytes. A follower built from a leader's ReadLog chunks
  // through AppendReplica holds the same records at the same positions and queue offsets;
  // ReadLog on both then returns byte-identical chunks.

  // Up to max_bytes of whole entries from `from` (at least one entry, however large, when
  // from < log end); an empty chunk when from == log end. `from` must be a position a
  // record or blank starts at (a follower's log end): InvalidArgument otherwise or past
  // the end, NotFound when it was deleted (below log_min).
  virtual Result<LogChunk> ReadLog(LogPosition from, int64_t max_bytes) = 0;

  // Follower side: stores a chunk read from a leader at `at`, which must equal this store's
  // log end, except that an empty store (it holds no record: new, or truncated back to its
  // log start) starts its log at any `at`.
  // Records keep their QUEUEOFFSET, PHYSICALOFFSET and STORETIMESTAMP as sent (a record
  // whose PHYSICALOFFSET differs from its position is Corruption); queue offsets are taken
  // from the records, not assigned. Synchronous: on OK the records are readable; they are
  // durable per flushDiskType like appended ones (SYNC_FLUSH: before returning).
  // Must not be mixed with Append on the same store.
  virtual Status AppendReplica(LogPosition at, ByteView chunk) = 0;

  // Drops every record at or after `position` (a record boundary, at most the log end),
  // with their queue and key index entries: queue max offsets move back, the next Append
  // or AppendReplica goes to `position`. A follower whose log diverged from a new leader.
  // Synchronous and durable on return.
  virtual Status TruncateLog(LogPosition position) = 0;

  // Retention: see RetentionPolicy. Afterwards ReadQueue below a queue's new min_offset
  // gives kOffsetTooSmall, ReadAt/ReadLog below log_min give NotFound, LookupKey no longer
  // returns deleted records. Called by the kernel's retention service (every 10 s when it
  // is time to delete: deleteWhen hour or disk over diskMaxUsedSpaceRatio).
  virtual Result<RetentionResult> DeleteExpired(const RetentionPolicy& policy) = 0;

  // Forces everything appended so far to disk.
  virtual Status Flush() = 0;

  virtual StoreStats Stats() = 0;

  // Flushes, stops the store's threads and marks a clean shutdown. Pending appends complete
  // (stored or Aborted) before it returns. Idempotent. No other call may follow except
  // the destructor.
  virtual Status Close() = 0;
};

// Config keys every storage plugin may read (kernel keys, via PluginHost::Option):
//   flushDiskType (ASYNC_FLUSH | SYNC_FLUSH), syncFlushTimeout (ms, 5000),
//   flushIntervalCommitLog (ms, 500), maxMessageSize (bytes, 4194304),
//   mappedFileSizeCommitLog / mapedFileSizeCommitLog (bytes, 1 GiB: the retention unit).
// The factory opens (and, after a crash, recovers) the store under PluginHost::DataDir().
using storage_factory_t = Result<std::unique_ptr<MessageStore>>(PluginHost& host);

}  // namespace sprocket
