#include "stored_record.h"

#include <zlib.h>

#include <charconv>
#include <string>

#include "big_endian.h"

namespace sprocket::storage_common {

namespace {

constexpr std::string_view kScheduleTopic = "SCHEDULE_TOPIC_XXXX";

Status Bad(const std::string& why) { return Status::Corruption("record: " + why); }

}  // namespace

Status CheckAppendRequest(const AppendRequest& r, int64_t max_record_size, std::string_view limit_why) {
  const auto size = static_cast<int64_t>(r.record.size());
  if (size > max_record_size)
    return Status::MessageIllegal("record of " + std::to_string(size) + " bytes exceeds the limit of " +
                                  std::to_string(max_record_size) + " (" + std::string(limit_why) + ")");
  if (size < kMinRecordSize)
    return Status::MessageIllegal("record of " + std::to_string(size) + " bytes is shorter than any record");
  const int32_t total = GetInt32(r.record.data() + kTotalSizeField);
  if (total != size)
    return Status::MessageIllegal("TOTALSIZE field says " + std::to_string(total) + ", the record has " +
                                  std::to_string(size) + " bytes");
  Result<RecordFields> f = ParseRecord(r.record);
  if (!f.ok()) return Status::MessageIllegal(f.status().message());
  if (f->topic != r.topic || f->queue_id != r.queue_id)
    return Status::MessageIllegal("record is for " + std::string(f->topic) + "/" +
                                  std::to_string(f->queue_id) + ", the request for " + r.topic + "/" +
                                  std::to_string(r.queue_id));
  if (f->store_timestamp_field != r.store_timestamp_field)
    return Status::MessageIllegal("store_timestamp_field " + std::to_string(r.store_timestamp_field) +
                                  " does not match the record's layout (" +
                                  std::to_string(f->store_timestamp_field) + ")");
  // filelog's recovery takes properties ending in NUL for a write cut short (its FORMAT.md
  // §1.4, rule 6); both stores refuse them, so a broker and its followers behave alike.
  if (!f->properties.empty() && f->properties.back() == '\0')
    return Status::MessageIllegal("properties end in a NUL byte: a store cannot tell that from a torn write");
  return Status::OK();
}

Result<RecordFields> ParseRecord(std::string_view bytes) {
  if (bytes.size() < 8) return Bad("fewer than 8 bytes");
  RecordFields r;
  r.total_size = GetInt32(bytes.data() + kTotalSizeField);
  const int32_t magic = GetInt32(bytes.data() + kMagicField);
  if (magic != kMessageMagic) return Bad("bad magic " + std::to_string(magic));
  if (r.total_size < kMinRecordSize) return Bad("size " + std::to_string(r.total_size) + " too small");
  if (static_cast<size_t>(r.total_size) > bytes.size())
    return Bad("size " + std::to_string(r.total_size) + " exceeds the " + std::to_string(bytes.size()) +
               " bytes available");
  const char* p = bytes.data();
  const size_t total = static_cast<size_t>(r.total_size);
  r.queue_id = GetInt32(p + kQueueIdField);
  r.queue_offset = GetInt64(p + kRecordQueueOffsetField);
  r.physical_offset = GetInt64(p + kPhysicalOffsetField);
  r.sys_flag = GetInt32(p + kSysFlagField);
  r.store_timestamp_field = StoreTimestampField(r.sys_flag);
  const size_t store_host_len = (r.sys_flag & kStoreHostV6Flag) ? 20 : 8;
  // STORETIMESTAMP, STOREHOST, RECONSUMETIMES, PREPARED TRANSACTION OFFSET, then BODYLEN.
  size_t at = r.store_timestamp_field + 8 + store_host_len + 4 + 8;
  if (at + 4 > total) return Bad("fixed fields overrun the record");
  r.store_timestamp = GetInt64(p + r.store_timestamp_field);
  r.body_crc = GetInt32(p + kBodyCrcField);
  const int32_t body_len = GetInt32(p + at);
  at += 4;
  if (body_len < 0 || at + static_cast<size_t>(body_len) + 1 > total) return Bad("bad body length");
  r.body = std::string_view(p + at, static_cast<size_t>(body_len));
  at += static_cast<size_t>(body_len);
  const auto topic_len = static_cast<int8_t>(p[at]);
  at += 1;
  if (topic_len < 0 || at + static_cast<size_t>(topic_len) + 2 > total) return Bad("bad topic length");
  r.topic = std::string_view(p + at, static_cast<size_t>(topic_len));
  at += static_cast<size_t>(topic_len);
  const int16_t props_len = GetInt16(p + at);
  at += 2;
  if (props_len < 0 || at + static_cast<size_t>(props_len) != total)
    return Bad("field lengths do not add up to TOTALSIZE " + std::to_string(total));
  r.properties = std::string_view(p + at, static_cast<size_t>(props_len));
  return r;
}

bool BodyCrcMatches(const RecordFields& rec) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(rec.body.data()), static_cast<uInt>(rec.body.size()));
  return static_cast<int32_t>(crc & 0x7FFFFFFF) == rec.body_crc;
}

std::string KeysFromRecord(const RecordFields& rec) {
  std::string keys(FindProperty(rec.properties, "UNIQ_KEY"));
  std::string_view user_keys = FindProperty(rec.properties, "KEYS");
  if (!user_keys.empty()) {
    if (!keys.empty()) keys.push_back(' ');
    keys.append(user_keys);
  }
  return keys;
}

std::string_view FindProperty(std::string_view properties, std::string_view key) {
  while (!properties.empty()) {
    size_t end = properties.find('\x02');
    std::string_view item = properties.substr(0, end);
    size_t eq = item.find('\x01');
    if (eq != std::string_view::npos && item.substr(0, eq) == key) return item.substr(eq + 1);
    if (end == std::string_view::npos) break;
    properties.remove_prefix(end + 1);
  }
  return {};
}

int32_t JavaStringHash(std::string_view utf8) {
  uint32_t h = 0;  // unsigned: Java's int overflow wraps, C++'s signed overflow is undefined
  auto add = [&h](uint32_t unit) { h = 31 * h + unit; };
  const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t n = utf8.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6) {
      len = 2;
    } else if ((c >> 4) == 0xE) {
      len = 3;
    } else if ((c >> 3) == 0x1E) {
      len = 4;
    }
    if (len > 1) {
      bool ok = i + len <= n;
      uint32_t v = c & (0x7F >> len);
      for (size_t k = 1; ok && k < len; ++k) {
        if ((s[i + k] & 0xC0) != 0x80) ok = false;
        v = (v << 6) | (s[i + k] & 0x3F);
      }
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      if (ok && v >= kMin[len] && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF)) {
        cp = v;
      } else {
        len = 1;  // replace the lead byte and resynchronise on the next one
        cp = 0xFFFD;
      }
    }
    if (cp >= 0x10000) {  // a surrogate pair in UTF-16
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

int64_t TagsCodeFromRecord(const RecordFields& rec, const std::vector<int64_t>& delay_level_ms) {
  if (rec.topic == kScheduleTopic && !delay_level_ms.empty()) {
    std::string_view level_text = FindProperty(rec.properties, "DELAY");
    int level = 0;
    auto [end, ec] = std::from_chars(level_text.data(), level_text.data() + level_text.size(), level);
    if (ec == std::errc() && level > 0) {
      if (static_cast<size_t>(level) > delay_level_ms.size()) level = static_cast<int>(delay_level_ms.size());
      return rec.store_timestamp + delay_level_ms[static_cast<size_t>(level - 1)];
    }
  }
  std::string_view tags = FindProperty(rec.properties, "TAGS");
  return tags.empty() ? 0 : static_cast<int64_t>(JavaStringHash(tags));
}

void EncodeBlank(char* out, int32_t bytes_left) {
  PutInt32(out, bytes_left);
  PutInt32(out + 4, kBlankMagicCode);
}

}  // namespace sprocket::storage_common
