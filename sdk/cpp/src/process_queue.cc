#include "process_queue.h"

namespace sprocket::sdk {

ProcessQueue::ProcessQueue(int64_t start_offset) : pull_offset_(start_offset) {}

void ProcessQueue::PutMessages(const std::vector<MessageExt>& msgs, int64_t next_offset) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& m : msgs) {
    auto [it, inserted] = in_flight_.emplace(m.getQueueOffset(), m.getBody().size());
    if (inserted) cached_bytes_ += it->second;
  }
  pull_offset_ = next_offset;
}

void ProcessQueue::SetPullOffset(int64_t next_offset) {
  std::lock_guard<std::mutex> lock(mu_);
  pull_offset_ = next_offset;
}

int64_t ProcessQueue::RemoveMessages(const std::vector<MessageExt>& msgs) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& m : msgs) {
    auto it = in_flight_.find(m.getQueueOffset());
    if (it == in_flight_.end()) continue;  // already removed (redelivered duplicate)
    cached_bytes_ -= it->second;
    in_flight_.erase(it);
  }
  return CommitOffsetLocked();
}

int64_t ProcessQueue::CommitOffset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return CommitOffsetLocked();
}

int64_t ProcessQueue::CommitOffsetLocked() const {
  return in_flight_.empty() ? pull_offset_ : in_flight_.begin()->first;
}

size_t ProcessQueue::CachedCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_.size();
}

size_t ProcessQueue::CachedBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cached_bytes_;
}

}  // namespace sprocket::sdk
