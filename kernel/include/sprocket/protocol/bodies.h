// JSON bodies of RocketMQ requests and responses (PROTOCOL.md §3, §4): route data,
// cluster info, heartbeat, topic configs, lists. Not on the hot path.
//
// Writers follow fastjson: alphabetical keys, nulls omitted, enums as names. Maps keyed
// by numbers (brokerAddrs) are written with bare keys ({0:"a:1"}) unless `standard_json`
// is asked for, which quotes and sorts them (the Java 4.9.4+ namesrv rule, §4.4).
// Readers are lenient: bare numeric keys, numbers where strings are expected and the
// reverse, enums as names or ordinals, unknown keys ignored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sprocket/plugin/status.h"

namespace sprocket::protocol {

struct DataVersion {
  int64_t timestamp = 0;
  int64_t counter = 0;
  bool operator==(const DataVersion&) const = default;
};

// {"counter":N,"timestamp":ms} — the QUERY_DATA_VERSION request and response body.
std::string EncodeDataVersion(const DataVersion& version);
Result<DataVersion> DecodeDataVersion(std::string_view json);

struct TopicConfig {
  std::string topic_name;
  int32_t read_queue_nums = 16;
  int32_t write_queue_nums = 16;
  int32_t perm = 6;
  std::string topic_filter_type = "SINGLE_TAG";  // or MULTI_TAG
  int32_t topic_sys_flag = 0;
  bool order = false;
  bool operator==(const TopicConfig&) const = default;
};

// RegisterBrokerBody: {"filterServerList":[],"topicConfigSerializeWrapper":{...}}
struct RegisterBrokerBody {
  DataVersion data_version;
  std::map<std::string, TopicConfig> topic_config_table;
  std::vector<std::string> filter_server_list;
};
std::string EncodeRegisterBrokerBody(const RegisterBrokerBody& body);
// Accepts the JSON form and, with compressed=true, RocketMQ's zlib form (§3.8).
Result<RegisterBrokerBody> DecodeRegisterBrokerBody(std::string_view body, bool compressed);

// TopicConfigSerializeWrapper: {"dataVersion":{...},"topicConfigTable":{...}} (also the
// broker's persisted topics.json).
std::string EncodeTopicConfigWrapper(const std::map<std::string, TopicConfig>& table,
                                     const DataVersion& version);
Result<std::pair<std::map<std::string, TopicConfig>, DataVersion>> DecodeTopicConfigWrapper(
    std::string_view json);

struct QueueData {
  std::string broker_name;
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;
  int32_t topic_sys_flag = 0;
  bool operator==(const QueueData&) const = default;
};

struct BrokerData {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> broker_addrs;  // brokerId -> "ip:port"; 0 = master
  bool operator==(const BrokerData&) const = default;
};

struct TopicRouteData {
  std::optional<std::string> order_topic_conf;
  std::vector<QueueData> queue_datas;
  std::vector<BrokerData> broker_datas;
  std::map<std::string, std::vector<std::string>> filter_server_table;
};
// QueueData carries both topicSynFlag (<= 4.8) and topicSysFlag (>= 4.9).
std::string EncodeTopicRouteData(const TopicRouteData& route, bool standard_json);
Result<TopicRouteData> DecodeTopicRouteData(std::string_view json);

struct ClusterInfo {
  std::map<std::string, BrokerData> broker_addr_table;           // brokerName -> data
  std::map<std::string, std::set<std::string>> cluster_addr_table;  // cluster -> brokerNames
};
std::string EncodeClusterInfo(const ClusterInfo& info, bool standard_json);
Result<ClusterInfo> DecodeClusterInfo(std::string_view json);

// Enums exchanged in heartbeats. Java sends names, the cpp client ordinals.
enum class ConsumeType : uint8_t { kActively = 0, kPassively = 1 };  // PULL / PUSH
enum class MessageModel : uint8_t { kBroadcasting = 0, kClustering = 1 };
enum class ConsumeFromWhere : uint8_t {
  kLastOffset = 0, kLastOffsetAndFromMinWhenBootFirst = 1, kMinOffset = 2, kMaxOffset = 3,
  kFirstOffset = 4, kTimestamp = 5
};
const char* ConsumeTypeName(ConsumeType v);        // "CONSUME_ACTIVELY" / "CONSUME_PASSIVELY"
const char* MessageModelName(MessageModel v);      // "BROADCASTING" / "CLUSTERING"
const char* ConsumeFromWhereName(ConsumeFromWhere v);  // "CONSUME_FROM_LAST_OFFSET", ...

struct SubscriptionData {
  std::string topic;
  std::string sub_string = "*";
  std::vector<std::string> tags_set;
  std::vector<int32_t> code_set;
  int64_t sub_version = 0;
  std::string expression_type = "TAG";
  bool class_filter_mode = false;
};
// Builds a TAG subscription the way RocketMQ's FilterAPI does: "*" (or empty) matches all;
// otherwise "A || B" -> tags_set {A,B}, code_set {hash(A),hash(B)}.
SubscriptionData BuildTagSubscription(std::string topic, std::string_view expression,
                                      int64_t sub_version);

struct ConsumerData {
  std::string group_name;
  ConsumeType consume_type = ConsumeType::kPassively;
  MessageModel message_model = MessageModel::kClustering;
  ConsumeFromWhere consume_from_where = ConsumeFromWhere::kLastOffset;
  std::vector<SubscriptionData> subscription_data_set;
  bool unit_mode = false;
};

struct HeartbeatData {
  std::string client_id;
  std::vector<std::string> producer_groups;  // producerDataSet[].groupName
  std::vector<ConsumerData> consumer_data_set;
};
std::string EncodeHeartbeatData(const HeartbeatData& hb);
Result<HeartbeatData> DecodeHeartbeatData(std::string_view json);

// {"consumerIdList":[...]}
std::string EncodeConsumerIdList(const std::vector<std::string>& ids);
Result<std::vector<std::string>> DecodeConsumerIdList(std::string_view json);

// {"topicList":[...]}  (TopicList; brokerAddr omitted when null)
std::string EncodeTopicList(const std::set<std::string>& topics);
Result<std::set<std::string>> DecodeTopicList(std::string_view json);

// {"table":{k:v,...}}  (KVTable)
std::string EncodeKvTable(const std::map<std::string, std::string>& table);
Result<std::map<std::string, std::string>> DecodeKvTable(std::string_view json);

}  // namespace sprocket::protocol
