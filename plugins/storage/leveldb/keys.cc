#include "keys.h"

namespace sprocket::leveldb_store {

std::string FormatKey() { return std::string(1, kMetaTag) + "format"; }
std::string LogKey() { return std::string(1, kMetaTag) + "log"; }
std::string CutKey() { return std::string(1, kMetaTag) + "cut"; }

std::string EncodeFormat(const FormatValue& f) {
  std::string v;
  AppendBig32(&v, f.version);
  AppendBig64(&v, static_cast<uint64_t>(f.key_bucket_size));
  return v;
}

std::optional<FormatValue> DecodeFormat(std::string_view v) {
  if (v.size() != 12) return std::nullopt;
  FormatValue f;
  f.version = GetBig32(v.data());
  f.key_bucket_size = static_cast<int64_t>(GetBig64(v.data() + 4));
  return f;
}

std::string EncodeLog(const LogValue& l) {
  std::string v;
  AppendBig64(&v, static_cast<uint64_t>(l.log_min));
  AppendBig64(&v, static_cast<uint64_t>(l.log_end));
  AppendBig64(&v, static_cast<uint64_t>(l.last_store_timestamp));
  AppendBig64(&v, static_cast<uint64_t>(l.synced_end));
  return v;
}

std::optional<LogValue> DecodeLog(std::string_view v) {
  if (v.size() != 32) return std::nullopt;
  LogValue l;
  l.log_min = static_cast<int64_t>(GetBig64(v.data()));
  l.log_end = static_cast<int64_t>(GetBig64(v.data() + 8));
  l.last_store_timestamp = static_cast<int64_t>(GetBig64(v.data() + 16));
  l.synced_end = static_cast<int64_t>(GetBig64(v.data() + 24));
  if (l.log_min < 0 || l.log_end < l.log_min || l.synced_end > l.log_end) return std::nullopt;
  return l;
}

std::string QueueName(std::string_view topic, int32_t queue_id) {
  std::string n;
  n.reserve(1 + topic.size() + 4);
  n.push_back(static_cast<char>(static_cast<uint8_t>(topic.size())));
  n.append(topic);
  AppendBig32(&n, static_cast<uint32_t>(queue_id));
  return n;
}

std::optional<std::pair<std::string_view, int32_t>> ParseQueueName(std::string_view bytes, size_t* used) {
  if (bytes.empty()) return std::nullopt;
  const size_t len = static_cast<uint8_t>(bytes[0]);
  if (bytes.size() < 1 + len + 4) return std::nullopt;
  *used = 1 + len + 4;
  return std::make_pair(bytes.substr(1, len), static_cast<int32_t>(GetBig32(bytes.data() + 1 + len)));
}

std::string QueueStateKey(std::string_view queue_name) {
  std::string k(1, kQueueStateTag);
  k.append(queue_name);
  return k;
}

std::string EncodeQueueState(int64_t min_offset, int64_t max_offset) {
  std::string v;
  AppendBig64(&v, static_cast<uint64_t>(min_offset));
  AppendBig64(&v, static_cast<uint64_t>(max_offset));
  return v;
}

std::string QueueEntryPrefix(std::string_view queue_name) {
  std::string k(1, kQueueEntryTag);
  k.append(queue_name);
  return k;
}

std::string QueueEntryKey(std::string_view queue_name, int64_t queue_offset) {
  std::string k = QueueEntryPrefix(queue_name);
  AppendBig64(&k, static_cast<uint64_t>(queue_offset));
  return k;
}

void EncodeQueueEntry(const QueueEntry& e, char out[kQueueEntryValueSize]) {
  PutBig64(out, static_cast<uint64_t>(e.position));
  PutBig32(out + 8, static_cast<uint32_t>(e.size));
  PutBig64(out + 12, static_cast<uint64_t>(e.tags_code));
  PutBig64(out + 20, static_cast<uint64_t>(e.store_timestamp));
}

std::optional<QueueEntry> DecodeQueueEntry(std::string_view v) {
  if (v.size() != kQueueEntryValueSize) return std::nullopt;
  QueueEntry e;
  e.position = static_cast<int64_t>(GetBig64(v.data()));
  e.size = static_cast<int32_t>(GetBig32(v.data() + 8));
  e.tags_code = static_cast<int64_t>(GetBig64(v.data() + 12));
  e.store_timestamp = static_cast<int64_t>(GetBig64(v.data() + 20));
  if (e.position < 0 || e.size <= 0) return std::nullopt;
  return e;
}

std::string RecordKey(int64_t position) {
  std::string k(1, kRecordTag);
  AppendBig64(&k, static_cast<uint64_t>(position));
  return k;
}

std::string KeyIndexBucketStart(int64_t bucket) {
  std::string k(1, kKeyIndexTag);
  AppendBig64(&k, static_cast<uint64_t>(bucket));
  return k;
}

std::string KeyIndexPrefix(int64_t bucket, std::string_view topic, std::string_view key) {
  std::string k = KeyIndexBucketStart(bucket);
  k.push_back(static_cast<char>(static_cast<uint8_t>(topic.size())));
  k.append(topic);
  k.push_back(static_cast<char>(static_cast<uint8_t>(key.size() >> 8)));
  k.push_back(static_cast<char>(static_cast<uint8_t>(key.size())));
  k.append(key);
  return k;
}

std::string KeyIndexKey(int64_t bucket, std::string_view topic, std::string_view key, int64_t position) {
  std::string k = KeyIndexPrefix(bucket, topic, key);
  AppendBig64(&k, static_cast<uint64_t>(position));
  return k;
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last != 0xFF) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return end;
}

}  // namespace sprocket::leveldb_store
