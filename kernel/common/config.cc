#include "common/config.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace sprocket {
namespace {

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\f')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\f')) --e;
  return s.substr(b, e - b);
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

Result<Config> Config::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string base = path;
  if (auto slash = base.rfind('/'); slash != std::string::npos) base = base.substr(slash + 1);
  return Parse(ss.str(), base);
}

Result<Config> Config::Parse(std::string_view text, const std::string& origin) {
  Config config;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    size_t sep = line.find_first_of("=:");
    if (sep == std::string_view::npos) {
      return Status::InvalidArgument(origin + ":" + std::to_string(line_no) +
                                     ": expected key=value, got '" + std::string(line) + "'");
    }
    std::string key(Trim(line.substr(0, sep)));
    if (key.empty()) {
      return Status::InvalidArgument(origin + ":" + std::to_string(line_no) + ": empty key");
    }
    config.Set(key, std::string(Trim(line.substr(sep + 1))));
    config.SetOrigin(key, origin + ":" + std::to_string(line_no));
  }
  return config;
}

void Config::Set(const std::string& key, std::string value) { entries_[key] = std::move(value); }

bool Config::Has(std::string_view key) const { return entries_.find(key) != entries_.end(); }

std::optional<std::string> Config::Get(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::string Config::GetString(std::string_view key, std::string_view fallback) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? std::string(fallback) : it->second;
}

Result<int64_t> Config::GetInt(std::string_view key, int64_t fallback) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.empty()) return fallback;
  const std::string& v = it->second;
  size_t i = (v[0] == '-' || v[0] == '+') ? 1 : 0;
  bool digits = i < v.size() && std::all_of(v.begin() + i, v.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || v.size() > 19) {
    return Status::InvalidArgument(Origin(key) + ": config key '" + std::string(key) +
                                   "' needs an integer, got '" + v + "'");
  }
  return static_cast<int64_t>(std::stoll(v));
}

Result<bool> Config::GetBool(std::string_view key, bool fallback) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.empty()) return fallback;
  std::string v = it->second;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "true") return true;
  if (v == "false") return false;
  return Status::InvalidArgument(Origin(key) + ": config key '" + std::string(key) +
                                 "' needs true or false, got '" + it->second + "'");
}

std::string Config::Origin(std::string_view key) const {
  auto it = origins_.find(key);
  return it == origins_.end() ? "command line" : it->second;
}

Status CheckKeys(const Config& config, const KeyRules& rules, std::vector<std::string>* warnings) {
  for (const auto& [key, value] : config.entries()) {
    if (rules.implemented.count(key)) continue;
    if (rules.rocketmq_other.count(key)) {
      if (warnings) {
        warnings->push_back(config.Origin(key) + ": RocketMQ key '" + key +
                            "' is not implemented by Sprocket; ignored");
      }
      continue;
    }
    std::string best;
    size_t best_d = 4;
    for (const auto& k : rules.implemented) {
      size_t d = EditDistance(key, k);
      if (d < best_d) best_d = d, best = k;
    }
    std::string msg = config.Origin(key) + ": unknown config key '" + key + "'";
    if (!best.empty()) msg += " (did you mean '" + best + "'?)";
    return Status::InvalidArgument(msg);
  }
  return Status::OK();
}

}  // namespace sprocket
