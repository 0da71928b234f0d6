#include "groups/subscription_group_manager.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/logging.h"

namespace sprocket::broker {

SubscriptionGroupManager::SubscriptionGroupManager(std::string path, bool auto_create)
    : path_(std::move(path)), auto_create_(auto_create) {}

Status SubscriptionGroupManager::Load() {
  auto text = ReadWholeFile(path_);
  if (!text.ok()) return text.status().IsNotFound() ? Status::OK() : text.status();
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return Status::Corruption(path_ + ": not a JSON object");
  std::lock_guard lock(mu_);
  auto table = json.find("subscriptionGroupTable");
  if (table == json.end() || !table->is_object()) return Status::OK();
  for (auto& [name, j] : table->items()) {
    if (!j.is_object()) continue;
    SubscriptionGroupConfig c;
    c.group_name = name;
    c.consume_enable = j.value("consumeEnable", true);
    c.consume_from_min_enable = j.value("consumeFromMinEnable", true);
    c.consume_broadcast_enable = j.value("consumeBroadcastEnable", true);
    c.retry_queue_nums = j.value("retryQueueNums", 1);
    c.retry_max_times = j.value("retryMaxTimes", 16);
    c.broker_id = j.value("brokerId", int64_t{0});
    c.which_broker_when_consume_slowly = j.value("whichBrokerWhenConsumeSlowly", int64_t{1});
    c.notify_consumer_ids_changed_enable = j.value("notifyConsumerIdsChangedEnable", true);
    table_[name] = c;
  }
  return Status::OK();
}

Status SubscriptionGroupManager::PersistLocked() {
  nlohmann::json root;
  nlohmann::json& table = root["subscriptionGroupTable"] = nlohmann::json::object();
  for (const auto& [name, c] : table_) {
    table[name] = {{"brokerId", c.broker_id},
                   {"consumeBroadcastEnable", c.consume_broadcast_enable},
                   {"consumeEnable", c.consume_enable},
                   {"consumeFromMinEnable", c.consume_from_min_enable},
                   {"groupName", c.group_name},
                   {"notifyConsumerIdsChangedEnable", c.notify_consumer_ids_changed_enable},
                   {"retryMaxTimes", c.retry_max_times},
                   {"retryQueueNums", c.retry_queue_nums},
                   {"whichBrokerWhenConsumeSlowly", c.which_broker_when_consume_slowly}};
  }
  if (Status s = CreateDirectories(std::filesystem::path(path_).parent_path().string()); !s.ok()) return s;
  return WriteFileAtomic(path_, root.dump());
}

std::optional<SubscriptionGroupConfig> SubscriptionGroupManager::FindOrCreate(const std::string& group) {
  std::lock_guard lock(mu_);
  if (auto it = table_.find(group); it != table_.end()) return it->second;
  if (!auto_create_) return std::nullopt;
  SubscriptionGroupConfig c;
  c.group_name = group;
  table_[group] = c;
  if (Status s = PersistLocked(); !s.ok()) GetLogger("group")->error("persisting groups: {}", s.ToString());
  return c;
}

std::optional<SubscriptionGroupConfig> SubscriptionGroupManager::Find(const std::string& group) const {
  std::lock_guard lock(mu_);
  auto it = table_.find(group);
  if (it == table_.end()) return std::nullopt;
  return it->second;
}

Status SubscriptionGroupManager::Upsert(const SubscriptionGroupConfig& config) {
  std::lock_guard lock(mu_);
  table_[config.group_name] = config;
  return PersistLocked();
}

}  // namespace sprocket::broker
