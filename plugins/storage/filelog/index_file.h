// KeyIndex: the file log's index of message keys (RocketMQ's IndexService / IndexFile), so that
// QUERY_MESSAGE finds records by KEYS entry or UNIQ_KEY. One hash table per file, chained
// through the entries; files roll when full and are deleted with the log they index.
//
// ---------------------------------------------------------------------------------------------
// On-disk format (RocketMQ 4.9's IndexFile, unchanged). FORMAT.md copies this section.
//
//   <DataDir>/index/<yyyyMMddHHmmssSSS>      one index file, named by its creation time
//                                            (local time, RocketMQ's timeMillisToHumanString;
//                                            names sort in creation order)
//
// Every integer is big-endian. With S = maxHashSlotNum (default 5000000) and
// N = maxIndexNum (default 20000000), a file is exactly 40 + 4*S + 20*N bytes, created
// sparse (ftruncate) and memory-mapped; S and N are not stored, so a store refuses to open
// index files whose size does not match the configured S and N.
//
//   offset 0      header, 40 bytes
//     0   int64  beginTimestamp   store time (ms) of the first entry; a rolled file starts
//                                 with the previous file's endTimestamp until its first entry
//     8   int64  endTimestamp     store time (ms) of the last entry
//     16  int64  beginPhyOffset   commit-log position of the first entry's record (or, before
//                                 the first entry, the previous file's endPhyOffset)
//     24  int64  endPhyOffset     position of the last record indexed; records without
//                                 keys move it too (see "Durability")
//     32  int32  hashSlotCount    keys put in this file (RocketMQ counts puts, not used slots)
//     36  int32  indexCount       1 + the number of entries (entry 0 is never used)
//   offset 40     S hash slots, int32 each: the number of the newest entry whose key hashes
//                 to the slot, 0 for none
//   offset 40+4S  N entries of 20 bytes; entry i (1 <= i < indexCount) at 40 + 4S + 20i:
//     0   int32  keyHash          abs(Java String.hashCode of topic + "#" + key) (0 for
//                                 Integer.MIN_VALUE); the slot is keyHash % S
//     4   int64  phyOffset        commit-log position of the record
//     12  int32  timeDiff         (storeTimestamp - beginTimestamp) / 1000, in seconds,
//                                 clamped to [0, 2^31-1]
//     16  int32  prevIndex        the previous entry in the same slot's chain, 0 at its end
//
// A file is full when indexCount reaches N (it holds N - 1 entries); the next key goes to a
// new file. Entries are in record-position order, so a slot's chain runs newest first.
// Lookup of topic#key: walk the files newest first; in each, follow the chain from the
// key's slot, keeping entries with an equal keyHash whose time (beginTimestamp + 1000 *
// timeDiff, to the second) falls in the range asked for.
//
// Durability. The header in the file is the *durable* state: Flush first fdatasyncs the
// slots and entries, then writes the header and fdatasyncs again; Add changes only the
// slots, entries and an in-memory copy of the header. After a crash, slots may point at
// entries past indexCount (written but not flushed); opening repairs them (each such slot
// goes back along its chain to an entry below indexCount, or the slots are rebuilt from the
// entries) and zeroes those entries. Every file but the last is full; a non-full file
// followed by others means the process died between a roll and the next flush, and the
// files after it are dropped.
// ---------------------------------------------------------------------------------------------
//
// Creating a file. A new file is sized, its header written and the file fsynced before the
// directory is, so a name that survives a power loss always has its full size and a valid
// header. Load still removes an empty (0-byte) file, with everything newer: files written
// before that fsync existed can be left so by a power loss, and a process killed between
// creating a file and sizing it leaves one today.
// ---------------------------------------------------------------------------------------------
//
// Thread-safety: Add/AddBatch from one thread at a time (the store's dispatcher, or
// recovery); Flush from the flush thread; Lookup, DurableEnd and DiskBytes from any thread;
// TruncateFrom, DeleteBefore and Close from any thread (they exclude each other and Flush).
// Lookup never sees a half-added record: AddBatch holds the index's lock for all keys of the
// records it adds.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sprocket/plugin/status.h"
#include "sprocket/plugin/types.h"

namespace spdlog {
class logger;
}

namespace sprocket::filelog {

struct KeyIndexOptions {
  std::string dir;                     // <DataDir>/index
  int32_t max_hash_slots = 5000000;    // RocketMQ's maxHashSlotNum (S)
  int32_t max_index_count = 20000000;  // RocketMQ's maxIndexNum (N)
};

class IndexFileMap;  // one mapped index file (index_file.cc)

class KeyIndex {
 public:
  // Opens (creating the directory) the index files under options.dir and repairs what a
  // crash left (see "Durability" above). InvalidArgument for option values out of range
  // (S < 1, N < 2) or files whose size does not match S and N; IOError/Corruption when a
  // file cannot be read.
  static Result<std::unique_ptr<KeyIndex>> Open(KeyIndexOptions options, std::shared_ptr<spdlog::logger> log);
  ~KeyIndex();
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;

  // One stored record to index; the views need only live for the AddBatch call.
  struct Record {
    std::string_view topic;
    std::string_view keys;  // AppendRequest::keys: UNIQ_KEY and KEYS entries, space-separated
    LogPosition position;
    int64_t store_timestamp_ms = 0;
  };
  // Which records of a batch were not (fully) indexed.
  struct BatchErrors {
    size_t count = 0;
    size_t first = 0;  // index in the batch of the first of them (with count > 0)
  };

  // One writer at a time: indexes each record under topic#key for each space-separated key
  // in its `keys` (a key repeated in one record is indexed once). Records must come in
  // position order: a record at or before the last position added is skipped (OK), which
  // makes re-adding after a crash harmless. With empty `keys` only the position is noted, so
  // that DurableEnd moves past records without keys. Rolls to a new file when the current
  // one is full.
  // The whole batch is added under one exclusive hold of the lock Lookup shares, so callers
  // keep batches to about a thousand records (StoreCore::IndexBatch). Buffers are reused
  // from call to call: after the first calls, adding allocates nothing.
  // Returns OK or the first failure: IOError when a file cannot be created (that record is
  // not fully indexed; the next one is tried, as it would be alone), Aborted after Close
  // (no record is). `errors`, when given, says which records failed.
  Status AddBatch(std::span<const Record> records, BatchErrors* errors = nullptr);
  // AddBatch of one record.
  Status Add(std::string_view topic, std::string_view keys, LogPosition pos, int64_t store_timestamp_ms);

  // Any thread: positions of records indexed under topic#key whose store time may lie in
  // [begin_ms, end_ms], newest first, at most max_results. Store times are kept to the
  // second, so a record up to 999 ms outside the range may be returned, and so may a
  // record whose key merely has the same hash: the caller reads each record and checks.
  // No record indexed (and not truncated or deleted) in the range is missed.
  Result<std::vector<LogPosition>> Lookup(std::string_view topic, std::string_view key, int64_t begin_ms,
                                          int64_t end_ms, int32_t max_results);

  // Where recovery re-adds from: the position of the last record whose index entries Flush
  // made durable (a record boundary), or 0 when none is. Re-adding from there is exact:
  // that record itself is skipped by Add (or re-indexed after TruncateFrom(DurableEnd())).
  LogPosition DurableEnd() const;

  // Flush thread: makes everything added so far durable and moves DurableEnd.
  Status Flush();

  // Drops the entries of records at or after `pos` (a torn tail, TruncateLog) and every
  // file left empty by that; the next Add may start at any position after the last record
  // kept. Synchronous and durable on return.
  Status TruncateFrom(LogPosition pos);

  // Retention: deletes whole files, oldest first, whose last record lies before `log_min`
  // (RocketMQ: endPhyOffset < offset), never the newest file. From then on Lookup returns
  // no position below `log_min` (the entries left in kept files are skipped); after a
  // reopen that holds again once DeleteBefore is called with the log's first position.
  Status DeleteBefore(LogPosition log_min);

  // Flushes and unmaps everything. Idempotent; only the destructor may follow.
  Status Close();

  // Bytes the index files take on disk (allocated blocks; the files are sparse).
  int64_t DiskBytes() const;
  // Number of index files (tests, logs).
  size_t FileCount() const;

 private:
  KeyIndex(KeyIndexOptions options, std::shared_ptr<spdlog::logger> log);
  Status Load();
  Status RemoveEmptyFiles(std::vector<std::string>* sorted);  // Load: names sorted oldest first
  Result<std::shared_ptr<IndexFileMap>> NewFile();            // mu_ held exclusively
  Status FlushLocked();                                       // flush_mu_ held
  std::vector<std::shared_ptr<IndexFileMap>> Snapshot() const;

  const KeyIndexOptions options_;
  const std::shared_ptr<spdlog::logger> log_;
  const int64_t file_size_;

  // Orders Flush, TruncateFrom, DeleteBefore and Close (each writes headers and syncs).
  std::mutex flush_mu_;
  // Held through AddBatch: guards the scratch buffers below (one writer at a time is the
  // contract; this makes a second one wait rather than corrupt them). Taken before mu_.
  std::mutex add_mu_;
  std::string key_scratch_;             // topic#key being hashed
  std::vector<std::string_view> seen_;  // keys of the record being hashed (duplicates)
  std::vector<int32_t> hashes_;         // every key hash of the batch, in order
  std::vector<size_t> hash_ends_;       // per record: end of its hashes in hashes_
  // Guards files_ and every file's entries, slots and in-memory header: exclusive for
  // Add/TruncateFrom/DeleteBefore, shared for Lookup and Flush's snapshot.
  mutable std::shared_mutex mu_;
  std::vector<std::shared_ptr<IndexFileMap>> files_;  // oldest first
  int64_t last_pos_ = -1;                             // last position added; -1: none
  int64_t floor_ = 0;                                 // Lookup skips positions below (retention)
  std::string last_name_;                             // newest file name (names must grow)
  bool closed_ = false;

  std::atomic<int64_t> durable_end_{0};
};

}  // namespace sprocket::filelog
