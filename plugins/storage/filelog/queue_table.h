// QueueTable: every consume queue of the store, keyed by (topic, queue id), laid out as
// <DataDir>/consumequeue/<topic>/<queueId>/ (FORMAT.md §2).
//
// Thread-safety: Find/All from any thread (shared lock, held only for the map lookup).
// FindOrCreate from the writer thread (or recovery); it creates directories outside the lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consume_queue.h"
#include "sprocket/plugin/status.h"

namespace sprocket::filelog {

// Whether `topic` is safe as a directory name (non-empty, <= 127 bytes, no '/', no NUL,
// not "." or ".."). The kernel validates topics too; the store must not trust that.
bool IsStorableTopic(std::string_view topic);

class QueueTable {
 public:
  QueueTable(std::string root, int64_t file_size);

  // Open time: loads every <topic>/<queueId> directory (ConsumeQueue::Load). `cut` gets the
  // entries dropped per queue ("TopicA/0" -> n) for the caller to log.
  Status LoadAll(const CommitLog& log, int64_t trusted_below, bool zero_tail,
                 std::vector<std::pair<std::string, int64_t>>* cut);

  std::shared_ptr<ConsumeQueue> Find(std::string_view topic, int32_t queue_id) const;
  Result<std::shared_ptr<ConsumeQueue>> FindOrCreate(std::string_view topic, int32_t queue_id);
  // Sorted by topic, then queue id.
  std::vector<std::shared_ptr<ConsumeQueue>> All() const;

 private:
  using Key = std::pair<std::string, int32_t>;
  struct KeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::string_view(a.first) != std::string_view(b.first)
                 ? std::string_view(a.first) < std::string_view(b.first)
                 : a.second < b.second;
    }
  };

  const std::string root_;
  const int64_t file_size_;
  mutable std::shared_mutex mu_;
  std::map<Key, std::shared_ptr<ConsumeQueue>, KeyLess> queues_;
};

}  // namespace sprocket::filelog
