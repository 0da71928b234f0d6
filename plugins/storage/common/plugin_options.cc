#include "plugin_options.h"

#include <charconv>
#include <optional>

namespace sprocket::storage_common {

std::string_view TrimOption(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Status ReadIntOption(const PluginHost& host, std::initializer_list<std::string_view> keys, int64_t min,
                     int64_t max, int64_t* out) {
  for (std::string_view key : keys) {
    std::optional<std::string> v = host.Option(key);
    if (!v) continue;
    const std::string_view text = TrimOption(*v);
    int64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      return Status::InvalidArgument(std::string(key) + "=" + *v + ": not an integer");
    if (parsed < min || parsed > max)
      return Status::InvalidArgument(std::string(key) + "=" + *v + ": must be in [" + std::to_string(min) +
                                     ", " + std::to_string(max) + "]");
    *out = parsed;
    return Status::OK();
  }
  return Status::OK();
}

Status ReadFlushDiskType(const PluginHost& host, bool* sync_flush) {
  std::optional<std::string> v = host.Option("flushDiskType");
  if (!v) return Status::OK();
  const std::string_view t = TrimOption(*v);
  if (t == "SYNC_FLUSH") {
    *sync_flush = true;
  } else if (t == "ASYNC_FLUSH") {
    *sync_flush = false;
  } else {
    return Status::InvalidArgument("flushDiskType=" + *v + ": expected ASYNC_FLUSH or SYNC_FLUSH");
  }
  return Status::OK();
}

Result<std::vector<int64_t>> ParseDelayLevels(const std::string& text) {
  std::vector<int64_t> levels;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t sp = rest.find(' ');
    const std::string_view word = TrimOption(rest.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    if (word.empty()) continue;
    int64_t unit = 0;
    switch (word.back()) {
      case 's':
        unit = 1000;
        break;
      case 'm':
        unit = 60 * 1000;
        break;
      case 'h':
        unit = 60 * 60 * 1000;
        break;
      case 'd':
        unit = 24 * 60 * 60 * 1000;
        break;
      default:
        return Status::InvalidArgument("messageDelayLevel: bad unit in '" + std::string(word) + "'");
    }
    int64_t n = 0;
    auto [end, ec] = std::from_chars(word.data(), word.data() + word.size() - 1, n);
    if (ec != std::errc() || end != word.data() + word.size() - 1 || n < 0)
      return Status::InvalidArgument("messageDelayLevel: bad number in '" + std::string(word) + "'");
    levels.push_back(n * unit);
  }
  return levels;
}

Result<std::vector<int64_t>> ReadDelayLevels(const PluginHost& host) {
  return ParseDelayLevels(host.Option("messageDelayLevel").value_or(kDefaultDelayLevels));
}

}  // namespace sprocket::storage_common
