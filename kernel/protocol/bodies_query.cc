// QUERY_MESSAGE headers (bodies_admin.h, PROTOCOL.md §3.7): QueryMessageRequestHeader with
// the _UNIQUE_KEY_QUERY extField, and QueryMessageResponseHeader. Field names are Java's.
#include <limits>

#include "sprocket/protocol/bodies_admin.h"
#include "sprocket/protocol/remoting_command.h"

namespace sprocket::protocol {

namespace {

Result<std::string_view> Required(const ExtFields& ext, std::string_view key) {
  const std::string* v = ext.Find(key);
  if (v == nullptr) return Status::InvalidArgument("the custom field <" + std::string(key) + "> is null");
  return std::string_view(*v);
}

Result<int64_t> RequiredInt(const ExtFields& ext, std::string_view key, int64_t min, int64_t max) {
  auto v = Required(ext, key);
  if (!v.ok()) return v.status();
  auto n = ExtFields::ParseInt(*v);
  if (!n || *n < min || *n > max) {
    return Status::InvalidArgument("the custom field <" + std::string(key) +
                                   "> is not a number: " + std::string(*v));
  }
  return *n;
}

}  // namespace

void EncodeQueryMessageRequestHeader(const QueryMessageRequestHeader& header, ExtFields* ext) {
  ext->Set("topic", header.topic);
  ext->Set("key", header.key);
  ext->Set("maxNum", int64_t{header.max_num});
  ext->Set("beginTimestamp", header.begin_timestamp);
  ext->Set("endTimestamp", header.end_timestamp);
  // MQClientAPIImpl.queryMessage always sends the flag, as Boolean.toString.
  ext->SetBool(kUniqueMsgQueryFlag, header.unique_key);
}

Result<QueryMessageRequestHeader> DecodeQueryMessageRequestHeader(const ExtFields& ext) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
  QueryMessageRequestHeader h;
  auto topic = Required(ext, "topic");
  if (!topic.ok()) return topic.status();
  h.topic = std::string(*topic);
  auto key = Required(ext, "key");
  if (!key.ok()) return key.status();
  h.key = std::string(*key);
  auto max_num =
      RequiredInt(ext, "maxNum", std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  if (!max_num.ok()) return max_num.status();
  h.max_num = static_cast<int32_t>(*max_num);
  auto begin = RequiredInt(ext, "beginTimestamp", kMin, kMax);
  if (!begin.ok()) return begin.status();
  h.begin_timestamp = *begin;
  auto end = RequiredInt(ext, "endTimestamp", kMin, kMax);
  if (!end.ok()) return end.status();
  h.end_timestamp = *end;
  // QueryMessageProcessor: only the exact string "true" counts.
  h.unique_key = ext.Get(kUniqueMsgQueryFlag) == "true";
  return h;
}

void EncodeQueryMessageResponseHeader(const QueryMessageResponseHeader& header, ExtFields* ext) {
  ext->Set("indexLastUpdateTimestamp", header.index_last_update_timestamp);
  ext->Set("indexLastUpdatePhyoffset", header.index_last_update_phyoffset);
}

Result<QueryMessageResponseHeader> DecodeQueryMessageResponseHeader(const ExtFields& ext) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
  QueryMessageResponseHeader h;
  auto ts = RequiredInt(ext, "indexLastUpdateTimestamp", kMin, kMax);
  if (!ts.ok()) return ts.status();
  h.index_last_update_timestamp = *ts;
  auto phy = RequiredInt(ext, "indexLastUpdatePhyoffset", kMin, kMax);
  if (!phy.ok()) return phy.status();
  h.index_last_update_phyoffset = *phy;
  return h;
}

}  // namespace sprocket::protocol
