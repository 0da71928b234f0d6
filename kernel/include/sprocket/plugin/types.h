// Strong types for the two kinds of offsets RocketMQ has, so that passing a queue offset
// where a log position is expected does not compile.
//
//   QueueOffset  - logical index of a message within one (topic, queueId): 0, 1, 2, ...
//                  (RocketMQ's "queueOffset"/"consume queue offset").
//   LogPosition  - byte offset of a record in the broker's single ordered log
//                  (RocketMQ's "commitLogOffset"/"physical offset"). Every storage plugin
//                  uses byte offsets, so offsetMsgIds and replication behave the same.
//
// Part of the plugin ABI: see abi.h before changing anything here.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace sprocket {

template <typename Tag>
struct StrongOffset {
  int64_t value = 0;
  constexpr StrongOffset() = default;
  constexpr explicit StrongOffset(int64_t v) : value(v) {}
  constexpr auto operator<=>(const StrongOffset&) const = default;
  constexpr StrongOffset operator+(int64_t d) const { return StrongOffset(value + d); }
  constexpr StrongOffset operator-(int64_t d) const { return StrongOffset(value - d); }
  constexpr int64_t operator-(StrongOffset o) const { return value - o.value; }
  StrongOffset& operator+=(int64_t d) {
    value += d;
    return *this;
  }
};

struct QueueOffsetTag {};
struct LogPositionTag {};
using QueueOffset = StrongOffset<QueueOffsetTag>;
using LogPosition = StrongOffset<LogPositionTag>;

// A read-only view of bytes owned by someone else; see the owner's contract for lifetime.
struct ByteView {
  const char* data = nullptr;
  size_t size = 0;
};

}  // namespace sprocket

template <typename Tag>
struct std::hash<sprocket::StrongOffset<Tag>> {
  size_t operator()(const sprocket::StrongOffset<Tag>& o) const noexcept {
    return std::hash<int64_t>()(o.value);
  }
};
