// Big-endian integer access: every integer in a stored record (and in the file log's files)
// is big-endian, as in RocketMQ (Java's ByteBuffer default), so records go to clients unchanged.
#pragma once

#include <cstdint>

namespace sprocket::storage_common {

inline void PutInt32(char* p, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  p[0] = static_cast<char>(u >> 24);
  p[1] = static_cast<char>(u >> 16);
  p[2] = static_cast<char>(u >> 8);
  p[3] = static_cast<char>(u);
}

inline void PutInt64(char* p, int64_t v) {
  PutInt32(p, static_cast<int32_t>(static_cast<uint64_t>(v) >> 32));
  PutInt32(p + 4, static_cast<int32_t>(static_cast<uint64_t>(v)));
}

inline int16_t GetInt16(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<int16_t>((b[0] << 8) | b[1]);
}

inline int32_t GetInt32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<int32_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) |
                              uint32_t{b[3]});
}

inline int64_t GetInt64(const char* p) {
  const auto hi = static_cast<uint64_t>(static_cast<uint32_t>(GetInt32(p)));
  const auto lo = static_cast<uint64_t>(static_cast<uint32_t>(GetInt32(p + 4)));
  return static_cast<int64_t>((hi << 32) | lo);
}

}  // namespace sprocket::storage_common
