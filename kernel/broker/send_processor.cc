// SEND_MESSAGE (10) and SEND_MESSAGE_V2 (310): validate, build the stored record, append,
// answer once the store says so (PROTOCOL.md §3.1; RocketMQ's SendMessageProcessor).
#include <algorithm>
#include <random>

#include "broker/broker_context.h"
#include "common/logging.h"
#include "common/net_util.h"
#include "server/io_pool.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::broker {
namespace {

namespace RS = protocol::ResponseCode;
namespace Perm = protocol::Perm;
using protocol::Prop::kCluster;
using protocol::Prop::kKeys;
using protocol::Prop::kTags;
using protocol::Prop::kUniqKey;
using protocol::Prop::kWaitStoreMsgOk;

// SendMessageRequestHeader, read from either the V1 names or the V2 letters.
struct SendHeader {
  std::string_view producer_group, topic, default_topic, properties;
  int64_t default_topic_queue_nums = 4, queue_id = 0, sys_flag = 0, born_timestamp = 0, flag = 0;
  int64_t reconsume_times = 0;
};

// Maps V1 field name -> V2 letter.
struct FieldName {
  const char* v1;
  const char* v2;
};
constexpr FieldName kProducerGroup{"producerGroup", "a"}, kTopic{"topic", "b"},
    kDefaultTopic{"defaultTopic", "c"}, kDefaultQueueNums{"defaultTopicQueueNums", "d"},
    kQueueId{"queueId", "e"}, kSysFlag{"sysFlag", "f"}, kBornTimestamp{"bornTimestamp", "g"},
    kFlag{"flag", "h"}, kProperties{"properties", "i"}, kReconsumeTimes{"reconsumeTimes", "j"};
// Every field ParseSendHeader reads, in the order of their V2 letters a..j.
constexpr const FieldName* kFields[] = {&kProducerGroup, &kTopic, &kDefaultTopic, &kDefaultQueueNums,
                                        &kQueueId, &kSysFlag, &kBornTimestamp, &kFlag,
                                        &kProperties, &kReconsumeTimes};
constexpr bool LettersInOrder() {
  for (size_t i = 0; i < std::size(kFields); ++i) {
    if (kFields[i]->v2[0] != static_cast<char>('a' + i) || kFields[i]->v2[1] != '\0') return false;
  }
  return true;
}
static_assert(LettersInOrder(), "kFields must follow the V2 letters");

// Fills `h`; on a missing or malformed required field answers SYSTEM_ERROR and returns false.
bool ParseSendHeader(const Exchange& ex, const RemotingCommand& req, bool v2, SendHeader* h) {
  // One pass over the fields instead of a lookup per field (this runs for every message):
  // V2 names are the letters a..j, so a letter indexes the table directly.
  constexpr size_t kCount = std::size(kFields);
  const std::string* found[kCount] = {};
  for (const auto& [key, value] : req.ext) {
    size_t i = kCount;
    if (v2) {
      if (key.size() == 1 && key[0] >= 'a' && key[0] < static_cast<char>('a' + kCount)) {
        i = static_cast<size_t>(key[0] - 'a');
      }
    } else {
      for (i = 0; i < kCount && key != kFields[i]->v1; ++i) {
      }
    }
    if (i < kCount && found[i] == nullptr) found[i] = &value;  // the first wins, as Find
  }
  auto field = [&](const FieldName& f) {
    for (size_t i = 0; i < kCount; ++i)
      if (kFields[i] == &f) return found[i];
    return static_cast<const std::string*>(nullptr);
  };
  auto str = [&](const FieldName& f, std::string_view* out) {
    const std::string* v = field(f);
    if (!v) {
      ex.ReplyCode(RS::kSystemError, std::string("the custom field <") + f.v1 + "> is null");
      return false;
    }
    *out = *v;
    return true;
  };
  auto num = [&](const FieldName& f, int64_t* out, bool required) {
    const std::string* v = field(f);
    if (!v) {
      if (!required) return true;
      ex.ReplyCode(RS::kSystemError, std::string("the custom field <") + f.v1 + "> is null");
      return false;
    }
    auto parsed = protocol::ExtFields::ParseInt(*v);
    if (!parsed) {
      ex.ReplyCode(RS::kSystemError, std::string("the custom field <") + f.v1 + "> is not a number: " + *v);
      return false;
    }
    *out = *parsed;
    return true;
  };
  if (!str(kProducerGroup, &h->producer_group) || !str(kTopic, &h->topic) ||
      !str(kDefaultTopic, &h->default_topic) || !num(kDefaultQueueNums, &h->default_topic_queue_nums, true) ||
      !num(kQueueId, &h->queue_id, true) || !num(kSysFlag, &h->sys_flag, true) ||
      !num(kBornTimestamp, &h->born_timestamp, true) || !num(kFlag, &h->flag, true) ||
      !num(kReconsumeTimes, &h->reconsume_times, false)) {
    return false;
  }
  if (const std::string* p = field(kProperties)) h->properties = *p;
  return true;
}

int32_t StoreStatusToCode(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk: return RS::kSuccess;
    case Status::Code::kTimeout: return RS::kFlushDiskTimeout;
    case Status::Code::kMessageIllegal: return RS::kMessageIllegal;
    case Status::Code::kAborted: return RS::kServiceNotAvailable;
    default: return RS::kSystemError;
  }
}

// Answers one send once the store has completed its record.
void ReplySend(BrokerContext* c, const Exchange& ex, const std::string& topic, int32_t queue_id,
               const AppendResult& r) {
  int32_t code = StoreStatusToCode(r.status);
  RemotingCommand resp;
  resp.code = code;
  if (code == RS::kSuccess || code == RS::kFlushDiskTimeout) {
    // Appended (the keys are distinct) into a list sized once: this runs per message.
    resp.ext.Reserve(5);
    resp.ext.Append("msgId", protocol::EncodeOffsetMsgId(c->store_host, r.position));
    resp.ext.Append("queueId", std::to_string(queue_id));
    resp.ext.Append("queueOffset", std::to_string(r.queue_offset.value));
    resp.ext.Append("MSG_REGION", c->config.region_id);
    resp.ext.Append("TRACE_ON", c->config.trace_on ? "true" : "false");
    if (code != RS::kSuccess) resp.remark = r.status.message();
  } else {
    resp.remark = r.status.ToString();
  }
  ex.Reply(std::move(resp));
  if (r.status.ok() || r.status.IsTimeout()) {
    // Long polls are woken once per queue and batch, by the caller (FlushSendBatch).
    c->stats.OnMessagesStored(1);
  }
}

// Appends are gathered per I/O thread and handed to the store together once the thread
// has handled every frame of the read in hand (IoPool::DeferOnThisThread): one Append,
// one wake-up of the store's writer and one completion per batch instead of per message.
// Off the pool (no I/O thread to defer on) each append goes to the store at once.
struct PendingSend {
  Exchange ex;
  std::string topic;
  int32_t queue_id;
};
struct SendBatch {
  BrokerContext* ctx = nullptr;
  std::vector<AppendRequest> requests;
  std::vector<PendingSend> sends;
};
thread_local SendBatch t_send_batch;
// Bounds what one Append carries (and how long its first message waits for the others).
constexpr size_t kMaxSendBatch = 256;

void FlushSendBatch() {
  SendBatch& b = t_send_batch;
  if (b.requests.empty()) return;
  BrokerContext* c = b.ctx;
  auto sends = std::make_shared<std::vector<PendingSend>>(std::move(b.sends));
  std::vector<AppendRequest> requests = std::move(b.requests);
  b.requests.clear();
  b.sends.clear();
  c->store.Append(std::move(requests), [c, sends](std::span<const AppendResult> results) {
    // Wake long polls parked on the queues that grew: once per queue, with its new end.
    struct Grown {
      const std::string* topic;
      int32_t queue_id;
      int64_t end;
    };
    std::vector<Grown> grown;
    for (size_t i = 0; i < results.size() && i < sends->size(); ++i) {
      const PendingSend& p = (*sends)[i];
      const AppendResult& r = results[i];
      ReplySend(c, p.ex, p.topic, p.queue_id, r);
      if (!r.status.ok() && !r.status.IsTimeout()) continue;
      auto g = std::find_if(grown.begin(), grown.end(), [&](const Grown& x) {
        return x.queue_id == p.queue_id && *x.topic == p.topic;
      });
      if (g == grown.end()) {
        grown.push_back(Grown{&p.topic, p.queue_id, r.queue_offset.value + 1});
      } else {
        g->end = std::max(g->end, r.queue_offset.value + 1);
      }
    }
    for (const Grown& g : grown) c->holds->Notify(*g.topic, g.queue_id, g.end);
  });
}

void QueueAppend(BrokerContext& ctx, AppendRequest ar, const Exchange& ex, std::string topic,
                 int32_t queue_id) {
  SendBatch& b = t_send_batch;
  if (!b.requests.empty() && b.ctx != &ctx) FlushSendBatch();  // several brokers in one process
  b.ctx = &ctx;
  if (b.requests.empty()) {
    b.requests.reserve(32);
    b.sends.reserve(32);
  }
  b.requests.push_back(std::move(ar));
  b.sends.push_back(PendingSend{ex, std::move(topic), queue_id});
  if (b.requests.size() == 1) {
    if (!IoPool::DeferOnThisThread(&FlushSendBatch)) FlushSendBatch();
  } else if (b.requests.size() >= kMaxSendBatch) {
    FlushSendBatch();  // the deferred flush then finds nothing, or the next batch
  }
}

void HandleSend(BrokerContext& ctx, const Exchange& ex, RemotingCommand& req, std::string_view body, bool v2) {
  SendHeader h;
  if (!ParseSendHeader(ex, req, v2, &h)) return;
  if (auto batch = req.ext.GetBool(v2 ? "m" : "batch"); batch && *batch) {
    ex.ReplyCode(RS::kRequestCodeNotSupported, "not implemented: batch send (SEND_BATCH_MESSAGE)");
    return;
  }
  if ((ctx.config.broker_permission & Perm::kWrite) == 0) {
    ex.ReplyCode(RS::kNoPermission, "the broker[" + ctx.config.broker_ip1 + "] sending message is forbidden");
    return;
  }
  std::string topic(h.topic);
  if (std::string why = ValidateTopicName(topic); !why.empty()) {
    ex.ReplyCode(RS::kSystemError, why);
    return;
  }
  if (IsNotAllowedSendTopic(topic)) {
    ex.ReplyCode(RS::kNoPermission, "Sending message to topic[" + topic + "] is forbidden.");
    return;
  }
  auto tc = ctx.topics.Find(topic);
  if (!tc) {
    int32_t sys_flag = 0;
    if (topic.rfind(kRetryGroupTopicPrefix, 0) == 0) {
      tc = ctx.topics.CreateIfAbsent(topic, 1, Perm::kRead | Perm::kWrite);
    } else {
      tc = ctx.topics.CreateInSendMessage(topic, h.default_topic,
                                          static_cast<int32_t>(h.default_topic_queue_nums), sys_flag);
    }
    if (!tc) {
      ex.ReplyCode(RS::kTopicNotExist, "topic[" + topic + "] not exist, apply first please!");
      return;
    }
  }
  if ((tc->perm & Perm::kWrite) == 0) {
    ex.ReplyCode(RS::kNoPermission, "the topic[" + topic + "] sending message is forbidden");
    return;
  }
  int32_t queue_id = static_cast<int32_t>(h.queue_id);
  int32_t queue_limit = std::max(tc->write_queue_nums, tc->read_queue_nums);
  if (h.queue_id >= queue_limit) {
    ex.ReplyCode(RS::kSystemError, "request queueId[" + std::to_string(h.queue_id) +
                                       "] is illegal, topic:[" + topic + "] topicConfig.writeQueueNums:[" +
                                       std::to_string(tc->write_queue_nums) + "]");
    return;
  }
  if (queue_id < 0) {
    static thread_local std::minstd_rand rng(std::random_device{}());
    queue_id = static_cast<int32_t>(rng() % static_cast<uint32_t>(std::max(tc->write_queue_nums, 1)));
  }
  if (body.size() > static_cast<size_t>(ctx.config.max_message_size)) {
    ex.ReplyCode(RS::kMessageIllegal, "the message body size over max value, MAX: " +
                                          std::to_string(ctx.config.max_message_size));
    return;
  }
  if (topic.rfind(kRetryGroupTopicPrefix, 0) == 0) {
    std::string group = topic.substr(kRetryGroupTopicPrefix.size());
    if (!ctx.groups.FindOrCreate(group)) {
      ex.ReplyCode(RS::kSubscriptionGroupNotExist, "subscription group not exist, " + group);
      return;
    }
  }

  // Properties: the client's, plus CLUSTER; WAIT is the client's instruction to us, not
  // part of the message.
  // The stored properties are the client's without WAIT and with CLUSTER set (replaced in
  // place, else appended): MessageProperties' Decode/Erase/Set/Encode, done here on views
  // into a per-thread buffer when the client's string is clean (it always is from real
  // clients); anything Decode would clean up goes the general way.
  thread_local std::string encoded_props;
  protocol::PropertiesView view;
  protocol::MessageProperties props;
  std::string_view tags, uniq_key, keys;
  encoded_props.clear();
  if (view.Parse(h.properties)) {
    bool cluster_set = false;
    for (const auto& [k, v] : view) {
      if (k == kWaitStoreMsgOk) continue;
      if (!encoded_props.empty()) encoded_props.push_back('\x02');
      encoded_props.append(k);
      encoded_props.push_back('\x01');
      if (k == kCluster) {
        encoded_props.append(ctx.config.broker_cluster_name);
        cluster_set = true;
      } else {
        encoded_props.append(v);
      }
    }
    if (!cluster_set) {
      if (!encoded_props.empty()) encoded_props.push_back('\x02');
      encoded_props.append(kCluster);
      encoded_props.push_back('\x01');
      encoded_props.append(ctx.config.broker_cluster_name);
    }
    tags = view.Get(kTags);
    uniq_key = view.Get(kUniqKey);
    keys = view.Get(kKeys);
  } else {
    props = protocol::MessageProperties::Decode(h.properties);
    props.Erase(kWaitStoreMsgOk);
    props.Set(kCluster, ctx.config.broker_cluster_name);
    encoded_props = props.Encode();
    tags = props.Get(kTags);
    uniq_key = props.Get(kUniqKey);
    keys = props.Get(kKeys);
  }
  if (encoded_props.size() > 32767) {
    ex.ReplyCode(RS::kMessageIllegal, "the message properties size over max value 32767");
    return;
  }
  // The peer is the same for every frame of a connection: parse it once per change.
  thread_local std::string last_peer;
  thread_local Result<protocol::HostAddress> last_born = Status::InvalidArgument("none yet");
  if (ex.session()->Peer() != last_peer) {
    last_peer = ex.session()->Peer();
    last_born = protocol::HostAddress::Parse(last_peer);
  }
  const Result<protocol::HostAddress>& born = last_born;

  protocol::RecordInput in;
  in.queue_id = queue_id;
  in.flag = static_cast<int32_t>(h.flag);
  in.sys_flag = static_cast<int32_t>(h.sys_flag);
  if (tc->topic_filter_type == "MULTI_TAG") in.sys_flag |= protocol::MessageSysFlag::kMultiTags;
  in.born_timestamp = h.born_timestamp;
  in.born_host = born.ok() ? *born : protocol::HostAddress{};
  in.store_host = ctx.store_host;
  in.reconsume_times = static_cast<int32_t>(h.reconsume_times);
  in.body = body;
  in.topic = topic;
  in.properties = encoded_props;

  AppendRequest ar;
  auto layout = protocol::EncodeRecord(in, &ar.record);
  if (!layout.ok()) {
    ex.ReplyCode(RS::kMessageIllegal, layout.status().message());
    return;
  }
  ar.topic = topic;
  ar.queue_id = queue_id;
  ar.tags_code = protocol::TagsCode(tags);
  ar.store_timestamp_field = static_cast<uint32_t>(layout->store_timestamp_field);
  ar.keys = std::string(uniq_key);
  if (!keys.empty()) {
    if (!ar.keys.empty()) ar.keys += ' ';
    ar.keys += keys;
  }

  QueueAppend(ctx, std::move(ar), ex, std::move(topic), queue_id);
}

}  // namespace

void RegisterSendHandlers(BrokerContext& ctx) {
  RemotingServer& server = ctx.runtime.server();
  server.Register(protocol::RequestCode::kSendMessage,
                  [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view body) {
                    HandleSend(ctx, ex, req, body, /*v2=*/false);
                  });
  server.Register(protocol::RequestCode::kSendMessageV2,
                  [&ctx](const Exchange& ex, RemotingCommand& req, std::string_view body) {
                    HandleSend(ctx, ex, req, body, /*v2=*/true);
                  });
}

}  // namespace sprocket::broker
