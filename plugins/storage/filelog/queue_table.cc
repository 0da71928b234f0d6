#include "queue_table.h"

#include <charconv>

#include "file_util.h"

namespace sprocket::filelog {

bool IsStorableTopic(std::string_view topic) {
  return !topic.empty() && topic.size() <= 127 && topic != "." && topic != ".." &&
         topic.find('/') == std::string_view::npos && topic.find('\0') == std::string_view::npos;
}

QueueTable::QueueTable(std::string root, int64_t file_size) : root_(std::move(root)), file_size_(file_size) {}

Status QueueTable::LoadAll(const CommitLog& log, int64_t trusted_below, bool zero_tail,
                           std::vector<std::pair<std::string, int64_t>>* cut) {
  Result<std::vector<std::string>> topics = ListDir(root_, /*directories=*/true);
  if (!topics.ok()) return topics.status();
  std::map<Key, std::shared_ptr<ConsumeQueue>, KeyLess> loaded;
  for (const std::string& topic : *topics) {
    if (!IsStorableTopic(topic)) continue;
    const std::string topic_dir = JoinPath(root_, topic);
    Result<std::vector<std::string>> ids = ListDir(topic_dir, /*directories=*/true);
    if (!ids.ok()) return ids.status();
    for (const std::string& id_text : *ids) {
      int32_t id = 0;
      auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
      if (ec != std::errc() || end != id_text.data() + id_text.size() || id < 0) continue;
      auto q = std::make_shared<ConsumeQueue>(topic, id, JoinPath(topic_dir, id_text), file_size_);
      Result<int64_t> trimmed = q->Load(log, trusted_below, zero_tail);
      if (!trimmed.ok()) return trimmed.status();
      if (*trimmed > 0) cut->emplace_back(q->name(), *trimmed);
      loaded.emplace(Key(topic, id), std::move(q));
    }
  }
  std::unique_lock lock(mu_);
  queues_ = std::move(loaded);
  return Status::OK();
}

std::shared_ptr<ConsumeQueue> QueueTable::Find(std::string_view topic, int32_t queue_id) const {
  std::shared_lock lock(mu_);
  auto it = queues_.find(std::pair<std::string_view, int32_t>(topic, queue_id));
  return it == queues_.end() ? nullptr : it->second;
}

Result<std::shared_ptr<ConsumeQueue>> QueueTable::FindOrCreate(std::string_view topic, int32_t queue_id) {
  if (auto q = Find(topic, queue_id)) return q;
  if (!IsStorableTopic(topic) || queue_id < 0)
    return Status::InvalidArgument("topic '" + std::string(topic) + "' queue " + std::to_string(queue_id) +
                                   " cannot be stored");
  const std::string dir = JoinPath(JoinPath(root_, topic), std::to_string(queue_id));
  // The directories are made durable before the first entry is written: recovery starts
  // re-dispatching at the earliest tail of the queues it finds, so a queue that vanished
  // after a crash might be rebuilt only partly.
  if (Status s = CreateDirs(dir); !s.ok()) return s;
  auto q = std::make_shared<ConsumeQueue>(std::string(topic), queue_id, dir, file_size_);
  std::unique_lock lock(mu_);
  queues_.emplace(Key(std::string(topic), queue_id), q);
  return q;
}

std::vector<std::shared_ptr<ConsumeQueue>> QueueTable::All() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<ConsumeQueue>> all;
  all.reserve(queues_.size());
  for (const auto& [key, q] : queues_) all.push_back(q);
  return all;
}

}  // namespace sprocket::filelog
