// QUERY_MESSAGE (12): records of a topic by key (PROTOCOL.md §3.7; RocketMQ's
// QueryMessageProcessor.queryMessage over DefaultMessageStore.queryMessage).
//
// The store's key index (MessageStore::LookupKey) may return records whose key only shares
// a hash with the one asked for, or whose store time is up to a second outside the range;
// RocketMQ 4.9 sends those to the client and lets it filter. Here the broker reads each
// record and keeps only those of the topic whose UNIQ_KEY or one of whose KEYS equals the
// key and whose store time is in the range, so every client gets exact answers.
#include <algorithm>
#include <chrono>

#include "broker/broker_context.h"
#include "common/logging.h"
#include "sprocket/protocol/bodies_admin.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"

namespace sprocket::broker {
namespace {

namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;

// When hash collisions use up a lookup, ask again for this many times more, this often.
constexpr int32_t kLookupGrowth = 4;
constexpr int kLookupRounds = 3;
// The response must stay decodable by clients with RocketMQ's default frame limit.
constexpr size_t kMaxBodyBytes = protocol::kDefaultMaxFrameBytes - 64 * 1024;

// The fields of a stored record the match needs, as views into it (PROTOCOL.md §5.1).
struct RecordKeys {
  std::string_view topic;
  std::string_view properties;
  int64_t store_timestamp = 0;
};

std::optional<RecordKeys> ParseRecordKeys(const ByteView& rec) {
  auto u8 = [&](size_t at) { return static_cast<uint8_t>(rec.data[at]); };
  if (rec.size < 72) return std::nullopt;
  const int32_t sys_flag = RecordInt32(rec, 36);
  const size_t born = (sys_flag & protocol::MessageSysFlag::kBornHostV6) ? 20 : 8;
  const size_t store = (sys_flag & protocol::MessageSysFlag::kStoreHostV6) ? 20 : 8;
  RecordKeys k;
  size_t at = 48 + born;
  if (rec.size < at + 8) return std::nullopt;
  k.store_timestamp = RecordInt64(rec, at);
  at += 8 + store + 4 + 8;  // STOREHOST, RECONSUMETIMES, PREPARED TRANSACTION OFFSET
  if (rec.size < at + 4) return std::nullopt;
  const int32_t body_len = RecordInt32(rec, at);
  if (body_len < 0 || rec.size < at + 4 + static_cast<size_t>(body_len) + 1) return std::nullopt;
  at += 4 + static_cast<size_t>(body_len);
  const size_t topic_len = u8(at);
  if (topic_len > 127 || rec.size < at + 1 + topic_len + 2) return std::nullopt;
  k.topic = std::string_view(rec.data + at + 1, topic_len);
  at += 1 + topic_len;
  const size_t prop_len = (size_t{u8(at)} << 8) | u8(at + 1);
  if (prop_len > 32767 || rec.size < at + 2 + prop_len) return std::nullopt;
  k.properties = std::string_view(rec.data + at + 2, prop_len);
  return k;
}

// UNIQ_KEY equal to `key`, or `key` among the space-separated KEYS.
bool HasKey(std::string_view properties, std::string_view key) {
  if (key.empty()) return false;
  protocol::MessageProperties props = protocol::MessageProperties::Decode(properties);
  if (props.Get(protocol::Prop::kUniqKey) == key) return true;
  std::string_view keys = props.Get(protocol::Prop::kKeys);
  size_t at = 0;
  while (at <= keys.size()) {
    size_t end = keys.find(' ', at);
    if (end == std::string_view::npos) end = keys.size();
    if (keys.substr(at, end - at) == key) return true;
    at = end + 1;
  }
  return false;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void HandleQueryMessage(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req) {
  auto header = protocol::DecodeQueryMessageRequestHeader(req.ext);
  if (!header.ok()) {
    ex.ReplyCode(RS::kSystemError, header.status().message());
    return;
  }
  const protocol::QueryMessageRequestHeader& q = *header;
  // MessageStoreConfig: defaultQueryMaxNum answers a query by UNIQ_KEY whatever maxNum says;
  // maxMsgsNumBatch caps every query (IndexService).
  int32_t max_num = q.unique_key ? ctx.config.default_query_max_num : q.max_num;
  max_num = std::min(max_num, ctx.config.max_msgs_num_batch);

  struct Found {
    LogPosition position;
    RecordRead read;
  };
  std::vector<Found> found;
  std::vector<LogPosition> seen;
  int32_t ask = max_num;
  for (int round = 0; round < kLookupRounds && max_num > 0; ++round) {
    auto positions = ctx.store.LookupKey(q.topic, q.key, q.begin_timestamp, q.end_timestamp, ask);
    if (!positions.ok()) {
      const Status& s = positions.status();
      if (s.IsNotSupported()) {
        ex.ReplyCode(RS::kSystemError,
                     "QUERY_MESSAGE is not supported by this broker's storage plugin (" + s.message() + ")");
      } else {
        GetLogger("query")->warn("query {}#{} failed: {}", q.topic, q.key, s.ToString());
        ex.ReplyCode(RS::kSystemError, "query message failed: " + s.ToString());
      }
      return;
    }
    for (LogPosition pos : *positions) {
      if (static_cast<int32_t>(found.size()) >= max_num) break;
      if (std::find(seen.begin(), seen.end(), pos) != seen.end()) continue;
      seen.push_back(pos);
      auto rec = ctx.store.ReadAt(pos);
      if (!rec.ok()) continue;  // deleted by retention meanwhile, or not a record
      auto keys = ParseRecordKeys(rec->record);
      if (!keys || keys->topic != q.topic || keys->store_timestamp < q.begin_timestamp ||
          keys->store_timestamp > q.end_timestamp || !HasKey(keys->properties, q.key)) {
        continue;
      }
      found.push_back({pos, std::move(*rec)});
    }
    // Only a lookup that came back full can have left matches behind the rejected ones.
    if (static_cast<int32_t>(found.size()) >= max_num || static_cast<int32_t>(positions->size()) < ask) break;
    ask = static_cast<int32_t>(std::min<int64_t>(int64_t{ask} * kLookupGrowth, 4096));
  }

  // DefaultMessageStore.queryMessage sorts by position: oldest first.
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.position < b.position; });
  std::vector<ByteView> parts;
  auto holds = std::make_shared<std::vector<std::shared_ptr<const void>>>();
  size_t bytes = 0;
  for (auto& f : found) {
    if (!parts.empty() && bytes + f.read.record.size > kMaxBodyBytes) break;
    bytes += f.read.record.size;
    parts.push_back(f.read.record);
    holds->push_back(std::move(f.read.hold));
  }

  RemotingCommand resp;
  // The store indexes each record as it appends it, so the index is current up to the
  // log's end at this moment (RocketMQ reports its last index file's end instead).
  protocol::QueryMessageResponseHeader rh;
  rh.index_last_update_timestamp = NowMillis();
  rh.index_last_update_phyoffset = ctx.store.Stats().log_end.value;
  protocol::EncodeQueryMessageResponseHeader(rh, &resp.ext);
  if (parts.empty()) {
    resp.code = RS::kQueryNotFound;
    resp.remark = "can not find message, maybe time range not correct";
    ex.Reply(std::move(resp));
    return;
  }
  resp.code = RS::kSuccess;
  ex.ReplyParts(std::move(resp), parts, std::move(holds));
}

}  // namespace

void RegisterQueryHandlers(BrokerContext& ctx) {
  ctx.runtime.server().Register(RC::kQueryMessage,
                                [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
                                  HandleQueryMessage(ctx, ex, req);
                                });
}

}  // namespace sprocket::broker
