#include "namesrv/kv_config_manager.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/file_util.h"

namespace sprocket::namesrv {

KvConfigManager::KvConfigManager(std::string path) : path_(std::move(path)) {}

Status KvConfigManager::Load() {
  if (path_.empty()) return Status::OK();
  auto text = ReadWholeFile(path_);
  if (!text.ok()) return text.status().IsNotFound() ? Status::OK() : text.status();
  auto json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Status::Corruption(path_ + ": not a JSON object");
  }
  std::lock_guard lock(mu_);
  auto table = json.find("configTable");
  if (table == json.end() || !table->is_object()) return Status::OK();
  for (auto& [ns, kv] : table->items()) {
    if (!kv.is_object()) continue;
    for (auto& [k, v] : kv.items()) {
      if (v.is_string()) table_[ns][k] = v.get<std::string>();
    }
  }
  return Status::OK();
}

Status KvConfigManager::PersistLocked() const {
  if (path_.empty()) return Status::OK();
  nlohmann::json root = nlohmann::json::object();
  nlohmann::json& table = root["configTable"] = nlohmann::json::object();
  for (const auto& [ns, kv] : table_) table[ns] = kv;
  auto parent = std::filesystem::path(path_).parent_path().string();
  if (!parent.empty()) {
    if (Status s = CreateDirectories(parent); !s.ok()) return s;
  }
  return WriteFileAtomic(path_, root.dump());
}

Status KvConfigManager::Put(const std::string& ns, const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  table_[ns][key] = value;
  return PersistLocked();
}

std::optional<std::string> KvConfigManager::Get(const std::string& ns, const std::string& key) const {
  std::lock_guard lock(mu_);
  auto n = table_.find(ns);
  if (n == table_.end()) return std::nullopt;
  auto k = n->second.find(key);
  if (k == n->second.end()) return std::nullopt;
  return k->second;
}

Status KvConfigManager::Delete(const std::string& ns, const std::string& key) {
  std::lock_guard lock(mu_);
  auto n = table_.find(ns);
  if (n == table_.end()) return Status::OK();
  n->second.erase(key);
  if (n->second.empty()) table_.erase(n);
  return PersistLocked();
}

std::optional<std::map<std::string, std::string>> KvConfigManager::List(const std::string& ns) const {
  std::lock_guard lock(mu_);
  auto n = table_.find(ns);
  if (n == table_.end()) return std::nullopt;
  return n->second;
}

}  // namespace sprocket::namesrv
