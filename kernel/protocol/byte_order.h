// Big-endian reads and writes on raw bytes (RocketMQ puts every integer on the wire and on
// disk in Java ByteBuffer order). Private to kernel/protocol.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace sprocket::protocol::detail {

inline void PutBE16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}
inline void PutBE32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}
inline void PutBE64(char* p, uint64_t v) {
  PutBE32(p, static_cast<uint32_t>(v >> 32));
  PutBE32(p + 4, static_cast<uint32_t>(v));
}

inline uint16_t GetBE16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((u[0] << 8) | u[1]);
}
inline uint32_t GetBE32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
inline uint64_t GetBE64(const char* p) {
  return (uint64_t{GetBE32(p)} << 32) | GetBE32(p + 4);
}

inline void AppendBE16(std::string* out, uint16_t v) {
  char b[2];
  PutBE16(b, v);
  out->append(b, 2);
}
inline void AppendBE32(std::string* out, uint32_t v) {
  char b[4];
  PutBE32(b, v);
  out->append(b, 4);
}
inline void AppendBE64(std::string* out, uint64_t v) {
  char b[8];
  PutBE64(b, v);
  out->append(b, 8);
}

}  // namespace sprocket::protocol::detail
