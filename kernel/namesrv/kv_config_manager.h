// KvConfigManager: the nameserver's namespace/key/value store (PUT/GET/DELETE_KV_CONFIG,
// GET_KVLIST_BY_NAMESPACE), persisted like RocketMQ's kvConfig.json:
//   {"configTable":{"<namespace>":{"<key>":"<value>"}}}
// The only state a nameserver keeps across restarts.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "sprocket/plugin/status.h"

namespace sprocket::namesrv {

class KvConfigManager {
 public:
  // Empty path: memory only.
  explicit KvConfigManager(std::string path);
  Status Load();

  Status Put(const std::string& ns, const std::string& key, const std::string& value);
  std::optional<std::string> Get(const std::string& ns, const std::string& key) const;
  Status Delete(const std::string& ns, const std::string& key);
  std::optional<std::map<std::string, std::string>> List(const std::string& ns) const;

 private:
  Status PersistLocked() const;
  std::string path_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::string>> table_;
};

}  // namespace sprocket::namesrv
