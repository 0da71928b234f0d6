// MemoryStore: the whole MessageStore contract (sprocket/plugin/storage.h) kept in memory.
//
// It is the template for writing a storage plugin (see ../README.md): every operation is
// here, in the simplest form that honours the contract, so the shape of a store is easy to
// see. It keeps nothing across restarts, which is why it refuses flushDiskType=SYNC_FLUSH.
//
// Model. RocketMQ's: one ordered log of entries (records, and blanks a leader sent) keyed by
// log position, plus one index per (topic, queue id) from queue offset to entry, plus a key
// index for LookupKey. One mutex guards all of it: every call is short (no I/O), so a
// single lock is both correct and fast enough for tests and small brokers.
//
// Threads. Append does its work under the lock and hands the completion to the store's one
// completion thread, because the contract forbids calling `done` inside Append (the kernel
// may hold its own locks there). That thread lives until the destructor, so appends that
// arrive after Close are completed (Aborted) the same way.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sprocket/plugin/storage.h"

namespace sprocket::memory {

struct MemoryOptions {
  // mappedFileSizeCommitLog: no segments here, but retention deletes units of this many
  // bytes of log positions so that it behaves like the file log (RetentionPolicy).
  int64_t unit_size = int64_t{1} << 30;
  // Largest record accepted: maxMessageSize + 64 KiB, RocketMQ 4.9's rule for the whole record.
  int64_t max_record_size = 4 * 1024 * 1024 + 64 * 1024;
};

class MemoryStore final : public MessageStore {
 public:
  explicit MemoryStore(MemoryOptions options);
  ~MemoryStore() override;  // stops the completion thread after running what it holds

  void Append(std::vector<AppendRequest> requests, AppendCallback done) override;
  ReadQueueResult ReadQueue(std::string_view topic, int32_t queue_id, QueueOffset from,
                            const ReadLimits& limits, const TagFilter& filter) override;
  QueueRangeResult QueueRange(std::string_view topic, int32_t queue_id) override;
  QueueOffset OffsetForTime(std::string_view topic, int32_t queue_id, int64_t timestamp_ms) override;
  Result<RecordRead> ReadAt(LogPosition position) override;
  std::vector<std::pair<std::string, int32_t>> ListQueues() override;
  Result<std::vector<LogPosition>> LookupKey(std::string_view topic, std::string_view key, int64_t begin_ms,
                                             int64_t end_ms, int32_t max_results) override;
  Result<LogChunk> ReadLog(LogPosition from, int64_t max_bytes) override;
  Status AppendReplica(LogPosition at, ByteView chunk) override;
  Status TruncateLog(LogPosition position) override;
  Result<RetentionResult> DeleteExpired(const RetentionPolicy& policy) override;
  Status Flush() override;
  StoreStats Stats() override;
  Status Close() override;

 private:
  // One log entry. Immutable once stored, so readers can keep it alive (ReadQueueResult::hold)
  // after the lock is released, even if retention drops it meanwhile.
  struct Entry {
    int64_t position = 0;
    int64_t size = 0;
    std::string bytes;  // the record; empty for a blank
    bool blank = false;
    std::string topic;
    int32_t queue_id = 0;
    int64_t tags_code = 0;
    int64_t store_timestamp = 0;
    std::vector<std::string> keys;  // as indexed for LookupKey
  };
  using EntryPtr = std::shared_ptr<const Entry>;

  // Queue offset -> entry for one (topic, queue id). Offsets are dense, so a deque and the
  // offset of its front are enough; retention pops the front, truncation the back.
  struct Queue {
    int64_t min_offset = 0;
    std::deque<EntryPtr> entries;
    int64_t max_offset() const { return min_offset + static_cast<int64_t>(entries.size()); }
  };

  // Everything below runs with mu_ held.
  Queue* FindQueue(std::string_view topic, int32_t queue_id);
  Status CheckRequest(const AppendRequest& r) const;
  AppendResult StoreLocked(AppendRequest& r);
  Status StoreReplicaEntry(std::string_view bytes, int64_t position);
  void Insert(EntryPtr e, Queue* queue);  // adds to the log, its queue (none: a blank), the key index
  void DropOldest(const Entry& e);        // retention: e is the oldest entry
  void DropNewest(const Entry& e);        // truncation: e is the newest entry
  void Complete(AppendCallback done, std::vector<AppendResult> results);

  const MemoryOptions options_;

  std::mutex mu_;
  std::map<int64_t, EntryPtr> log_;  // by position
  std::map<std::string, std::map<int32_t, Queue>, std::less<>> topics_;
  std::map<std::string, std::deque<int64_t>, std::less<>> keys_;  // "topic#key" -> positions, oldest first
  int64_t log_min_ = 0;                                           // first position still readable
  int64_t log_end_ = 0;                                           // where the next entry goes
  int64_t last_store_timestamp_ = 0;
  int64_t records_appended_ = 0;
  bool closed_ = false;

  // The completion thread and its queue (also guarded by mu_).
  std::condition_variable cv_;
  std::deque<std::function<void()>> completions_;
  int pending_ = 0;  // queued or running completions: Close waits for zero
  bool stopping_ = false;
  std::thread completer_;
};

}  // namespace sprocket::memory
