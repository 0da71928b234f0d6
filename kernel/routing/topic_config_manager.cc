#include "routing/topic_config_manager.h"

#include <algorithm>
#include <filesystem>

#include "common/file_util.h"
#include "common/logging.h"
#include "common/net_util.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::broker {

namespace Perm = protocol::Perm;

std::string ValidateTopicName(std::string_view topic) {
  if (topic.empty()) return "The specified topic is blank.";
  if (topic.size() > 127) return "The specified topic is longer than topic max length 127.";
  for (char c : topic) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '%' || c == '|' || c == '_' || c == '-';
    if (!ok) {
      return "The specified topic[" + std::string(topic) +
             "] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$";
    }
  }
  return {};
}

bool IsNotAllowedSendTopic(std::string_view topic) {
  static const std::string_view kNotAllowed[] = {
      "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC",
      "TRANS_CHECK_MAX_TIME_TOPIC"};
  return std::find(std::begin(kNotAllowed), std::end(kNotAllowed), topic) != std::end(kNotAllowed);
}

TopicConfigManager::TopicConfigManager(std::string path, TopicDefaults defaults)
    : path_(std::move(path)), defaults_(std::move(defaults)) {}

Status TopicConfigManager::Load() {
  std::lock_guard lock(mu_);
  auto text = ReadWholeFile(path_);
  if (text.ok()) {
    auto decoded = protocol::DecodeTopicConfigWrapper(*text);
    if (!decoded.ok()) return Status::Corruption(path_ + ": " + decoded.status().message());
    for (auto& [name, tc] : decoded->first) table_[name] = tc;
    version_ = decoded->second;
  } else if (!text.status().IsNotFound()) {
    return text.status();
  }
  auto system = [&](std::string_view name, int32_t queues, int32_t perm) {
    if (table_.count(name)) return;
    TopicConfig tc;
    tc.topic_name = std::string(name);
    tc.read_queue_nums = tc.write_queue_nums = queues;
    tc.perm = perm;
    table_[tc.topic_name] = tc;
  };
  system(kSelfTestTopic, 1, Perm::kRead | Perm::kWrite);
  if (defaults_.auto_create_topic_enable) {
    system(kDefaultTopic, defaults_.default_topic_queue_nums, Perm::kRead | Perm::kWrite | Perm::kInherit);
  } else if (auto it = table_.find(kDefaultTopic); it != table_.end()) {
    // Left over from a run with auto-creation on: it must no longer spawn topics.
    it->second.perm &= ~Perm::kInherit;
  }
  if (defaults_.cluster_topic_enable && !defaults_.cluster_name.empty()) {
    system(defaults_.cluster_name, 16, Perm::kRead | Perm::kWrite | Perm::kInherit);
  }
  if (defaults_.broker_topic_enable && !defaults_.broker_name.empty()) {
    system(defaults_.broker_name, 1, Perm::kRead | Perm::kWrite | Perm::kInherit);
  }
  system(kOffsetMovedEventTopic, 1, Perm::kRead | Perm::kWrite);
  if (version_.timestamp == 0) version_.timestamp = NowMillis();
  return PersistLocked();
}

std::optional<TopicConfig> TopicConfigManager::Find(std::string_view topic) const {
  std::lock_guard lock(mu_);
  auto it = table_.find(topic);
  if (it == table_.end()) return std::nullopt;
  return it->second;
}

void TopicConfigManager::PutLocked(const TopicConfig& config) {
  table_[config.topic_name] = config;
  version_.counter += 1;
  version_.timestamp = NowMillis();
}

Status TopicConfigManager::PersistLocked() {
  auto parent = std::filesystem::path(path_).parent_path().string();
  if (Status s = CreateDirectories(parent); !s.ok()) return s;
  std::map<std::string, TopicConfig> plain(table_.begin(), table_.end());
  return WriteFileAtomic(path_, protocol::EncodeTopicConfigWrapper(plain, version_));
}

void TopicConfigManager::Changed() {
  if (listener_) listener_();
}

std::optional<TopicConfig> TopicConfigManager::CreateInSendMessage(std::string_view topic,
                                                                   std::string_view default_topic,
                                                                   int32_t client_queue_nums,
                                                                   int32_t topic_sys_flag) {
  TopicConfig created;
  {
    std::lock_guard lock(mu_);
    if (auto it = table_.find(topic); it != table_.end()) return it->second;
    auto def = table_.find(default_topic);
    if (def == table_.end()) return std::nullopt;
    if (default_topic == kDefaultTopic && !defaults_.auto_create_topic_enable) return std::nullopt;
    if ((def->second.perm & Perm::kInherit) == 0) return std::nullopt;
    int32_t queues = std::min(std::max(client_queue_nums, 1), def->second.write_queue_nums);
    created.topic_name = std::string(topic);
    created.read_queue_nums = created.write_queue_nums = queues;
    created.perm = def->second.perm & ~Perm::kInherit;
    created.topic_filter_type = def->second.topic_filter_type;
    created.topic_sys_flag = topic_sys_flag;
    PutLocked(created);
    if (Status s = PersistLocked(); !s.ok()) {
      GetLogger("topic")->error("persisting topics: {}", s.ToString());
    }
  }
  GetLogger("topic")->info("auto-created topic {} from {} with {} queues", created.topic_name,
                           default_topic, created.write_queue_nums);
  Changed();
  return created;
}

TopicConfig TopicConfigManager::CreateIfAbsent(std::string_view topic, int32_t queue_nums, int32_t perm) {
  TopicConfig created;
  {
    std::lock_guard lock(mu_);
    if (auto it = table_.find(topic); it != table_.end()) return it->second;
    created.topic_name = std::string(topic);
    created.read_queue_nums = created.write_queue_nums = queue_nums;
    created.perm = perm;
    PutLocked(created);
    if (Status s = PersistLocked(); !s.ok()) {
      GetLogger("topic")->error("persisting topics: {}", s.ToString());
    }
  }
  Changed();
  return created;
}

Status TopicConfigManager::Upsert(const TopicConfig& config) {
  {
    std::lock_guard lock(mu_);
    PutLocked(config);
    if (Status s = PersistLocked(); !s.ok()) return s;
  }
  Changed();
  return Status::OK();
}

Status TopicConfigManager::Delete(std::string_view topic) {
  {
    std::lock_guard lock(mu_);
    auto it = table_.find(topic);
    if (it == table_.end()) return Status::NotFound("topic " + std::string(topic));
    table_.erase(it);
    version_.counter += 1;
    version_.timestamp = NowMillis();
    if (Status s = PersistLocked(); !s.ok()) return s;
  }
  Changed();
  return Status::OK();
}

std::pair<std::map<std::string, TopicConfig>, DataVersion> TopicConfigManager::Snapshot() const {
  std::lock_guard lock(mu_);
  return {std::map<std::string, TopicConfig>(table_.begin(), table_.end()), version_};
}

}  // namespace sprocket::broker
