// Reading a storage plugin's options from its PluginHost: the parsing rules every shipped
// store shares (integers with bounds, flushDiskType, messageDelayLevel), so that a bad value
// gets the same clear InvalidArgument ("key=value: why") from each of them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "sprocket/plugin/host.h"
#include "sprocket/plugin/status.h"

namespace sprocket::storage_common {

// RocketMQ's default messageDelayLevel.
inline constexpr const char* kDefaultDelayLevels = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

// Without surrounding blanks (spaces, tabs, a CR left by a Windows-edited broker.conf).
std::string_view TrimOption(std::string_view s);

// The first of `keys` that is set (RocketMQ's old and new spellings), as an integer in
// [min, max]; when none is set *out keeps its default.
Status ReadIntOption(const PluginHost& host, std::initializer_list<std::string_view> keys, int64_t min,
                     int64_t max, int64_t* out);

// flushDiskType: *sync_flush becomes true for SYNC_FLUSH, false for ASYNC_FLUSH; unset
// keeps the default.
Status ReadFlushDiskType(const PluginHost& host, bool* sync_flush);

// "1s 5s 10s 30s 1m ..." -> milliseconds per level (units s, m, h, d).
Result<std::vector<int64_t>> ParseDelayLevels(const std::string& text);
// messageDelayLevel, or RocketMQ's default when unset.
Result<std::vector<int64_t>> ReadDelayLevels(const PluginHost& host);

}  // namespace sprocket::storage_common
