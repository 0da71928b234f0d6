// What the LevelDB store reads from a stored record (PROTOCOL.md §5.1): enough to validate
// an append, patch the three fields the store owns, and index a record that arrives by
// replication (its queue, queue offset, tag code and keys come from the bytes). The kernel's
// protocol library is not part of the plugin ABI, so the few rules needed are restated here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sprocket/plugin/status.h"

namespace sprocket::leveldb_store {

inline constexpr int32_t kMessageMagic = static_cast<int32_t>(0xDAA320A7);
inline constexpr size_t kMagicField = 4;
inline constexpr size_t kQueueIdField = 12;
inline constexpr size_t kSysFlagField = 36;
inline constexpr size_t kBornHostField = 48;
// Every field present, IPv4 hosts, empty body, topic and properties.
inline constexpr int32_t kMinRecordSize = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + 1 + 2;
// A blank (int32 length | int32 kBlankMagic | padding) is at least its 8-byte header.
inline constexpr int32_t kMinBlankSize = 8;

struct RecordFields {
  int32_t total_size = 0;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int64_t physical_offset = 0;
  int64_t store_timestamp = 0;
  size_t store_timestamp_field = 0;
  std::string_view topic;       // points into the parsed bytes
  std::string_view properties;  // points into the parsed bytes
};

// Parses the record at the start of `bytes` (which may hold more after it). Corruption when
// the magic is wrong, it is truncated, or its length fields do not add up to TOTALSIZE.
Result<RecordFields> ParseRecord(std::string_view bytes);

// STORETIMESTAMP of a record whose first bytes are `head`; false when they do not reach it.
bool ReadStoreTimestamp(std::string_view head, int64_t* out);

// The value of `key` in a §5.2 properties string, empty when absent.
std::string_view FindProperty(std::string_view properties, std::string_view key);

// Java String.hashCode over the UTF-16 code units of a UTF-8 string (§7.1).
int32_t JavaStringHash(std::string_view utf8);

// The consume-queue tag code RocketMQ derives from a stored record: the hash of TAGS (0
// without), except in SCHEDULE_TOPIC_XXXX where it is the delivery time (STORETIMESTAMP +
// the delay of the DELAY level, clamped to the last level). For records that arrive by
// replication; appends use AppendRequest::tags_code as given.
int64_t TagsCodeFromRecord(const RecordFields& rec, const std::vector<int64_t>& delay_level_ms);

// The index keys of a record: UNIQ_KEY and each space-separated KEYS entry, as the kernel
// builds AppendRequest::keys.
std::string IndexKeysFromRecord(const RecordFields& rec);

// Splits space-separated keys, dropping empty and repeated ones and ones too long to index.
std::vector<std::string_view> SplitIndexKeys(std::string_view keys);

}  // namespace sprocket::leveldb_store
