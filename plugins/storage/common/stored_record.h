// The parts of RocketMQ's stored-message record (PROTOCOL.md §5.1) that a store reads: enough
// to validate a record, patch the fields the store owns, and index a record from its bytes
// (recovery, replication). The kernel's protocol library is not an ABI header, so the few
// rules needed (layout, Java String.hashCode of TAGS) are restated here, once for every
// shipped store: this folder is compiled into each plugin that uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sprocket/plugin/status.h"
#include "sprocket/plugin/storage.h"

namespace sprocket::storage_common {

inline constexpr int32_t kMessageMagic = static_cast<int32_t>(0xDAA320A7);
// kBlankMagic (storage.h) as the signed value read from a record's MAGICCODE field.
inline constexpr int32_t kBlankMagicCode = static_cast<int32_t>(0xCBD43194);
// The end-of-segment marker: int32 bytes-left-in-segment, int32 kBlankMagic.
inline constexpr int64_t kBlankSize = 8;

// Byte offsets of the fixed-position fields.
inline constexpr size_t kTotalSizeField = 0;
inline constexpr size_t kMagicField = 4;
inline constexpr size_t kBodyCrcField = 8;
inline constexpr size_t kQueueIdField = 12;
inline constexpr size_t kFlagField = 16;
inline constexpr size_t kRecordQueueOffsetField = 20;
inline constexpr size_t kPhysicalOffsetField = 28;
inline constexpr size_t kSysFlagField = 36;
inline constexpr size_t kBornHostField = 48;
inline constexpr int32_t kBornHostV6Flag = 0x10;
inline constexpr int32_t kStoreHostV6Flag = 0x20;
// Every field present, IPv4 hosts, empty body, topic and properties.
inline constexpr int32_t kMinRecordSize = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + 1 + 2;
// Bytes that reach every field up to and including STORETIMESTAMP with IPv6 hosts.
inline constexpr size_t kHeaderProbeSize = 80;

// STORETIMESTAMP's byte index for a record with this SYSFLAG.
inline size_t StoreTimestampField(int32_t sys_flag) {
  return kBornHostField + ((sys_flag & kBornHostV6Flag) ? 20 : 8);
}

struct RecordFields {
  int32_t total_size = 0;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int64_t physical_offset = 0;
  int32_t sys_flag = 0;
  int64_t store_timestamp = 0;
  size_t store_timestamp_field = 0;
  int32_t body_crc = 0;         // BODYCRC as stored
  std::string_view body;        // points into the parsed bytes
  std::string_view topic;       // points into the parsed bytes
  std::string_view properties;  // points into the parsed bytes
};

// Parses the record at the start of `bytes` (which may hold more after it). Corruption when
// the magic is wrong, the record is truncated, or its length fields do not add up to TOTALSIZE.
Result<RecordFields> ParseRecord(std::string_view bytes);

// What every store checks before storing an AppendRequest: the record is between
// kMinRecordSize and `max_record_size` bytes (`limit_why` says what sets that limit), its
// TOTALSIZE says so, it parses, and its topic, queue id and STORETIMESTAMP field agree with
// the request (recovery and followers rebuild queues from the record), and its properties
// do not end in NUL (what a torn write leaves; filelog recovery cuts there). MessageIllegal
// otherwise; the store adds its own rules for the topic name.
Status CheckAppendRequest(const AppendRequest& r, int64_t max_record_size, std::string_view limit_why);

// Whether BODYCRC equals crc32(body) & 0x7FFFFFFF (PROTOCOL.md §5.1). zlib's crc32, the same
// polynomial as the kernel's: the kernel's CLMUL version is private to kernel/protocol.
bool BodyCrcMatches(const RecordFields& rec);

// The value of `key` in a §5.2 properties string (key\x01value\x02...), empty when absent.
std::string_view FindProperty(std::string_view properties, std::string_view key);

// Java String.hashCode over the UTF-16 code units of a UTF-8 string (§7.1). A malformed
// UTF-8 byte counts as U+FFFD, as Java's decoder would replace it.
int32_t JavaStringHash(std::string_view utf8);

// The consume-queue tag code RocketMQ's dispatcher derives from a stored record: hash of TAGS
// (0 without), except in SCHEDULE_TOPIC_XXXX where it is the delivery time, STORETIMESTAMP +
// the delay of the record's DELAY level (clamped to the last level). Used to rebuild entries
// from the log; on append the kernel's AppendRequest::tags_code is used as given.
int64_t TagsCodeFromRecord(const RecordFields& rec, const std::vector<int64_t>& delay_level_ms);

// The index keys of a stored record as the kernel passes them in AppendRequest::keys:
// UNIQ_KEY, then a space, then KEYS as the producer set it (itself space-separated).
std::string KeysFromRecord(const RecordFields& rec);

// Writes the 8-byte end-of-segment marker.
void EncodeBlank(char* out, int32_t bytes_left);

}  // namespace sprocket::storage_common
