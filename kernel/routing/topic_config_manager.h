// TopicConfigManager: the broker's topics (name, read/write queue counts, perm, filter
// type), persisted atomically as <storePathRootDir>/config/topics.json in RocketMQ's
// TopicConfigSerializeWrapper form. Every change bumps the DataVersion and fires the
// change listener, which re-registers the broker with every nameserver at once (§8.3).
//
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "sprocket/plugin/status.h"
#include "sprocket/protocol/bodies.h"

namespace sprocket::broker {

using protocol::DataVersion;
using protocol::TopicConfig;

inline constexpr std::string_view kDefaultTopic = "TBW102";
inline constexpr std::string_view kSelfTestTopic = "SELF_TEST_TOPIC";
inline constexpr std::string_view kOffsetMovedEventTopic = "OFFSET_MOVED_EVENT";
inline constexpr std::string_view kRetryGroupTopicPrefix = "%RETRY%";
inline constexpr std::string_view kDlqGroupTopicPrefix = "%DLQ%";

// RocketMQ's TopicValidator: ^[%|a-zA-Z0-9_-]+$, at most 127 characters. Empty string on
// success, else the reason.
std::string ValidateTopicName(std::string_view topic);
// Topics clients may not send to directly (TopicValidator.isNotAllowedSendTopic).
bool IsNotAllowedSendTopic(std::string_view topic);

struct TopicDefaults {
  std::string cluster_name;
  std::string broker_name;
  bool auto_create_topic_enable = true;
  int32_t default_topic_queue_nums = 8;
  bool cluster_topic_enable = true;
  bool broker_topic_enable = true;
};

class TopicConfigManager {
 public:
  TopicConfigManager(std::string path, TopicDefaults defaults);

  // Loads topics.json (absent is fine) and adds the system topics RocketMQ creates.
  Status Load();

  std::optional<TopicConfig> Find(std::string_view topic) const;

  // The send path's auto-creation (TopicConfigManager.createTopicInSendMessageMethod):
  // when `topic` is unknown and `default_topic` exists with PERM_INHERIT, creates it with
  // min(client_queue_nums, default's writeQueueNums) queues and the default's perm minus
  // INHERIT. nullopt when it may not be created.
  std::optional<TopicConfig> CreateInSendMessage(std::string_view topic, std::string_view default_topic,
                                                 int32_t client_queue_nums, int32_t topic_sys_flag);

  // Creates (if absent) a topic with the given queues and perm: retry topics on heartbeat.
  TopicConfig CreateIfAbsent(std::string_view topic, int32_t queue_nums, int32_t perm);

  // Creates or replaces (UPDATE_AND_CREATE_TOPIC).
  Status Upsert(const TopicConfig& config);
  // NotFound when it did not exist.
  Status Delete(std::string_view topic);

  std::pair<std::map<std::string, TopicConfig>, DataVersion> Snapshot() const;

  // Called (outside the lock) after every change. Set before Load.
  void SetChangeListener(std::function<void()> listener) { listener_ = std::move(listener); }

 private:
  Status PersistLocked();
  void PutLocked(const TopicConfig& config);
  void Changed();

  std::string path_;
  TopicDefaults defaults_;
  mutable std::mutex mu_;
  std::map<std::string, TopicConfig, std::less<>> table_;
  DataVersion version_;
  std::function<void()> listener_;
};

}  // namespace sprocket::broker
