// SubscriptionGroupManager: per consumer group settings (RocketMQ's
// SubscriptionGroupConfig), auto-created on first heartbeat or pull when
// autoCreateSubscriptionGroup is on, persisted as config/subscriptionGroup.json.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "sprocket/plugin/status.h"

namespace sprocket::broker {

struct SubscriptionGroupConfig {
  std::string group_name;
  bool consume_enable = true;
  bool consume_from_min_enable = true;
  bool consume_broadcast_enable = true;
  int32_t retry_queue_nums = 1;
  int32_t retry_max_times = 16;
  int64_t broker_id = 0;
  int64_t which_broker_when_consume_slowly = 1;
  bool notify_consumer_ids_changed_enable = true;
};

class SubscriptionGroupManager {
 public:
  SubscriptionGroupManager(std::string path, bool auto_create);
  Status Load();

  // The group's config; created (and persisted) when absent and auto-creation is on.
  std::optional<SubscriptionGroupConfig> FindOrCreate(const std::string& group);
  std::optional<SubscriptionGroupConfig> Find(const std::string& group) const;
  Status Upsert(const SubscriptionGroupConfig& config);

 private:
  Status PersistLocked();
  std::string path_;
  bool auto_create_;
  mutable std::mutex mu_;
  std::map<std::string, SubscriptionGroupConfig> table_;
};

}  // namespace sprocket::broker
