#include "requests.h"

#include "sprocket/protocol/codes.h"

namespace sprocket::sdk {

namespace RequestCode = protocol::RequestCode;

RemotingCommand NewRequest(int32_t code) {
  RemotingCommand cmd = RemotingCommand::Request(code);
  cmd.language = protocol::LanguageCode::kCpp;
  cmd.version = protocol::kSprocketVersion;
  cmd.serialize_type = protocol::SerializeType::kJson;
  return cmd;
}

RemotingCommand BuildGetRouteInfoRequest(const std::string& topic) {
  RemotingCommand cmd = NewRequest(RequestCode::kGetRouteinfoByTopic);
  cmd.ext.Set("topic", topic);
  // Quoted numeric map keys; our version (409 >= 401) asks for the same (§4.4).
  cmd.ext.SetBool("acceptStandardJsonOnly", true);
  return cmd;
}

RemotingCommand BuildSendMessageV2Request(const SendMessageHeader& h, std::string body) {
  RemotingCommand cmd = NewRequest(RequestCode::kSendMessageV2);
  cmd.ext.Set("a", h.producer_group);
  cmd.ext.Set("b", h.topic);
  cmd.ext.Set("c", h.default_topic);
  cmd.ext.Set("d", int64_t{h.default_topic_queue_nums});
  cmd.ext.Set("e", int64_t{h.queue_id});
  cmd.ext.Set("f", int64_t{h.sys_flag});
  cmd.ext.Set("g", h.born_timestamp);
  cmd.ext.Set("h", int64_t{h.flag});
  cmd.ext.Set("i", h.properties);
  cmd.ext.Set("j", int64_t{h.reconsume_times});
  cmd.ext.SetBool("k", h.unit_mode);
  cmd.ext.SetBool("m", h.batch);
  cmd.body = std::move(body);
  return cmd;
}

Result<SendResponseHeader> ParseSendResponseHeader(const RemotingCommand& response) {
  SendResponseHeader h;
  const std::string* msg_id = response.ext.Find("msgId");
  auto queue_id = response.ext.GetInt("queueId");
  auto queue_offset = response.ext.GetInt("queueOffset");
  if (msg_id == nullptr || !queue_id || !queue_offset) {
    return Status::Corruption("send response lacks msgId/queueId/queueOffset");
  }
  h.offset_msg_id = *msg_id;
  h.queue_id = static_cast<int32_t>(*queue_id);
  h.queue_offset = *queue_offset;
  return h;
}

RemotingCommand BuildPullMessageRequest(const PullMessageHeader& h) {
  RemotingCommand cmd = NewRequest(RequestCode::kPullMessage);
  cmd.ext.Set("consumerGroup", h.consumer_group);
  cmd.ext.Set("topic", h.topic);
  cmd.ext.Set("queueId", int64_t{h.queue_id});
  cmd.ext.Set("queueOffset", h.queue_offset);
  cmd.ext.Set("maxMsgNums", int64_t{h.max_msg_nums});
  cmd.ext.Set("sysFlag", int64_t{h.sys_flag});
  cmd.ext.Set("commitOffset", h.commit_offset);
  cmd.ext.Set("suspendTimeoutMillis", h.suspend_timeout_millis);
  cmd.ext.Set("subscription", h.subscription);
  cmd.ext.Set("subVersion", h.sub_version);
  cmd.ext.Set("expressionType", h.expression_type);
  return cmd;
}

Result<PullResponseHeader> ParsePullResponseHeader(const RemotingCommand& response) {
  PullResponseHeader h;
  auto next = response.ext.GetInt("nextBeginOffset");
  if (!next) return Status::Corruption("pull response lacks nextBeginOffset");
  h.next_begin_offset = *next;
  h.min_offset = response.ext.GetInt("minOffset").value_or(0);
  h.max_offset = response.ext.GetInt("maxOffset").value_or(0);
  h.suggest_which_broker_id = response.ext.GetInt("suggestWhichBrokerId").value_or(0);
  return h;
}

RemotingCommand BuildGetConsumerListRequest(const std::string& group) {
  RemotingCommand cmd = NewRequest(RequestCode::kGetConsumerListByGroup);
  cmd.ext.Set("consumerGroup", group);
  return cmd;
}

RemotingCommand BuildQueryConsumerOffsetRequest(const std::string& group, const std::string& topic,
                                                int32_t queue_id) {
  RemotingCommand cmd = NewRequest(RequestCode::kQueryConsumerOffset);
  cmd.ext.Set("consumerGroup", group);
  cmd.ext.Set("topic", topic);
  cmd.ext.Set("queueId", int64_t{queue_id});
  return cmd;
}

RemotingCommand BuildUpdateConsumerOffsetRequest(const std::string& group, const std::string& topic,
                                                 int32_t queue_id, int64_t offset) {
  RemotingCommand cmd = NewRequest(RequestCode::kUpdateConsumerOffset);
  cmd.ext.Set("consumerGroup", group);
  cmd.ext.Set("topic", topic);
  cmd.ext.Set("queueId", int64_t{queue_id});
  cmd.ext.Set("commitOffset", offset);
  return cmd;
}

RemotingCommand BuildGetMaxOffsetRequest(const std::string& topic, int32_t queue_id) {
  RemotingCommand cmd = NewRequest(RequestCode::kGetMaxOffset);
  cmd.ext.Set("topic", topic);
  cmd.ext.Set("queueId", int64_t{queue_id});
  return cmd;
}

RemotingCommand BuildSearchOffsetRequest(const std::string& topic, int32_t queue_id,
                                         int64_t timestamp_ms) {
  RemotingCommand cmd = NewRequest(RequestCode::kSearchOffsetByTimestamp);
  cmd.ext.Set("topic", topic);
  cmd.ext.Set("queueId", int64_t{queue_id});
  cmd.ext.Set("timestamp", timestamp_ms);
  return cmd;
}

Result<int64_t> ParseOffsetResponse(const RemotingCommand& response) {
  auto offset = response.ext.GetInt("offset");
  if (!offset) return Status::Corruption("offset response lacks 'offset'");
  return *offset;
}

RemotingCommand BuildConsumerSendMsgBackRequest(const SendBackHeader& h) {
  RemotingCommand cmd = NewRequest(RequestCode::kConsumerSendMsgBack);
  cmd.ext.Set("offset", h.commit_log_offset);
  cmd.ext.Set("group", h.group);
  cmd.ext.Set("delayLevel", int64_t{h.delay_level});
  cmd.ext.Set("originMsgId", h.origin_msg_id);
  cmd.ext.Set("originTopic", h.origin_topic);
  cmd.ext.SetBool("unitMode", false);
  cmd.ext.Set("maxReconsumeTimes", int64_t{h.max_reconsume_times});
  return cmd;
}

RemotingCommand BuildHeartbeatRequest(const protocol::HeartbeatData& data) {
  RemotingCommand cmd = NewRequest(RequestCode::kHeartBeat);
  cmd.body = protocol::EncodeHeartbeatData(data);
  return cmd;
}

RemotingCommand BuildUnregisterClientRequest(const std::string& client_id,
                                             const std::string& producer_group,
                                             const std::string& consumer_group) {
  RemotingCommand cmd = NewRequest(RequestCode::kUnregisterClient);
  cmd.ext.Set("clientID", client_id);
  if (!producer_group.empty()) cmd.ext.Set("producerGroup", producer_group);
  if (!consumer_group.empty()) cmd.ext.Set("consumerGroup", consumer_group);
  return cmd;
}

std::string DescribeResponse(const RemotingCommand& response) {
  std::string out = "code " + std::to_string(response.code);
  if (response.remark && !response.remark->empty()) out += ": " + *response.remark;
  return out;
}

}  // namespace sprocket::sdk
