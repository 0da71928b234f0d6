// JSON bodies of the admin requests mqadmin and RocketMQ's DefaultMQAdminExt use
// (PROTOCOL.md §3.9, §4): TopicStatsTable (GET_TOPIC_STATS_INFO 202), ConsumeStats
// (GET_CONSUME_STATS 208), ConsumerConnection (GET_CONSUMER_CONNECTION_LIST 203) and
// GroupList (QUERY_TOPIC_CONSUME_BY_WHO 300). The runtime info of GET_BROKER_RUNTIME_INFO
// (28) is a KVTable (bodies.h).
//
// Wire shapes are fastjson's, byte for byte where it matters:
//  - Map<MessageQueue, X> is written with the MessageQueue *object* as the key (not valid
//    JSON; apache/rocketmq issues #1506, #3389):
//      {"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":0,
//        "maxOffset":5,"minOffset":0},...}}
//    Java's admin tools read exactly that; the readers here accept it and also a key given
//    as a string holding such an object.
//  - Beans: alphabetical properties, enums by name, nulls omitted.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sprocket/plugin/status.h"
#include "sprocket/protocol/bodies.h"

namespace sprocket::protocol {

// MessageQueue as a map key; ordered like Java's MessageQueue.compareTo (topic,
// brokerName, queueId).
struct MessageQueueKey {
  std::string topic;
  std::string broker_name;
  int32_t queue_id = 0;
  auto operator<=>(const MessageQueueKey&) const = default;
  bool operator==(const MessageQueueKey&) const = default;
};

// TopicOffset: one queue's range and the store time of its last message (0 when empty).
struct TopicOffset {
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t last_update_timestamp = 0;
  bool operator==(const TopicOffset&) const = default;
};

struct TopicStatsTable {
  std::map<MessageQueueKey, TopicOffset> offset_table;
};
std::string EncodeTopicStatsTable(const TopicStatsTable& table);
Result<TopicStatsTable> DecodeTopicStatsTable(std::string_view json);

// OffsetWrapper (RocketMQ 4.9: brokerOffset, consumerOffset, lastTimestamp).
struct OffsetWrapper {
  int64_t broker_offset = 0;
  int64_t consumer_offset = 0;
  int64_t last_timestamp = 0;  // store time of the last consumed message; 0 when unknown
  // Sprocket's addition: "ip:port" of the group member that last pulled this queue, when it
  // is still connected. Written as "clientAddr" only when known; Java's fastjson ignores
  // properties it does not know, and RocketMQ brokers never send it (mqadmin then prints
  // "N/A", as RocketMQ's does when it cannot ask the clients).
  std::string client_addr;
  bool operator==(const OffsetWrapper&) const = default;
};

struct ConsumeStats {
  std::map<MessageQueueKey, OffsetWrapper> offset_table;
  double consume_tps = 0;
};
std::string EncodeConsumeStats(const ConsumeStats& stats);
Result<ConsumeStats> DecodeConsumeStats(std::string_view json);

// Connection: one client channel of a group.
struct Connection {
  std::string client_id;
  std::string client_addr;
  std::string language = "JAVA";  // LanguageCode name
  int32_t version = 0;            // MQVersion ordinal
  bool operator==(const Connection&) const = default;
};

struct ConsumerConnection {
  std::vector<Connection> connection_set;
  std::map<std::string, SubscriptionData> subscription_table;  // topic ->
  std::optional<ConsumeType> consume_type;
  std::optional<MessageModel> message_model;
  std::optional<ConsumeFromWhere> consume_from_where;
};
std::string EncodeConsumerConnection(const ConsumerConnection& cc);
Result<ConsumerConnection> DecodeConsumerConnection(std::string_view json);

// MQVersion.getVersionDesc: the enum name of a version ordinal ("V4_9_8" for 409,
// "V3_4_9" for 121); ordinals past the last known one give "HIGHER_VERSION", as in Java.
std::string MQVersionName(int32_t ordinal);

// {"groupList":[...]}
std::string EncodeGroupList(const std::set<std::string>& groups);
Result<std::set<std::string>> DecodeGroupList(std::string_view json);

// --- QUERY_MESSAGE (12), PROTOCOL.md §3.7 (bodies_query.cc). Headers only: the response
// body is the matching stored records back to back (DecodeRecords, message.h).
class ExtFields;

// MixAll.UNIQUE_MSG_QUERY_FLAG: "true" when the key is a UNIQ_KEY (the broker then uses
// its defaultQueryMaxNum instead of maxNum).
inline constexpr std::string_view kUniqueMsgQueryFlag = "_UNIQUE_KEY_QUERY";

// QueryMessageRequestHeader plus the flag.
struct QueryMessageRequestHeader {
  std::string topic;
  std::string key;
  int32_t max_num = 0;
  int64_t begin_timestamp = 0;
  int64_t end_timestamp = 0;
  bool unique_key = false;
};
void EncodeQueryMessageRequestHeader(const QueryMessageRequestHeader& header, ExtFields* ext);
// InvalidArgument "the custom field <x> is null" / "... is not a number" (Java's wording).
Result<QueryMessageRequestHeader> DecodeQueryMessageRequestHeader(const ExtFields& ext);

// QueryMessageResponseHeader: where the broker's index stood when it answered.
struct QueryMessageResponseHeader {
  int64_t index_last_update_timestamp = 0;
  int64_t index_last_update_phyoffset = 0;
};
void EncodeQueryMessageResponseHeader(const QueryMessageResponseHeader& header, ExtFields* ext);
Result<QueryMessageResponseHeader> DecodeQueryMessageResponseHeader(const ExtFields& ext);

}  // namespace sprocket::protocol
