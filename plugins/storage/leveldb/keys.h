// The LevelDB keys and values of the store, byte for byte as FORMAT.md describes them.
//
// Every integer is big-endian, so that LevelDB's bytewise order of the keys is the numeric
// order of positions and offsets: a queue's entries, the log's records and a key's
// positions are each one contiguous, sorted key range that an iterator walks in order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../common/big_endian.h"

namespace sprocket::leveldb_store {

// Unsigned views of the shared big-endian helpers (storage_common), for keys and values.
inline void PutBig32(char* p, uint32_t v) { storage_common::PutInt32(p, static_cast<int32_t>(v)); }
inline void PutBig64(char* p, uint64_t v) { storage_common::PutInt64(p, static_cast<int64_t>(v)); }
inline uint32_t GetBig32(const char* p) { return static_cast<uint32_t>(storage_common::GetInt32(p)); }
inline uint64_t GetBig64(const char* p) { return static_cast<uint64_t>(storage_common::GetInt64(p)); }
inline int16_t GetBig16Signed(const char* p) { return storage_common::GetInt16(p); }
inline void AppendBig64(std::string* out, uint64_t v) {
  char b[8];
  PutBig64(b, v);
  out->append(b, 8);
}
inline void AppendBig32(std::string* out, uint32_t v) {
  char b[4];
  PutBig32(b, v);
  out->append(b, 4);
}

// The first byte of every key says what it is.
inline constexpr char kKeyIndexTag = 'K';
inline constexpr char kMetaTag = 'M';
inline constexpr char kQueueEntryTag = 'Q';
inline constexpr char kRecordTag = 'R';
inline constexpr char kQueueStateTag = 'S';

// Version 2 keeps the log blocks ('R') in a database of their own (FORMAT.md §1); version 1
// kept them in the index database.
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr size_t kMaxTopicBytes = 255;  // one length byte (records allow 127)
inline constexpr size_t kMaxIndexKeyBytes = 65535;

// --- Meta keys.
std::string FormatKey();  // "Mformat"
std::string LogKey();     // "Mlog"
// In the records DB, while a TruncateLog runs: the position it cuts at (u64). Lets open tell
// records cut by an interrupted TruncateLog from records lost.
std::string CutKey();  // "Mcut"

struct FormatValue {
  uint32_t version = kFormatVersion;
  int64_t key_bucket_size = 0;  // positions per key-index bucket, fixed at creation
};
std::string EncodeFormat(const FormatValue& f);
std::optional<FormatValue> DecodeFormat(std::string_view v);

// The log's ends and the last store timestamp, rewritten by every batch that changes them.
struct LogValue {
  int64_t log_min = 0;
  int64_t log_end = 0;
  int64_t last_store_timestamp = 0;
  // Everything below this position was synced in both databases before this value was
  // written (a synced index batch puts its own end here once the records DB is synced that
  // far). On open, the index above it is rebuilt from the records DB (FORMAT.md §6).
  int64_t synced_end = 0;
};
std::string EncodeLog(const LogValue& l);
std::optional<LogValue> DecodeLog(std::string_view v);

// --- A queue's name in keys: uint8 topic length | topic | uint32 queue id. Also the key of
// the in-memory queue table.
std::string QueueName(std::string_view topic, int32_t queue_id);
// Splits a QueueName (the bytes after a key's tag); nullopt when malformed. `*used` gets its length.
std::optional<std::pair<std::string_view, int32_t>> ParseQueueName(std::string_view bytes, size_t* used);

// --- Queue state: 'S' | QueueName -> int64 min offset | int64 max offset.
std::string QueueStateKey(std::string_view queue_name);
std::string EncodeQueueState(int64_t min_offset, int64_t max_offset);

// --- Queue entry: 'Q' | QueueName | uint64 queue offset -> the 28 bytes of QueueEntry.
struct QueueEntry {
  int64_t position = 0;
  int32_t size = 0;
  int64_t tags_code = 0;
  int64_t store_timestamp = 0;
};
inline constexpr size_t kQueueEntryValueSize = 28;
std::string QueueEntryKey(std::string_view queue_name, int64_t queue_offset);
std::string QueueEntryPrefix(std::string_view queue_name);  // 'Q' | QueueName
void EncodeQueueEntry(const QueueEntry& e, char out[kQueueEntryValueSize]);
std::optional<QueueEntry> DecodeQueueEntry(std::string_view v);
// The queue offset at the end of a queue-entry key.
inline int64_t QueueOffsetOfKey(std::string_view key) {
  return static_cast<int64_t>(GetBig64(key.data() + key.size() - 8));
}

// --- Record: 'R' | uint64 position -> the entry's bytes (a record, or a blank from a leader).
inline constexpr size_t kRecordKeySize = 9;
std::string RecordKey(int64_t position);
inline int64_t PositionOfRecordKey(std::string_view key) {
  return static_cast<int64_t>(GetBig64(key.data() + 1));
}
inline bool IsRecordKey(std::string_view key) { return key.size() == kRecordKeySize && key[0] == kRecordTag; }

// --- Key index: 'K' | uint64 bucket | uint8 topic length | topic | uint16 key length | key |
// uint64 position -> int64 store timestamp. bucket = position / key_bucket_size, so that
// retention drops whole buckets without reading records.
std::string KeyIndexPrefix(int64_t bucket, std::string_view topic, std::string_view key);
std::string KeyIndexKey(int64_t bucket, std::string_view topic, std::string_view key, int64_t position);
std::string KeyIndexBucketStart(int64_t bucket);  // 'K' | uint64 bucket
// The bucket of any key-index key (the 8 bytes after the tag).
inline int64_t BucketOfKeyIndexKey(std::string_view key) {
  return static_cast<int64_t>(GetBig64(key.data() + 1));
}

// The first key after every key starting with `prefix` (prefix + 0xFF... would not do:
// keys may contain 0xFF). Empty when no such key exists.
std::string PrefixEnd(std::string_view prefix);

}  // namespace sprocket::leveldb_store
