// Admin and query requests (PROTOCOL.md §3.3, §3.7, §3.9; RocketMQ's AdminBrokerProcessor
// and QueryMessageProcessor):
//   17 UPDATE_AND_CREATE_TOPIC  215 DELETE_TOPIC_IN_BROKER  21 GET_ALL_TOPIC_CONFIG
//   30 GET_MAX_OFFSET  31 GET_MIN_OFFSET  29 SEARCH_OFFSET_BY_TIMESTAMP
//   32 GET_EARLIEST_MSG_STORETIME  33 VIEW_MESSAGE_BY_ID
#include "broker/broker_context.h"
#include "common/logging.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::broker {
namespace {

namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;

void HandleCreateTopic(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req) {
  auto topic = RequireField(ex, req, "topic");
  if (!topic) return;
  auto read = RequireInt(ex, req, "readQueueNums");
  if (!read) return;
  auto write = RequireInt(ex, req, "writeQueueNums");
  if (!write) return;
  auto perm = RequireInt(ex, req, "perm");
  if (!perm) return;
  std::string name(*topic);
  if (std::string why = ValidateTopicName(name); !why.empty()) {
    ex.ReplyCode(RS::kSystemError, why);
    return;
  }
  if (name == ctx.config.broker_cluster_name) {
    ex.ReplyCode(RS::kSystemError, "the topic[" + name + "] is conflict with system reserved words.");
    return;
  }
  if (*read <= 0 || *write <= 0 || *read > 1024 || *write > 1024) {
    ex.ReplyCode(RS::kSystemError, "readQueueNums and writeQueueNums must be 1..1024");
    return;
  }
  TopicConfig tc;
  tc.topic_name = name;
  tc.read_queue_nums = static_cast<int32_t>(*read);
  tc.write_queue_nums = static_cast<int32_t>(*write);
  tc.perm = static_cast<int32_t>(*perm);
  tc.topic_filter_type = std::string(req.ext.Get("topicFilterType", "SINGLE_TAG"));
  tc.topic_sys_flag = static_cast<int32_t>(req.ext.GetInt("topicSysFlag").value_or(0));
  tc.order = req.ext.GetBool("order").value_or(false);
  if (Status s = ctx.topics.Upsert(tc); !s.ok()) {
    ex.ReplyCode(RS::kSystemError, s.ToString());
    return;
  }
  GetLogger("admin")->info("topic {} created/updated by {}: r={} w={} perm={}", name, ex.session()->Peer(),
                           tc.read_queue_nums, tc.write_queue_nums, tc.perm);
  ex.ReplyCode(RS::kSuccess);
}

void HandleDeleteTopic(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req) {
  auto topic = RequireField(ex, req, "topic");
  if (!topic) return;
  std::string name(*topic);
  Status s = ctx.topics.Delete(name);
  if (!s.ok() && !s.IsNotFound()) {
    ex.ReplyCode(RS::kSystemError, s.ToString());
    return;
  }
  ctx.offsets.RemoveTopic(name);
  ex.ReplyCode(RS::kSuccess);
}

void ReplyOffset(const Exchange& ex, const char* field, int64_t value) {
  RemotingCommand resp;
  resp.code = RS::kSuccess;
  resp.ext.Set(field, value);
  ex.Reply(std::move(resp));
}

int64_t StoreTimestampOf(const ByteView& rec) {
  // STORETIMESTAMP follows BORNHOST, whose size depends on the V6 flag in SYSFLAG.
  int32_t sys_flag = RecordInt32(rec, 36);
  size_t born_host = (sys_flag & protocol::MessageSysFlag::kBornHostV6) ? 20 : 8;
  size_t at = 48 + born_host;
  return rec.size >= at + 8 ? RecordInt64(rec, at) : -1;
}

}  // namespace

void RegisterAdminHandlers(BrokerContext& ctx) {
  RemotingServer& server = ctx.runtime.server();
  server.Register(RC::kUpdateAndCreateTopic, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    HandleCreateTopic(ctx, ex, req);
  });
  server.Register(RC::kDeleteTopicInBroker, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    HandleDeleteTopic(ctx, ex, req);
  });
  server.Register(RC::kGetAllTopicConfig, [&ctx](const Exchange& ex, RemotingCommand&, std::string_view) {
    auto [table, version] = ctx.topics.Snapshot();
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    ex.Reply(std::move(resp), protocol::EncodeTopicConfigWrapper(table, version));
  });
  server.Register(RC::kGetMaxOffset, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    if (auto q = RequireQueue(ex, req)) {
      ReplyOffset(ex, "offset", ctx.store.QueueRange(q->topic, q->queue_id).max_offset.value);
    }
  });
  server.Register(RC::kGetMinOffset, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    if (auto q = RequireQueue(ex, req)) {
      ReplyOffset(ex, "offset", ctx.store.QueueRange(q->topic, q->queue_id).min_offset.value);
    }
  });
  server.Register(RC::kSearchOffsetByTimestamp, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    auto q = RequireQueue(ex, req);
    if (!q) return;
    auto ts = RequireInt(ex, req, "timestamp");
    if (!ts) return;
    ReplyOffset(ex, "offset", ctx.store.OffsetForTime(q->topic, q->queue_id, *ts).value);
  });
  server.Register(RC::kGetEarliestMsgStoretime, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    auto q = RequireQueue(ex, req);
    if (!q) return;
    auto range = ctx.store.QueueRange(q->topic, q->queue_id);
    ReadLimits one;
    one.max_count = 1;
    auto r = ctx.store.ReadQueue(q->topic, q->queue_id, range.min_offset, one, TagFilter{});
    // RocketMQ answers -1 when the queue is empty.
    int64_t ts = r.outcome == ReadOutcome::kFound && !r.records.empty() ? StoreTimestampOf(r.records[0]) : -1;
    ReplyOffset(ex, "timestamp", ts);
  });
  server.Register(RC::kViewMessageById, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    auto offset = RequireInt(ex, req, "offset");
    if (!offset) return;
    auto rec = ctx.store.ReadAt(LogPosition(*offset));
    if (!rec.ok()) {
      ex.ReplyCode(RS::kSystemError, "can not find message by the offset, " + std::to_string(*offset));
      return;
    }
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    ex.Reply(std::move(resp), std::string_view(rec->record.data, rec->record.size));
  });
}

}  // namespace sprocket::broker
