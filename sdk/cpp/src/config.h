// Settings of producers and consumers (RocketMQ's ClientConfig and friends), and the
// client id they derive.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "sprocket/allocate_strategy.h"
#include "sprocket/push_consumer.h"

namespace sprocket::sdk {

using std::chrono::milliseconds;

struct ClientConfig {
  std::string namesrv_addr;   // "host:port;host:port"
  std::string instance_name;  // empty: the process id
  milliseconds namesrv_timeout{3000};      // RocketMQ's mqClientApiTimeout
  milliseconds poll_namesrv_interval{30000};
  milliseconds heartbeat_interval{30000};
};

struct ProducerConfig : ClientConfig {
  std::string group;
  milliseconds send_timeout{3000};
  int retry_times_when_send_failed = 2;
  int retry_times_when_send_async_failed = 2;
  int compress_over_bytes = 4096;
  int max_message_size = 4 * 1024 * 1024;
  int default_topic_queue_nums = 4;
  std::string create_topic_key = "TBW102";
};

struct ConsumerConfig : ClientConfig {
  std::string group;
  MessageModel message_model = CLUSTERING;
  ConsumeFromWhere consume_from_where = CONSUME_FROM_LAST_OFFSET;
  std::string consume_timestamp;  // yyyyMMddHHmmss; empty: 30 min before start
  int consume_thread_min = 2;
  int consume_thread_max = 4;
  int consume_batch_max_size = 1;
  int pull_batch_size = 32;
  int pull_threshold_for_queue = 1000;
  int64_t pull_threshold_bytes_for_queue = 100 * 1024 * 1024;
  int max_reconsume_times = 16;
  milliseconds persist_offset_interval{5000};
  milliseconds rebalance_interval{20000};
  // CLUSTERING: how the group's members share queues (default: averagely).
  std::shared_ptr<AllocateMessageQueueStrategy> allocate_strategy;
  // BROADCASTING: where the local offset file lives; empty: LocalFileOffsetStore::DefaultDir().
  std::string offset_store_dir;
  milliseconds suspend_timeout{15000};
  milliseconds pull_timeout{30000};
  milliseconds pull_delay_on_error{3000};
  milliseconds pull_delay_on_flow_control{50};
  milliseconds reconsume_local_delay{5000};
  milliseconds send_back_timeout{5000};
};

// "a:9876; b:9876" -> {"a:9876", "b:9876"}; blanks dropped.
std::vector<std::string> ParseNamesrvAddr(const std::string& addrs);

// First non-loopback IPv4 address of this host, else "127.0.0.1".
std::string LocalIpAddress();

// ip@instanceName, instanceName defaulting to the process id (RocketMQ's clientID).
std::string BuildClientId(const std::string& ip, const std::string& instance_name);

// "yyyyMMddHHmmss" in local time -> ms since the epoch; -1 when malformed.
int64_t ParseConsumeTimestamp(const std::string& text);
// Local time, "yyyyMMddHHmmss".
std::string FormatConsumeTimestamp(int64_t epoch_ms);

int64_t NowMillis();

}  // namespace sprocket::sdk
