// BrokerConfig: the broker.conf keys the kernel acts on, with RocketMQ's names and
// defaults (BrokerConfig, NettyServerConfig, MessageStoreConfig). Storage keys that only a
// storage plugin reads are declared by that plugin's manifest instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/retention_service.h"
#include "common/config.h"

namespace sprocket::broker {

struct BrokerConfig {
  std::string broker_cluster_name = "DefaultCluster";
  std::string broker_name;              // default: host name (RocketMQ's localHostName)
  int64_t broker_id = 0;                // 0 = master
  std::vector<std::string> namesrv_addrs;
  int32_t listen_port = 10911;
  std::string broker_ip1;               // default: first non-loopback IPv4
  std::string store_path_root_dir;      // default: $HOME/store
  bool auto_create_topic_enable = true;
  bool auto_create_subscription_group = true;
  int32_t default_topic_queue_nums = 8;
  int32_t max_message_size = 4 * 1024 * 1024;
  bool long_polling_enable = true;
  int64_t short_polling_time_mills = 1000;
  int64_t register_name_server_period = 30000;  // clamped to [10 s, 60 s] as RocketMQ does
  int64_t register_broker_timeout_mills = 6000;
  int32_t broker_permission = 6;
  std::string region_id = "DefaultRegion";
  bool trace_on = true;
  bool cluster_topic_enable = true;
  bool broker_topic_enable = true;
  int64_t flush_consumer_offset_interval = 5000;
  int64_t client_channel_expired_millis = 120000;  // Sprocket key
  int64_t access_message_in_memory_max_ratio = 40;
  // Pull limits (MessageStoreConfig): in memory, and when the store says the data is on disk.
  int32_t max_transfer_bytes_in_memory = 256 * 1024;
  int32_t max_transfer_count_in_memory = 32;
  int32_t max_transfer_bytes_on_disk = 64 * 1024;
  int32_t max_transfer_count_on_disk = 8;
  // QUERY_MESSAGE: results of a query by UNIQ_KEY, and the cap on any query's maxNum.
  int32_t default_query_max_num = 32;
  int32_t max_msgs_num_batch = 64;
  RetentionSettings retention;  // deleteWhen, fileReservedTime, diskMaxUsedSpaceRatio, ...
};

KeyRules BrokerKeyRules();
// Reads and checks the values (ports, roles, enums). Unknown keys are checked separately.
Result<BrokerConfig> BrokerConfigFrom(const Config& config);

}  // namespace sprocket::broker
