// The requests the SDK sends and the response headers it reads (PROTOCOL.md §3): one
// builder per request code, so "what does our PULL_MESSAGE carry?" has one answer.
// Every extFields value is a string, as the Java client sends them.
#pragma once

#include <cstdint>
#include <string>

#include "sprocket/plugin/status.h"
#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/remoting_command.h"

namespace sprocket::sdk {

using protocol::RemotingCommand;

// A command for `code` with our language and version.
RemotingCommand NewRequest(int32_t code);

// GET_ROUTEINFO_BY_TOPIC (105), asking for standard JSON.
RemotingCommand BuildGetRouteInfoRequest(const std::string& topic);

// SEND_MESSAGE_V2 (310): SendMessageRequestHeaderV2, keys a..m.
struct SendMessageHeader {
  std::string producer_group;                 // a
  std::string topic;                          // b
  std::string default_topic = "TBW102";       // c
  int32_t default_topic_queue_nums = 4;       // d
  int32_t queue_id = 0;                       // e
  int32_t sys_flag = 0;                       // f
  int64_t born_timestamp = 0;                 // g
  int32_t flag = 0;                           // h
  std::string properties;                     // i
  int32_t reconsume_times = 0;                // j
  bool unit_mode = false;                     // k
  bool batch = false;                         // m
};
RemotingCommand BuildSendMessageV2Request(const SendMessageHeader& header, std::string body);

// SendMessageResponseHeader. Corruption when a required field is missing.
struct SendResponseHeader {
  std::string offset_msg_id;  // "msgId"
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
};
Result<SendResponseHeader> ParseSendResponseHeader(const RemotingCommand& response);

// PULL_MESSAGE (11).
struct PullMessageHeader {
  std::string consumer_group;
  std::string topic;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int32_t max_msg_nums = 32;
  int32_t sys_flag = 0;
  int64_t commit_offset = 0;
  int64_t suspend_timeout_millis = 15000;
  std::string subscription;
  int64_t sub_version = 0;
  std::string expression_type = "TAG";
};
RemotingCommand BuildPullMessageRequest(const PullMessageHeader& header);

// PullMessageResponseHeader. Corruption when nextBeginOffset is missing.
struct PullResponseHeader {
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t suggest_which_broker_id = 0;
};
Result<PullResponseHeader> ParsePullResponseHeader(const RemotingCommand& response);

// GET_CONSUMER_LIST_BY_GROUP (38); the body is decoded by protocol::DecodeConsumerIdList.
RemotingCommand BuildGetConsumerListRequest(const std::string& group);

// Offsets (§3.3).
RemotingCommand BuildQueryConsumerOffsetRequest(const std::string& group, const std::string& topic,
                                                int32_t queue_id);
RemotingCommand BuildUpdateConsumerOffsetRequest(const std::string& group, const std::string& topic,
                                                 int32_t queue_id, int64_t offset);
RemotingCommand BuildGetMaxOffsetRequest(const std::string& topic, int32_t queue_id);
RemotingCommand BuildSearchOffsetRequest(const std::string& topic, int32_t queue_id,
                                         int64_t timestamp_ms);
// The "offset" field of an offset response; Corruption when absent.
Result<int64_t> ParseOffsetResponse(const RemotingCommand& response);

// CONSUMER_SEND_MSG_BACK (36).
struct SendBackHeader {
  int64_t commit_log_offset = 0;
  std::string group;
  int32_t delay_level = 0;
  std::string origin_msg_id;
  std::string origin_topic;
  int32_t max_reconsume_times = 16;
};
RemotingCommand BuildConsumerSendMsgBackRequest(const SendBackHeader& header);

// HEART_BEAT (34) and UNREGISTER_CLIENT (35).
RemotingCommand BuildHeartbeatRequest(const protocol::HeartbeatData& data);
RemotingCommand BuildUnregisterClientRequest(const std::string& client_id,
                                             const std::string& producer_group,
                                             const std::string& consumer_group);

// "code 17: topic not exist" — for error messages.
std::string DescribeResponse(const RemotingCommand& response);

}  // namespace sprocket::sdk
