#include "groups/consumer_offset_manager.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/file_util.h"

namespace sprocket::broker {

ConsumerOffsetManager::ConsumerOffsetManager(std::string path) : path_(std::move(path)) {}

Status ConsumerOffsetManager::Load() {
  auto text = ReadWholeFile(path_);
  if (!text.ok()) return text.status().IsNotFound() ? Status::OK() : text.status();
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return Status::Corruption(path_ + ": not a JSON object");
  std::lock_guard lock(mu_);
  auto table = json.find("offsetTable");
  if (table == json.end() || !table->is_object()) return Status::OK();
  for (auto& [key, queues] : table->items()) {
    if (!queues.is_object()) continue;
    for (auto& [qid, off] : queues.items()) {
      if (!off.is_number_integer()) continue;
      try {
        table_[key][std::stoi(qid)] = off.get<int64_t>();
      } catch (const std::exception&) {
        return Status::Corruption(path_ + ": bad queue id '" + qid + "' under " + key);
      }
    }
  }
  return Status::OK();
}

Status ConsumerOffsetManager::Persist() {
  std::string content;
  {
    std::lock_guard lock(mu_);
    if (!dirty_ && std::filesystem::exists(path_)) return Status::OK();
    nlohmann::json root;
    nlohmann::json& table = root["offsetTable"] = nlohmann::json::object();
    for (const auto& [key, queues] : table_) {
      nlohmann::json& q = table[key] = nlohmann::json::object();
      for (const auto& [qid, off] : queues) q[std::to_string(qid)] = off;
    }
    content = root.dump();
    dirty_ = false;
  }
  if (Status s = CreateDirectories(std::filesystem::path(path_).parent_path().string()); !s.ok()) return s;
  return WriteFileAtomic(path_, content);
}

void ConsumerOffsetManager::Commit(const std::string& group, const std::string& topic, int32_t queue_id,
                                   int64_t offset) {
  std::lock_guard lock(mu_);
  table_[topic + "@" + group][queue_id] = offset;
  dirty_ = true;
}

std::optional<int64_t> ConsumerOffsetManager::Query(const std::string& group, const std::string& topic,
                                                    int32_t queue_id) const {
  std::lock_guard lock(mu_);
  auto t = table_.find(topic + "@" + group);
  if (t == table_.end()) return std::nullopt;
  auto q = t->second.find(queue_id);
  if (q == t->second.end()) return std::nullopt;
  return q->second;
}

std::map<int32_t, int64_t> ConsumerOffsetManager::QueryAll(const std::string& group,
                                                           const std::string& topic) const {
  std::lock_guard lock(mu_);
  auto t = table_.find(topic + "@" + group);
  return t == table_.end() ? std::map<int32_t, int64_t>{} : t->second;
}

void ConsumerOffsetManager::RemoveTopic(const std::string& topic) {
  std::lock_guard lock(mu_);
  for (auto it = table_.begin(); it != table_.end();) {
    bool match = it->first.size() > topic.size() && it->first.compare(0, topic.size(), topic) == 0 &&
                 it->first[topic.size()] == '@';
    it = match ? table_.erase(it) : std::next(it);
  }
  dirty_ = true;
}

}  // namespace sprocket::broker
