// Progress of one pulled queue (RocketMQ's ProcessQueue): which pulled messages the
// listener has not finished yet, and so which offset may be committed.
//
// The committed offset is the smallest offset still in flight, or, with nothing in
// flight, the offset the next pull starts at. Consumption finishing out of order thus
// never commits past a message that has not been consumed: a crash redelivers it.
//
// Thread-safe: pulls add, consumer threads remove.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "sprocket/message.h"

namespace sprocket::sdk {

class ProcessQueue {
 public:
  // `start_offset`: where pulling starts, and what is committed until something is.
  explicit ProcessQueue(int64_t start_offset);

  // A pull brought `msgs` (the ones the listener will get) and moved the pull position
  // to `next_offset`; offsets skipped in between (filtered out) count as consumed.
  void PutMessages(const std::vector<MessageExt>& msgs, int64_t next_offset);
  // A pull moved the position without messages (no new / no match / offset moved).
  // May move backwards (offset moved).
  void SetPullOffset(int64_t next_offset);

  // The listener is done with `msgs` (consumed, or handed back to the broker). Returns
  // the offset to commit now.
  int64_t RemoveMessages(const std::vector<MessageExt>& msgs);

  int64_t CommitOffset() const;
  size_t CachedCount() const;
  size_t CachedBytes() const;

  // A dropped queue is no longer ours: its pulls stop and its results are not committed.
  void Drop() { dropped_ = true; }
  bool dropped() const { return dropped_; }

 private:
  int64_t CommitOffsetLocked() const;

  mutable std::mutex mu_;
  std::map<int64_t, size_t> in_flight_;  // queue offset -> body bytes
  size_t cached_bytes_ = 0;
  int64_t pull_offset_;
  std::atomic<bool> dropped_{false};
};

}  // namespace sprocket::sdk
