// QueueTable: the in-memory min/max offsets of every (topic, queue id), rebuilt on open from
// the queue-state keys ('S', FORMAT.md) and kept equal to them by whoever writes the DB.
//
// Readers see only published offsets: the writer stores the entries first and moves
// max_offset after LevelDB's write returned, so a reader never asks for an entry that is not
// there yet.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sprocket::leveldb_store {

struct QueueState {
  QueueState(std::string name_bytes, std::string topic_name, int32_t id)
      : name(std::move(name_bytes)), topic(std::move(topic_name)), queue_id(id) {}
  const std::string name;  // QueueName(topic, queue_id): the queue's part of every key
  const std::string topic;
  const int32_t queue_id;
  std::atomic<int64_t> min_offset{0};
  std::atomic<int64_t> max_offset{0};  // exclusive
};

class QueueTable {
 public:
  // Any thread.
  std::shared_ptr<QueueState> Find(std::string_view topic, int32_t queue_id) const;
  std::vector<std::shared_ptr<QueueState>> All() const;
  // Writers only (under the store's write mutex).
  std::shared_ptr<QueueState> FindOrCreate(std::string_view topic, int32_t queue_id);
  void Remove(const std::string& name);
  size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<QueueState>, std::less<>> queues_;
};

}  // namespace sprocket::leveldb_store
