// SEND_MESSAGE (10) and SEND_MESSAGE_V2 (310): validate, build the stored record, append,
// answer once the store says so (PROTOCOL.md §3.1; RocketMQ's SendMessageProcessor).
#include <random>

#include "broker/broker_context.h"
#include "common/logging.h"
#include "common/net_util.h"
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

// Fills `h`; on a missing or malformed required field answers SYSTEM_ERROR and returns false.
bool ParseSendHeader(const Exchange& ex, const RemotingCommand& req, bool v2, SendHeader* h) {
  auto name = [v2](const FieldName& f) { return v2 ? f.v2 : f.v1; };
  auto str = [&](const FieldName& f, std::string_view* out) {
    const std::string* v = req.ext.Find(name(f));
    if (!v) {
      ex.ReplyCode(RS::kSystemError, std::string("the custom field <") + f.v1 + "> is null");
      return false;
    }
    *out = *v;
    return true;
  };
  auto num = [&](const FieldName& f, int64_t* out, bool required) {
    const std::string* v = req.ext.Find(name(f));
    if (!v) {
      if (!required) return true;
      ex.ReplyCode(RS::kSystemError, std::string("the custom field <") + f.v1 + "> is null");
      return false;
    }
    auto parsed = req.ext.GetInt(name(f));
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
  if (const std::string* p = req.ext.Find(name(kProperties))) h->properties = *p;
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
  protocol::MessageProperties props = protocol::MessageProperties::Decode(h.properties);
  props.Erase(kWaitStoreMsgOk);
  props.Set(kCluster, ctx.config.broker_cluster_name);
  std::string encoded_props = props.Encode();
  if (encoded_props.size() > 32767) {
    ex.ReplyCode(RS::kMessageIllegal, "the message properties size over max value 32767");
    return;
  }
  auto born = protocol::HostAddress::Parse(ex.session()->Peer());

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
  std::string_view tags = props.Get(kTags);
  ar.tags_code = protocol::TagsCode(tags);
  ar.store_timestamp_field = static_cast<uint32_t>(layout->store_timestamp_field);
  ar.keys = std::string(props.Get(kUniqKey));
  if (std::string_view keys = props.Get(kKeys); !keys.empty()) {
    if (!ar.keys.empty()) ar.keys += ' ';
    ar.keys += keys;
  }

  std::vector<AppendRequest> batch;
  batch.push_back(std::move(ar));
  BrokerContext* c = &ctx;
  ctx.store.Append(std::move(batch), [c, ex, topic, queue_id](std::span<const AppendResult> results) {
    const AppendResult& r = results[0];
    int32_t code = StoreStatusToCode(r.status);
    RemotingCommand resp;
    resp.code = code;
    if (code == RS::kSuccess || code == RS::kFlushDiskTimeout) {
      resp.ext.Set("msgId", protocol::EncodeOffsetMsgId(c->store_host, r.position));
      resp.ext.Set("queueId", static_cast<int64_t>(queue_id));
      resp.ext.Set("queueOffset", r.queue_offset.value);
      resp.ext.Set("MSG_REGION", c->config.region_id);
      resp.ext.SetBool("TRACE_ON", c->config.trace_on);
      if (code != RS::kSuccess) resp.remark = r.status.message();
    } else {
      resp.remark = r.status.ToString();
    }
    ex.Reply(std::move(resp));
    if (r.status.ok() || r.status.IsTimeout()) {
      c->holds->Notify(topic, queue_id, r.queue_offset.value + 1);
    }
  });
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
