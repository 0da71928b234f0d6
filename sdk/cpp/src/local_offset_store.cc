// LocalFileOffsetStore: a broadcasting consumer's offsets in a JSON file of its own.
//
//   {"offsetTable":[{"topic":"T","brokerName":"broker-a","queueId":0,"offset":42}, ...]}
//
// (RocketMQ's Java client writes fastjson with object map keys, which is not JSON; no
// other program reads this file, so it is plain JSON here.)
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "log.h"
#include "offset_store.h"

namespace sprocket::sdk {

LocalFileOffsetStore::LocalFileOffsetStore(std::string path) : path_(std::move(path)) {}

std::string LocalFileOffsetStore::DefaultDir() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : "/tmp") + "/.rocketmq_offsets";
}

Status LocalFileOffsetStore::Load() {
  auto text = ReadWholeFile(path_);
  if (!text.ok()) return text.status().IsNotFound() ? Status::OK() : text.status();  // first start
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("offsetTable") ||
      !doc["offsetTable"].is_array()) {
    return Status::InvalidArgument("offset file " + path_ +
                                   " is not {\"offsetTable\":[...]}; move it away to start over");
  }
  for (const auto& e : doc["offsetTable"]) {
    if (!e.is_object() || !e.value("topic", nlohmann::json()).is_string() ||
        !e.value("brokerName", nlohmann::json()).is_string() ||
        !e.value("queueId", nlohmann::json()).is_number_integer() ||
        !e.value("offset", nlohmann::json()).is_number_integer()) {
      return Status::InvalidArgument("offset file " + path_ + ": bad entry " + e.dump());
    }
    MessageQueue mq(e["topic"].get<std::string>(), e["brokerName"].get<std::string>(),
                    e["queueId"].get<int>());
    loaded_[mq] = e["offset"].get<int64_t>();
  }
  Log().info("loaded {} offsets from {}", loaded_.size(), path_);
  return Status::OK();
}

Result<int64_t> LocalFileOffsetStore::ReadStored(const MessageQueue& mq) {
  std::lock_guard<std::mutex> lock(file_mu_);
  auto it = loaded_.find(mq);
  if (it == loaded_.end() || it->second < 0) {
    return Status::NotFound("no offset for " + mq.toString() + " in " + path_);
  }
  return it->second;
}

void LocalFileOffsetStore::Remove(const MessageQueue& mq) {
  // The file keeps the queue's last offset: should the queue come back (a route change),
  // consumption resumes there.
  PersistAll(/*sync=*/true);
  {
    std::lock_guard<std::mutex> lock(file_mu_);
    int64_t offset = Read(mq);
    if (offset >= 0) loaded_[mq] = offset;
  }
  Forget(mq);
}

void LocalFileOffsetStore::PersistAll(bool sync) {
  auto changed = Changed();
  if (changed.empty()) return;
  std::lock_guard<std::mutex> lock(file_mu_);
  // Queues no longer tracked keep their last offset in the file.
  std::map<MessageQueue, int64_t> all = loaded_;
  for (const auto& [mq, offset] : Snapshot()) all[mq] = offset;
  Status s = WriteFile(all);
  if (!s.ok()) {
    Log().warn("persist offsets: {}", s.ToString());
    return;
  }
  for (const auto& [mq, offset] : changed) MarkPersisted(mq, offset);
}

Status LocalFileOffsetStore::WriteFile(const std::map<MessageQueue, int64_t>& offsets) {
  nlohmann::json table = nlohmann::json::array();
  for (const auto& [mq, offset] : offsets) {
    table.push_back({{"topic", mq.getTopic()},
                     {"brokerName", mq.getBrokerName()},
                     {"queueId", mq.getQueueId()},
                     {"offset", offset}});
  }
  nlohmann::json doc = {{"offsetTable", std::move(table)}};
  Status dir = CreateDirectories(std::filesystem::path(path_).parent_path().string());
  if (!dir.ok()) return dir;
  return WriteFileAtomic(path_, doc.dump(2) + "\n");
}

}  // namespace sprocket::sdk
