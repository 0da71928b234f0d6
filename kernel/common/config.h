// Config: RocketMQ's key=value files (broker.conf, namesrv.conf) and the check that every
// key in them means something.
//
// Format (java.util.Properties, the subset RocketMQ configs use): one `key=value` (or
// `key: value`) per line, `#` and `!` start comments, surrounding blanks are trimmed.
//
// Key check (DESIGN.md §5): a key Sprocket implements is used; a RocketMQ key Sprocket does
// not implement is accepted with a warning naming it; a key nobody defines is an error, so
// typos cannot pass silently.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sprocket/plugin/status.h"

namespace sprocket {

class Config {
 public:
  // Reads a file; IOError when unreadable, InvalidArgument (with file:line) when a line
  // has no separator.
  static Result<Config> LoadFile(const std::string& path);
  static Result<Config> Parse(std::string_view text, const std::string& origin = "<string>");

  void Set(const std::string& key, std::string value);
  bool Has(std::string_view key) const;
  std::optional<std::string> Get(std::string_view key) const;
  std::string GetString(std::string_view key, std::string_view fallback) const;
  // InvalidArgument naming the key when the value is not an integer / boolean.
  Result<int64_t> GetInt(std::string_view key, int64_t fallback) const;
  Result<bool> GetBool(std::string_view key, bool fallback) const;

  const std::map<std::string, std::string, std::less<>>& entries() const { return entries_; }
  // Where a key was set: "broker.conf:7", or "command line".
  std::string Origin(std::string_view key) const;
  void SetOrigin(const std::string& key, std::string origin) { origins_[key] = std::move(origin); }

 private:
  std::map<std::string, std::string, std::less<>> entries_;
  std::map<std::string, std::string, std::less<>> origins_;
};

struct KeyRules {
  std::set<std::string, std::less<>> implemented;     // keys we act on
  std::set<std::string, std::less<>> rocketmq_other;  // RocketMQ keys we accept and ignore
};

// OK, or InvalidArgument for the first unknown key: "broker.conf:7: unknown config key
// 'listenPrt' (did you mean 'listenPort'?)". Ignored RocketMQ keys are appended to
// `warnings` as "broker.conf:9: RocketMQ key 'x' is not implemented by Sprocket; ignored".
Status CheckKeys(const Config& config, const KeyRules& rules, std::vector<std::string>* warnings);

}  // namespace sprocket
