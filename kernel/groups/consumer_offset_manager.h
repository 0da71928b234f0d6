// ConsumerOffsetManager: committed consumer offsets per (group, topic, queue) for
// CLUSTERING consumers, persisted atomically every flushConsumerOffsetInterval and on
// shutdown as <storePathRootDir>/config/consumerOffset.json:
//   {"offsetTable":{"<topic>@<group>":{"<queueId>":<offset>,...},...}}
// (RocketMQ's file has the same shape; its fastjson writer leaves the queue ids unquoted.)
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "sprocket/plugin/status.h"

namespace sprocket::broker {

class ConsumerOffsetManager {
 public:
  explicit ConsumerOffsetManager(std::string path);
  Status Load();
  Status Persist();

  // Stores `offset` (RocketMQ stores whatever it is sent, -1 included).
  void Commit(const std::string& group, const std::string& topic, int32_t queue_id, int64_t offset);
  // nullopt when never committed.
  std::optional<int64_t> Query(const std::string& group, const std::string& topic, int32_t queue_id) const;
  // Every queue's offset of one (group, topic).
  std::map<int32_t, int64_t> QueryAll(const std::string& group, const std::string& topic) const;
  void RemoveTopic(const std::string& topic);

 private:
  std::string path_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<int32_t, int64_t>> table_;  // "topic@group" ->
  bool dirty_ = false;
};

}  // namespace sprocket::broker
