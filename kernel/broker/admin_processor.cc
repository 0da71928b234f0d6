// Admin and query requests (PROTOCOL.md §3.3, §3.7, §3.9; RocketMQ's AdminBrokerProcessor
// and QueryMessageProcessor; QUERY_MESSAGE 12 is in query_processor.cc):
//   17 UPDATE_AND_CREATE_TOPIC  215 DELETE_TOPIC_IN_BROKER  21 GET_ALL_TOPIC_CONFIG
//   30 GET_MAX_OFFSET  31 GET_MIN_OFFSET  29 SEARCH_OFFSET_BY_TIMESTAMP
//   32 GET_EARLIEST_MSG_STORETIME  33 VIEW_MESSAGE_BY_ID
// and what mqadmin reads (bodies in sprocket/protocol/bodies_admin.h):
//   28 GET_BROKER_RUNTIME_INFO  202 GET_TOPIC_STATS_INFO  203 GET_CONSUMER_CONNECTION_LIST
//   208 GET_CONSUME_STATS  300 QUERY_TOPIC_CONSUME_BY_WHO
#include <sys/statvfs.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "broker/broker_context.h"
#include "common/logging.h"
#include "sprocket/protocol/bodies_admin.h"
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

// Store time of the message at `offset` of a queue; 0 when there is none (RocketMQ's
// getMessageStoreTimeStamp answers -1 there, and its callers print nothing for it).
int64_t StoreTimeAt(BrokerContext& ctx, const std::string& topic, int32_t queue_id, int64_t offset) {
  if (offset < 0) return 0;
  ReadLimits one;
  one.max_count = 1;
  auto r = ctx.store.ReadQueue(topic, queue_id, QueueOffset(offset), one, TagFilter{});
  if (!r.status.ok() || r.outcome != ReadOutcome::kFound || r.records.empty()) return 0;
  return std::max<int64_t>(StoreTimestampOf(r.records[0]), 0);
}

// TopicStatsTable over the topic's write queues (AdminBrokerProcessor.getTopicStatsInfo).
void HandleTopicStats(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req) {
  auto topic_v = RequireField(ex, req, "topic");
  if (!topic_v) return;
  std::string topic(*topic_v);
  auto tc = ctx.topics.Find(topic);
  if (!tc) {
    ex.ReplyCode(RS::kTopicNotExist, "topic[" + topic + "] not exist");
    return;
  }
  protocol::TopicStatsTable table;
  for (int32_t q = 0; q < tc->write_queue_nums; ++q) {
    auto range = ctx.store.QueueRange(topic, q);
    protocol::TopicOffset off;
    off.min_offset = std::max<int64_t>(range.min_offset.value, 0);
    off.max_offset = std::max<int64_t>(range.max_offset.value, 0);
    if (off.max_offset > 0) off.last_update_timestamp = StoreTimeAt(ctx, topic, q, off.max_offset - 1);
    table.offset_table[{topic, ctx.config.broker_name, q}] = off;
  }
  RemotingCommand resp;
  resp.code = RS::kSuccess;
  ex.Reply(std::move(resp), protocol::EncodeTopicStatsTable(table));
}

// ConsumerConnection of an online group; CONSUMER_NOT_ONLINE (206) otherwise.
void HandleConsumerConnections(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req) {
  auto group_v = RequireField(ex, req, "consumerGroup");
  if (!group_v) return;
  std::string group(*group_v);
  auto info = ctx.consumers.FindGroup(group);
  if (!info || info->channels.empty()) {
    ex.ReplyCode(RS::kConsumerNotOnline, "the consumer group[" + group + "] not online");
    return;
  }
  protocol::ConsumerConnection cc;
  cc.consume_type = info->consume_type;
  cc.message_model = info->message_model;
  cc.consume_from_where = info->consume_from_where;
  cc.subscription_table = info->subscriptions;
  for (const auto& ch : info->channels) {
    protocol::Connection c;
    c.client_id = ch.client_id;
    c.client_addr = ch.session ? ch.session->Peer() : std::string();
    c.language = protocol::LanguageName(ch.language);
    c.version = ch.version;
    cc.connection_set.push_back(std::move(c));
  }
  RemotingCommand resp;
  resp.code = RS::kSuccess;
  ex.Reply(std::move(resp), protocol::EncodeConsumerConnection(cc));
}

// Topics the group has committed offsets for (ConsumerOffsetManager.whichTopicByConsumer).
std::set<std::string> TopicsWithOffsets(BrokerContext& ctx, const std::string& group) {
  std::set<std::string> out;
  for (const auto& [topic, tc] : ctx.topics.Snapshot().first) {
    if (!ctx.offsets.QueryAll(group, topic).empty()) out.insert(topic);
  }
  return out;
}

// ConsumeStats (AdminBrokerProcessor.getConsumeStats): per read queue of each topic the
// group consumes, the queue's max offset, the group's committed offset and the store time
// of the last consumed message; plus the group's pull rate. The member that last pulled a
// queue, if still connected, is reported as its client (Sprocket's "clientAddr").
void HandleConsumeStats(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req) {
  auto group_v = RequireField(ex, req, "consumerGroup");
  if (!group_v) return;
  std::string group(*group_v);
  std::string only_topic(req.ext.Get("topic"));
  std::set<std::string> topics;
  if (only_topic.find_first_not_of(" \t") == std::string::npos) {
    topics = TopicsWithOffsets(ctx, group);
  } else {
    topics.insert(only_topic);
  }
  auto info = ctx.consumers.FindGroup(group);
  std::map<uint64_t, std::string> members;  // session id -> address
  if (info) {
    for (const auto& ch : info->channels) {
      if (ch.session) members[ch.session->Id()] = ch.session->Peer();
    }
  }
  protocol::ConsumeStats stats;
  for (const auto& topic : topics) {
    auto tc = ctx.topics.Find(topic);
    if (!tc) continue;
    // A group online with subscriptions reports only the topics it subscribes.
    if (info && !info->subscriptions.empty() && !info->subscriptions.contains(topic)) continue;
    for (int32_t q = 0; q < tc->read_queue_nums; ++q) {
      protocol::OffsetWrapper w;
      w.broker_offset = std::max<int64_t>(ctx.store.QueueRange(topic, q).max_offset.value, 0);
      w.consumer_offset = std::max<int64_t>(ctx.offsets.Query(group, topic, q).value_or(0), 0);
      if (w.consumer_offset > 0) w.last_timestamp = StoreTimeAt(ctx, topic, q, w.consumer_offset - 1);
      if (auto puller = ctx.stats.LastPuller(group, topic, q)) {
        if (auto m = members.find(*puller); m != members.end()) w.client_addr = m->second;
      }
      stats.offset_table[{topic, ctx.config.broker_name, q}] = std::move(w);
    }
    stats.consume_tps += ctx.stats.GroupGetTps(group, topic);
  }
  RemotingCommand resp;
  resp.code = RS::kSuccess;
  ex.Reply(std::move(resp), protocol::EncodeConsumeStats(stats));
}

// GroupList of the groups consuming `topic`: online subscribers plus groups with committed
// offsets (QUERY_TOPIC_CONSUME_BY_WHO). Groups are known from the live consumers and from
// the %RETRY%<group> topics every group gets on its first heartbeat.
void HandleTopicConsumeByWho(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req) {
  auto topic_v = RequireField(ex, req, "topic");
  if (!topic_v) return;
  std::string topic(*topic_v);
  std::set<std::string> candidates = ctx.consumers.Groups();
  for (const auto& [name, tc] : ctx.topics.Snapshot().first) {
    if (name.rfind(kRetryGroupTopicPrefix, 0) == 0) {
      candidates.insert(name.substr(kRetryGroupTopicPrefix.size()));
    }
  }
  std::set<std::string> groups;
  for (const auto& g : candidates) {
    if (ctx.consumers.FindSubscription(g, topic) || !ctx.offsets.QueryAll(g, topic).empty()) groups.insert(g);
  }
  RemotingCommand resp;
  resp.code = RS::kSuccess;
  ex.Reply(std::move(resp), protocol::EncodeGroupList(groups));
}

// MixAll.humanReadableByteCount(bytes, si=false): "512 B", "1.5 KiB", "49.0 GiB".
std::string HumanBytes(int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  int exp = static_cast<int>(std::log(static_cast<double>(bytes)) / std::log(1024.0));
  exp = std::clamp(exp, 1, 6);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f %ciB", static_cast<double>(bytes) / std::pow(1024.0, exp),
                "KMGTPE"[exp - 1]);
  return buf;
}

// The KVTable of GET_BROKER_RUNTIME_INFO, with RocketMQ's key names (including its
// spelling "getTransferedTps"). Keys RocketMQ derives from machinery Sprocket does not have
// say what holds here: no request thread-pool queues (handlers run on the I/O threads), so
// their sizes and head waits are 0; the store reports no page-cache lock time, so
// pageCacheLockTimeMills is 0.
std::map<std::string, std::string> RuntimeInfo(BrokerContext& ctx) {
  std::map<std::string, std::string> kv;
  BrokerStats& st = ctx.stats;
  kv["brokerVersionDesc"] = protocol::MQVersionName(protocol::kSprocketVersion);
  kv["brokerVersion"] = std::to_string(protocol::kSprocketVersion);
  kv["bootTimestamp"] = std::to_string(st.boot_time_ms());
  kv["putTps"] = st.PutTps();
  kv["getTransferedTps"] = st.GetTransferredTps();
  kv["getFoundTps"] = st.GetFoundTps();
  kv["getMissTps"] = st.GetMissTps();
  kv["getTotalTps"] = st.GetTotalTps();
  BrokerStats::Daily d = st.DailyTotals();
  kv["msgPutTotalYesterdayMorning"] = std::to_string(d.put_yesterday_morning);
  kv["msgPutTotalTodayMorning"] = std::to_string(d.put_today_morning);
  kv["msgPutTotalTodayNow"] = std::to_string(d.put_now);
  kv["msgGetTotalYesterdayMorning"] = std::to_string(d.get_yesterday_morning);
  kv["msgGetTotalTodayMorning"] = std::to_string(d.get_today_morning);
  kv["msgGetTotalTodayNow"] = std::to_string(d.get_now);
  for (const char* pool : {"send", "pull", "query"}) {
    kv[std::string(pool) + "ThreadPoolQueueSize"] = "0";
    kv[std::string(pool) + "ThreadPoolQueueHeadWaitTimeMills"] = "0";
  }
  kv["pageCacheLockTimeMills"] = "0";
  kv["dispatchBehindBytes"] = "0";  // the store indexes a record as it appends it

  StoreStats ss = ctx.store.Stats();
  kv["commitLogMinOffset"] = std::to_string(ss.log_min.value);
  kv["commitLogMaxOffset"] = std::to_string(ss.log_end.value);
  kv["remainHowManyDataToFlush"] = HumanBytes(std::max<int64_t>(ss.log_end.value - ss.durable_end.value, 0));
  // RocketMQ answers -1 when the log holds no message.
  int64_t earliest = -1;
  if (ss.log_end.value > ss.log_min.value) {
    if (auto rec = ctx.store.ReadAt(ss.log_min); rec.ok()) earliest = StoreTimestampOf(rec->record);
  }
  kv["earliestMessageTimeStamp"] = std::to_string(earliest);

  struct statvfs fs {};
  if (::statvfs(ctx.config.store_path_root_dir.c_str(), &fs) == 0 && fs.f_blocks > 0) {
    int64_t total = static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize);
    int64_t free_bytes = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
    kv["commitLogDirCapacity"] = "Total : " + HumanBytes(total) + ", Free : " + HumanBytes(free_bytes) + ".";
    // UtilAll.getDiskPartitionSpaceUsedPercent: used / total, as a fraction.
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.4f",
                  static_cast<double>(total - free_bytes) / static_cast<double>(total));
    kv["commitLogDiskRatio"] = ratio;
  }
  return kv;
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
  server.Register(RC::kGetTopicStatsInfo, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    HandleTopicStats(ctx, ex, req);
  });
  server.Register(RC::kGetConsumerConnectionList, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    HandleConsumerConnections(ctx, ex, req);
  });
  server.Register(RC::kGetConsumeStats, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    HandleConsumeStats(ctx, ex, req);
  });
  server.Register(RC::kQueryTopicConsumeByWho, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    HandleTopicConsumeByWho(ctx, ex, req);
  });
  server.Register(RC::kGetBrokerRuntimeInfo, [&ctx](const Exchange& ex, RemotingCommand&, std::string_view) {
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    ex.Reply(std::move(resp), protocol::EncodeKvTable(RuntimeInfo(ctx)));
  });
  server.Register(RC::kViewMessageById, [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view) {
    auto offset = RequireInt(ex, req, "offset");
    if (!offset) return;
    auto rec = ctx.store.ReadAt(LogPosition(*offset));
    if (!rec.ok()) {
      // Ids come from users: NotFound is ordinary, anything else is worth a line.
      if (!rec.status().IsNotFound()) {
        GetLogger("admin")->warn("view message at {}: {}", *offset, rec.status().ToString());
      }
      ex.ReplyCode(RS::kSystemError, "can not find message by the offset, " + std::to_string(*offset));
      return;
    }
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    // Sent from where the store holds it (QueryMessageProcessor's OneMessageTransfer).
    ByteView record = rec->record;
    ex.ReplyParts(std::move(resp), std::span<const ByteView>(&record, 1), std::move(rec->hold));
  });
}

}  // namespace sprocket::broker
