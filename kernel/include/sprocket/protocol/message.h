// Messages on the wire and on disk: the stored-message record (PROTOCOL.md §5.1), the
// properties string (§5.2), message ids (§6) and the tag hash (§7.1).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sprocket/plugin/status.h"
#include "sprocket/plugin/types.h"

namespace sprocket::protocol {

inline constexpr int32_t kMessageMagic = static_cast<int32_t>(0xDAA320A7);
inline constexpr int32_t kBlankMagic = static_cast<int32_t>(0xCBD43194);
inline constexpr int32_t kDefaultMaxMessageSize = 4 * 1024 * 1024;

// Property keys (MessageConst).
namespace Prop {
inline constexpr std::string_view kKeys = "KEYS";
inline constexpr std::string_view kTags = "TAGS";
inline constexpr std::string_view kWaitStoreMsgOk = "WAIT";
inline constexpr std::string_view kDelayTimeLevel = "DELAY";
inline constexpr std::string_view kRetryTopic = "RETRY_TOPIC";
inline constexpr std::string_view kRealTopic = "REAL_TOPIC";
inline constexpr std::string_view kRealQueueId = "REAL_QID";
inline constexpr std::string_view kTransactionPrepared = "TRAN_MSG";
inline constexpr std::string_view kProducerGroup = "PGROUP";
inline constexpr std::string_view kMinOffset = "MIN_OFFSET";
inline constexpr std::string_view kMaxOffset = "MAX_OFFSET";
inline constexpr std::string_view kOriginMessageId = "ORIGIN_MESSAGE_ID";
inline constexpr std::string_view kReconsumeTime = "RECONSUME_TIME";
inline constexpr std::string_view kMsgRegion = "MSG_REGION";
inline constexpr std::string_view kTraceSwitch = "TRACE_ON";
inline constexpr std::string_view kUniqKey = "UNIQ_KEY";
inline constexpr std::string_view kMaxReconsumeTimes = "MAX_RECONSUME_TIMES";
inline constexpr std::string_view kCluster = "CLUSTER";
}  // namespace Prop

// An IPv4 or IPv6 address with port, as stored in BORNHOST/STOREHOST.
struct HostAddress {
  std::array<uint8_t, 16> ip{};  // first 4 bytes used for IPv4
  bool v6 = false;
  int32_t port = 0;

  // "1.2.3.4:10911" or "[::1]:10911". IPv4-mapped IPv6 becomes IPv4.
  static Result<HostAddress> Parse(std::string_view host_port);
  std::string ToString() const;  // same forms as Parse accepts
  size_t EncodedSize() const { return v6 ? 20 : 8; }
};

// key\x01value\x02... Keeps insertion order; a trailing \x02 is accepted on decode.
class MessageProperties {
 public:
  static MessageProperties Decode(std::string_view encoded);
  std::string Encode() const;  // no trailing separator (Java 4.9.8 form)

  const std::string* Find(std::string_view key) const;
  std::string_view Get(std::string_view key, std::string_view fallback = {}) const;
  void Set(std::string_view key, std::string value);
  bool Erase(std::string_view key);
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// The same encoded properties as views into the string, for hot paths: no allocation.
// Parse accepts only what Decode would keep as it is — every entry with a non-empty key
// and value, no repeated key, at most kMaxEntries — and returns false otherwise (use
// MessageProperties then). A trailing \x02 is accepted.
class PropertiesView {
 public:
  static constexpr size_t kMaxEntries = 32;
  using Entry = std::pair<std::string_view, std::string_view>;

  bool Parse(std::string_view encoded);
  std::string_view Get(std::string_view key, std::string_view fallback = {}) const;
  const Entry* begin() const { return entries_; }
  const Entry* end() const { return entries_ + count_; }

 private:
  Entry entries_[kMaxEntries];
  size_t count_ = 0;
};

// Everything needed to encode one record, except what the store fills in
// (QUEUEOFFSET, PHYSICALOFFSET, STORETIMESTAMP, which are written as 0 here).
struct RecordInput {
  int32_t queue_id = 0;
  int32_t flag = 0;
  int32_t sys_flag = 0;  // BORNHOST_V6/STOREHOST_V6 bits are set from the hosts
  int64_t born_timestamp = 0;
  HostAddress born_host;
  HostAddress store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  std::string_view body;        // as stored (possibly compressed; never touched)
  std::string_view topic;       // <= 127 bytes
  std::string_view properties;  // encoded, <= 32767 bytes
};

struct EncodedRecordLayout {
  size_t size = 0;                   // TOTALSIZE
  size_t store_timestamp_field = 0;  // byte index of STORETIMESTAMP
};

// Appends the record to `out`. BODYCRC is computed here. InvalidArgument when the topic
// or properties exceed their length fields.
Result<EncodedRecordLayout> EncodeRecord(const RecordInput& in, std::string* out);

// crc32(body) & 0x7FFFFFFF, RocketMQ's BODYCRC.
int32_t BodyCrc(std::string_view body);

// A decoded record (MessageExt).
struct MessageExt {
  int32_t store_size = 0;
  int32_t body_crc = 0;
  int32_t queue_id = 0;
  int32_t flag = 0;
  int64_t queue_offset = 0;
  int64_t commit_log_offset = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  HostAddress born_host;
  int64_t store_timestamp = 0;
  HostAddress store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  std::string body;  // as stored; Inflate() when sys_flag has kCompressed
  std::string topic;
  MessageProperties properties;

  std::string_view Tags() const { return properties.Get(Prop::kTags); }
  std::string_view Keys() const { return properties.Get(Prop::kKeys); }
  std::string OffsetMsgId() const;
  // UNIQ_KEY when present, else the offsetMsgId (what Java's MessageExt.getMsgId returns).
  std::string MsgId() const;
};

// Decodes one record at the start of `bytes`; *consumed gets its TOTALSIZE.
// Corruption when the magic, sizes or lengths are inconsistent; with verify_crc, also
// when BODYCRC does not match the body.
Result<MessageExt> DecodeRecord(std::string_view bytes, size_t* consumed,
                                bool verify_crc = false);
// Decodes a pull/query body: records back to back until the end.
Result<std::vector<MessageExt>> DecodeRecords(std::string_view bytes);

// offsetMsgId: uppercase hex of storeHost ip | int32 port | int64 commit-log offset (§6.1).
std::string EncodeOffsetMsgId(const HostAddress& store_host, LogPosition position);
Result<std::pair<HostAddress, LogPosition>> DecodeOffsetMsgId(std::string_view id);

// A client-side unique id (UNIQ_KEY) in the Java layout (§6.2): 32 uppercase hex chars.
std::string NewUniqueMessageId();

// Java String.hashCode over the UTF-16 code units of a UTF-8 string (§7.1).
int32_t JavaStringHash(std::string_view utf8);
// Consume-queue tags code for a TAGS value: 0 when empty.
inline int64_t TagsCode(std::string_view tags) { return tags.empty() ? 0 : JavaStringHash(tags); }

// zlib inflate/deflate of message bodies (§5.4).
Result<std::string> Inflate(std::string_view compressed);
std::string Deflate(std::string_view raw, int level = 5);

}  // namespace sprocket::protocol
