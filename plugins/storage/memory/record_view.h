// The few facts about RocketMQ's stored-message record (PROTOCOL.md §5.1) a store needs.
//
// Append does not need any of this: the kernel fills AppendRequest with the topic, queue id,
// tag code and keys, and storage.h names the three fields a store patches. Only a follower
// (AppendReplica) reads records it did not build, so it must find those facts in the bytes.
// The kernel's protocol library is not part of the plugin ABI, so a plugin restates them:
// this header is self-contained on purpose; copy it into your own plugin.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "sprocket/plugin/status.h"

namespace sprocket::memory {

inline constexpr uint32_t kMessageMagic = 0xDAA320A7u;  // MAGICCODE of a record
// Every field present with IPv4 hosts and an empty body, topic and properties.
inline constexpr size_t kMinRecordSize = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + 1 + 2;

// Records are big-endian (Java's ByteBuffer).
inline uint32_t GetBE32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}
inline int64_t GetBE64(const char* p) {
  return static_cast<int64_t>((uint64_t{GetBE32(p)} << 32) | GetBE32(p + 4));
}
inline void PutBE32(char* p, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xFF);
}
inline void PutBE64(char* p, int64_t v) {
  PutBE32(p, static_cast<uint32_t>(static_cast<uint64_t>(v) >> 32));
  PutBE32(p + 4, static_cast<uint32_t>(v));
}

// What a follower needs from a record it is handed.
struct RecordView {
  uint32_t size = 0;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int64_t position = 0;  // PHYSICALOFFSET
  int64_t store_timestamp = 0;
  std::string_view topic;
  std::string_view properties;  // key\x01value\x02key\x01value...
};

// Parses the record at the start of `bytes`; Corruption unless every length field adds up.
inline Result<RecordView> ParseRecord(std::string_view bytes) {
  auto bad = [](const std::string& why) { return Status::Corruption("record: " + why); };
  if (bytes.size() < kMinRecordSize) return bad("shorter than any record");
  const char* p = bytes.data();
  RecordView r;
  r.size = GetBE32(p);
  if (GetBE32(p + 4) != kMessageMagic) return bad("bad magic");
  if (r.size < kMinRecordSize || r.size > bytes.size()) return bad("bad TOTALSIZE " + std::to_string(r.size));
  r.queue_id = static_cast<int32_t>(GetBE32(p + 12));
  r.queue_offset = GetBE64(p + 20);
  r.position = GetBE64(p + 28);
  const uint32_t sys_flag = GetBE32(p + 36);
  // BORNHOST and STOREHOST are 8 bytes (IPv4 + port), or 20 with the V6 flags 0x10 / 0x20.
  const size_t born_host = (sys_flag & 0x10) ? 20 : 8;
  const size_t store_host = (sys_flag & 0x20) ? 20 : 8;
  const size_t timestamp_at = 48 + born_host;
  size_t at = timestamp_at + 8 + store_host + 4 + 8;  // ... RECONSUMETIMES, PREPARED OFFSET
  if (at + 4 > r.size) return bad("fixed fields overrun the record");
  r.store_timestamp = GetBE64(p + timestamp_at);
  const uint32_t body_len = GetBE32(p + at);
  at += 4;
  if (body_len > r.size || at + body_len + 1 > r.size) return bad("bad body length");
  at += body_len;
  const auto topic_len = static_cast<int8_t>(p[at++]);
  if (topic_len < 0 || at + static_cast<size_t>(topic_len) + 2 > r.size) return bad("bad topic length");
  r.topic = std::string_view(p + at, static_cast<size_t>(topic_len));
  at += static_cast<size_t>(topic_len);
  const auto props_len = static_cast<int16_t>((uint16_t(uint8_t(p[at])) << 8) | uint8_t(p[at + 1]));
  at += 2;
  if (props_len < 0 || at + static_cast<size_t>(props_len) != r.size) return bad("lengths do not add up");
  r.properties = std::string_view(p + at, static_cast<size_t>(props_len));
  return r;
}

// The value of `key` in a properties string, empty when absent.
inline std::string_view FindProperty(std::string_view props, std::string_view key) {
  while (!props.empty()) {
    const size_t end = props.find('\x02');
    const std::string_view item = props.substr(0, end);
    const size_t sep = item.find('\x01');
    if (sep != std::string_view::npos && item.substr(0, sep) == key) return item.substr(sep + 1);
    if (end == std::string_view::npos) break;
    props.remove_prefix(end + 1);
  }
  return {};
}

// The consume-queue tag code of TAGS (§7.1): Java's String.hashCode, which runs over UTF-16
// code units, so UTF-8 is decoded first. A malformed byte counts as U+FFFD.
// (RocketMQ puts a delivery time there instead for SCHEDULE_TOPIC_XXXX; a follower that must
// run the delay service needs that rule too: see the filelog plugin's TagsCodeFromRecord.)
inline int64_t TagsCode(std::string_view tags) {
  uint32_t h = 0;  // unsigned: Java's int wraps, C++'s signed overflow is undefined
  const auto* s = reinterpret_cast<const unsigned char*>(tags.data());
  for (size_t i = 0; i < tags.size();) {
    const size_t len = s[i] < 0x80           ? 1
                       : (s[i] >> 5) == 6    ? 2
                       : (s[i] >> 4) == 0xE  ? 3
                       : (s[i] >> 3) == 0x1E ? 4
                                             : 0;
    uint32_t cp = len == 1 ? s[i] : 0xFFFD;
    bool ok = len > 1 && i + len <= tags.size();
    if (ok) {
      cp = s[i] & (0x7F >> len);
      for (size_t k = 1; k < len; ++k) {
        ok = ok && (s[i + k] & 0xC0) == 0x80;
        cp = (cp << 6) | (s[i + k] & 0x3F);
      }
      if (!ok) cp = 0xFFFD;
    }
    i += (ok || len == 1) ? len : 1;
    if (cp >= 0x10000) {  // a surrogate pair in UTF-16
      h = 31 * h + (0xD800 + ((cp - 0x10000) >> 10));
      h = 31 * h + (0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      h = 31 * h + cp;
    }
  }
  return tags.empty() ? 0 : static_cast<int64_t>(static_cast<int32_t>(h));
}

}  // namespace sprocket::memory
