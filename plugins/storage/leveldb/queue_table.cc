#include "queue_table.h"

#include <mutex>

#include "keys.h"

namespace sprocket::leveldb_store {

std::shared_ptr<QueueState> QueueTable::Find(std::string_view topic, int32_t queue_id) const {
  const std::string name = QueueName(topic, queue_id);
  std::shared_lock lock(mu_);
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<QueueState>> QueueTable::All() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<QueueState>> out;
  out.reserve(queues_.size());
  for (const auto& [name, q] : queues_) out.push_back(q);
  return out;
}

std::shared_ptr<QueueState> QueueTable::FindOrCreate(std::string_view topic, int32_t queue_id) {
  std::string name = QueueName(topic, queue_id);
  {
    std::shared_lock lock(mu_);
    auto it = queues_.find(name);
    if (it != queues_.end()) return it->second;
  }
  auto q = std::make_shared<QueueState>(name, std::string(topic), queue_id);
  std::unique_lock lock(mu_);
  return queues_.emplace(std::move(name), q).first->second;
}

void QueueTable::Remove(const std::string& name) {
  std::unique_lock lock(mu_);
  queues_.erase(name);
}

size_t QueueTable::size() const {
  std::shared_lock lock(mu_);
  return queues_.size();
}

}  // namespace sprocket::leveldb_store
