// Client management and consumer offsets (PROTOCOL.md §3.3, §3.4; RocketMQ's
// ClientManageProcessor and ConsumerManageProcessor):
//   34 HEART_BEAT  35 UNREGISTER_CLIENT  38 GET_CONSUMER_LIST_BY_GROUP
//   14 QUERY_CONSUMER_OFFSET  15 UPDATE_CONSUMER_OFFSET
#include "broker/broker_context.h"
#include "common/logging.h"
#include "common/net_util.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::broker {
namespace {

namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;
namespace Perm = protocol::Perm;

void HandleHeartbeat(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req, std::string_view body) {
  auto hb = protocol::DecodeHeartbeatData(body);
  if (!hb.ok()) {
    ex.ReplyCode(RS::kSystemError, "bad heartbeat body: " + hb.status().message());
    return;
  }
  ClientChannel channel;
  channel.session = ex.session();
  channel.client_id = hb->client_id;
  channel.language = req.language;
  channel.version = req.version;
  channel.last_update_ms = NowMillis();
  for (const auto& consumer : hb->consumer_data_set) {
    auto group = ctx.groups.FindOrCreate(consumer.group_name);
    bool notify = true;
    if (group) {
      notify = group->notify_consumer_ids_changed_enable;
      ctx.topics.CreateIfAbsent(std::string(kRetryGroupTopicPrefix) + consumer.group_name,
                                group->retry_queue_nums, Perm::kRead | Perm::kWrite);
    }
    bool changed = ctx.consumers.RegisterConsumer(consumer, channel);
    if (changed) {
      GetLogger("client")->info("consumer group {} changed: {} joined or resubscribed from {}",
                                consumer.group_name, hb->client_id, ex.session()->Peer());
      if (notify) ctx.NotifyConsumerIdsChanged(consumer.group_name);
    }
  }
  for (const auto& group : hb->producer_groups) ctx.consumers.RegisterProducer(group, channel);
  ex.ReplyCode(RS::kSuccess);
}

void HandleUnregister(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req) {
  auto client_id = RequireField(ex, req, "clientID");
  if (!client_id) return;
  auto changed = ctx.consumers.UnregisterClient(std::string(*client_id), std::string(req.ext.Get("producerGroup")),
                                                std::string(req.ext.Get("consumerGroup")));
  for (const auto& group : changed) {
    GetLogger("client")->info("consumer {} left group {}", *client_id, group);
    ctx.NotifyConsumerIdsChanged(group);
  }
  ex.ReplyCode(RS::kSuccess);
}

void HandleConsumerList(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req) {
  auto group = RequireField(ex, req, "consumerGroup");
  if (!group) return;
  auto ids = ctx.consumers.ClientIds(std::string(*group));
  if (ids.empty()) {
    ex.ReplyCode(RS::kSystemError, "no consumer for this group, " + std::string(*group));
    return;
  }
  RemotingCommand resp;
  resp.code = RS::kSuccess;
  ex.Reply(std::move(resp), protocol::EncodeConsumerIdList(ids));
}

// RocketMQ's answer for a group with no committed offset: 0 when the queue still starts
// at 0 and its first message is "in memory" (within accessMessageInMemoryMaxRatio of RAM
// from the log end), else QUERY_NOT_FOUND. Consequence, kept on purpose: a brand-new
// group on a young topic consumes from the beginning even with CONSUME_FROM_LAST_OFFSET,
// which is what the RocketMQ quick start relies on.
bool FirstMessageInMemory(BrokerContext& ctx, const std::string& topic, int32_t queue_id) {
  ReadLimits one;
  one.max_count = 1;
  ReadQueueResult r = ctx.store.ReadQueue(topic, queue_id, QueueOffset(0), one, TagFilter{});
  if (r.outcome != ReadOutcome::kFound || r.records.empty()) {
    // Empty queue: nothing is on disk either, so offset 0 is right.
    return r.outcome == ReadOutcome::kNoMessageInQueue || r.outcome == ReadOutcome::kNoMatchedLogicQueue ||
           r.outcome == ReadOutcome::kOffsetOverflowOne;
  }
  int64_t pos = RecordInt64(r.records[0], kLogPositionField);
  int64_t behind = ctx.store.Stats().log_end.value - pos;
  return behind <= ctx.total_physical_memory / 100 * ctx.config.access_message_in_memory_max_ratio;
}

void HandleQueryOffset(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req) {
  auto group = RequireField(ex, req, "consumerGroup");
  if (!group) return;
  auto q = RequireQueue(ex, req);
  if (!q) return;
  const std::string& t = q->topic;
  auto stored = ctx.offsets.Query(std::string(*group), t, q->queue_id);
  RemotingCommand resp;
  if (stored && *stored >= 0) {
    resp.code = RS::kSuccess;
    resp.ext.Set("offset", *stored);
  } else {
    int64_t min = ctx.store.QueueRange(t, q->queue_id).min_offset.value;
    if (min <= 0 && FirstMessageInMemory(ctx, t, q->queue_id)) {
      resp.code = RS::kSuccess;
      resp.ext.Set("offset", int64_t{0});
    } else {
      resp.code = RS::kQueryNotFound;
      resp.remark = "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first";
    }
  }
  ex.Reply(std::move(resp));
}

void HandleUpdateOffset(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req) {
  auto group = RequireField(ex, req, "consumerGroup");
  if (!group) return;
  auto q = RequireQueue(ex, req);
  if (!q) return;
  auto offset = RequireInt(ex, req, "commitOffset");
  if (!offset) return;
  // -1 arrives routinely from ali-ons (PROTOCOL/compat notes); RocketMQ stores it as is.
  ctx.offsets.Commit(std::string(*group), q->topic, q->queue_id, *offset);
  ex.ReplyCode(RS::kSuccess);
}

}  // namespace

void RegisterClientHandlers(BrokerContext& ctx) {
  RemotingServer& server = ctx.runtime.server();
  server.Register(RC::kHeartBeat, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view body) {
    HandleHeartbeat(ctx, ex, req, body);
  });
  server.Register(RC::kUnregisterClient, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    HandleUnregister(ctx, ex, req);
  });
  server.Register(RC::kGetConsumerListByGroup, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    HandleConsumerList(ctx, ex, req);
  });
  server.Register(RC::kQueryConsumerOffset, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    HandleQueryOffset(ctx, ex, req);
  });
  server.Register(RC::kUpdateConsumerOffset, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    HandleUpdateOffset(ctx, ex, req);
  });
}

}  // namespace sprocket::broker
