#include "broker/broker_config.h"

#include <cstdlib>

#include <unistd.h>

#include "common/net_util.h"
#include "server/server_runtime.h"

namespace sprocket::broker {

KeyRules BrokerKeyRules() {
  KeyRules rules;
  rules.implemented = {
      "brokerClusterName", "brokerName", "brokerId", "namesrvAddr", "brokerIP1",
      "storePathRootDir", "brokerRole", "flushDiskType", "syncFlushTimeout",
      "flushIntervalCommitLog", "autoCreateTopicEnable", "autoCreateSubscriptionGroup",
      "defaultTopicQueueNums", "maxMessageSize", "longPollingEnable", "shortPollingTimeMills",
      "registerNameServerPeriod", "registerBrokerTimeoutMills", "brokerPermission", "regionId",
      "traceOn", "clusterTopicEnable", "brokerTopicEnable", "flushConsumerOffsetInterval",
      "clientChannelExpiredMillis", "accessMessageInMemoryMaxRatio", "aclEnable", "storePlugin",
      "deleteWhen", "fileReservedTime", "diskMaxUsedSpaceRatio", "cleanResourceInterval",
      "cleanFileForciblyEnable", "diskSpaceCleanForciblyRatio", "deleteFileBatchMax",
      "maxTransferBytesOnMessageInMemory", "maxTransferCountOnMessageInMemory",
      "maxTransferBytesOnMessageInDisk", "maxTransferCountOnMessageInDisk", "defaultQueryMaxNum",
      "maxMsgsNumBatch"};
  // RocketMQ keys accepted with a warning. Each becomes real in the issue that builds it.
  rules.rocketmq_other = {
      "rocketmqHome", "brokerIP2", "haListenPort", "haMasterAddress", "storePathCommitLog",
      "storePathConsumeQueue", "storePathIndex", "storeCheckpoint",
      "deleteCommitLogFilesInterval", "destroyMapedFileIntervalForcibly",
      "redeleteHangedFileInterval", "messageDelayLevel", "transientStorePoolEnable",
      "transientStorePoolSize", "slaveReadEnable", "offsetCheckInSlave", "enablePropertyFilter",
      "enableCalcFilterBitMap", "filterSupportRetry", "sendMessageThreadPoolNums",
      "pullMessageThreadPoolNums", "processReplyMessageThreadPoolNums",
      "queryMessageThreadPoolNums", "adminBrokerThreadPoolNums", "clientManageThreadPoolNums",
      "consumerManageThreadPoolNums", "heartbeatThreadPoolNums", "endTransactionThreadPoolNums",
      "sendThreadPoolQueueCapacity", "pullThreadPoolQueueCapacity",
      "waitTimeMillsInSendQueue", "waitTimeMillsInPullQueue", "useReentrantLockWhenPutMessage",
      "warmMapedFileEnable", "flushCommitLogLeastPages", "flushCommitLogThoroughInterval",
      "flushConsumeQueueLeastPages", "flushIntervalConsumeQueue", "maxHashSlotNum", "maxIndexNum", "messageIndexEnable",
      "messageIndexSafe", "haSendHeartbeatInterval", "haHousekeepingInterval",
      "haTransferBatchSize", "haSlaveFallbehindMax", "slaveTimeout", "transactionTimeOut",
      "transactionCheckMax", "transactionCheckInterval", "rejectTransactionMessage",
      "fetchNamesrvAddrByAddressServer", "compressedRegister", "forceRegister",
      "notifyConsumerIdsChangedEnable", "highSpeedMode", "commercialEnable",
      "traceTopicEnable", "msgTraceTopicName", "autoDeleteUnusedStats", "isolateLogEnable",
      "serverWorkerThreads", "serverCallbackExecutorThreads", "serverSelectorThreads",
      "serverOnewaySemaphoreValue", "serverAsyncSemaphoreValue", "serverChannelMaxIdleTimeSeconds",
      "serverSocketSndBufSize", "serverSocketRcvBufSize", "serverPooledByteBufAllocatorEnable",
      "useEpollNativeSelector", "enableDLegerCommitLog", "dLegerGroup", "dLegerPeers",
      "dLegerSelfId", "duplicationEnable", "startAcceptSendRequestTimeStamp",
      "osPageCacheBusyTimeOutMills", "mappedFileSizeCommitLog",
      "mappedFileSizeConsumeQueue"};
  return rules;
}

Result<BrokerConfig> BrokerConfigFrom(const Config& config) {
  BrokerConfig b;
#define SPROCKET_GET_INT(field, key)                        \
  {                                                         \
    auto v = config.GetInt(key, b.field);                   \
    if (!v.ok()) return v.status();                         \
    b.field = static_cast<decltype(b.field)>(*v);           \
  }
#define SPROCKET_GET_BOOL(field, key)      \
  {                                        \
    auto v = config.GetBool(key, b.field); \
    if (!v.ok()) return v.status();        \
    b.field = *v;                          \
  }
  b.broker_cluster_name = config.GetString("brokerClusterName", b.broker_cluster_name);
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  b.broker_name = config.GetString("brokerName", host);
  SPROCKET_GET_INT(broker_id, "brokerId");
  std::string ns = config.GetString("namesrvAddr", "");
  if (ns.empty()) {
    if (const char* env = std::getenv("NAMESRV_ADDR")) ns = env;
  }
  b.namesrv_addrs = SplitList(ns, ';');
  SPROCKET_GET_INT(listen_port, "listenPort");
  b.broker_ip1 = config.GetString("brokerIP1", "");
  const char* home = std::getenv("HOME");
  b.store_path_root_dir = config.GetString("storePathRootDir", std::string(home ? home : ".") + "/store");
  SPROCKET_GET_BOOL(auto_create_topic_enable, "autoCreateTopicEnable");
  SPROCKET_GET_BOOL(auto_create_subscription_group, "autoCreateSubscriptionGroup");
  SPROCKET_GET_INT(default_topic_queue_nums, "defaultTopicQueueNums");
  SPROCKET_GET_INT(max_message_size, "maxMessageSize");
  SPROCKET_GET_BOOL(long_polling_enable, "longPollingEnable");
  SPROCKET_GET_INT(short_polling_time_mills, "shortPollingTimeMills");
  SPROCKET_GET_INT(register_name_server_period, "registerNameServerPeriod");
  SPROCKET_GET_INT(register_broker_timeout_mills, "registerBrokerTimeoutMills");
  SPROCKET_GET_INT(broker_permission, "brokerPermission");
  b.region_id = config.GetString("regionId", b.region_id);
  SPROCKET_GET_BOOL(trace_on, "traceOn");
  SPROCKET_GET_BOOL(cluster_topic_enable, "clusterTopicEnable");
  SPROCKET_GET_BOOL(broker_topic_enable, "brokerTopicEnable");
  SPROCKET_GET_INT(flush_consumer_offset_interval, "flushConsumerOffsetInterval");
  SPROCKET_GET_INT(client_channel_expired_millis, "clientChannelExpiredMillis");
  SPROCKET_GET_INT(access_message_in_memory_max_ratio, "accessMessageInMemoryMaxRatio");
  SPROCKET_GET_INT(retention.file_reserved_hours, "fileReservedTime");
  SPROCKET_GET_INT(retention.disk_max_used_space_ratio, "diskMaxUsedSpaceRatio");
  SPROCKET_GET_INT(retention.clean_resource_interval_ms, "cleanResourceInterval");
  SPROCKET_GET_BOOL(retention.clean_file_forcibly_enable, "cleanFileForciblyEnable");
  SPROCKET_GET_INT(retention.delete_file_batch_max, "deleteFileBatchMax");
  SPROCKET_GET_INT(max_transfer_bytes_in_memory, "maxTransferBytesOnMessageInMemory");
  SPROCKET_GET_INT(max_transfer_count_in_memory, "maxTransferCountOnMessageInMemory");
  SPROCKET_GET_INT(max_transfer_bytes_on_disk, "maxTransferBytesOnMessageInDisk");
  SPROCKET_GET_INT(max_transfer_count_on_disk, "maxTransferCountOnMessageInDisk");
  SPROCKET_GET_INT(default_query_max_num, "defaultQueryMaxNum");
  SPROCKET_GET_INT(max_msgs_num_batch, "maxMsgsNumBatch");
  {
    auto hours = ParseDeleteWhen(config.GetString("deleteWhen", "04"));
    if (!hours.ok()) return hours.status();
    b.retention.delete_hours = *hours;
    std::string forcibly = config.GetString("diskSpaceCleanForciblyRatio", "0.85");
    char* end = nullptr;
    double ratio = std::strtod(forcibly.c_str(), &end);
    if (end == forcibly.c_str() || *end != '\0' || !(ratio > 0 && ratio <= 1)) {
      return Status::InvalidArgument("diskSpaceCleanForciblyRatio must be a fraction in (0, 1], got '" + forcibly +
                                     "'");
    }
    b.retention.disk_space_clean_forcibly_ratio = ratio;
  }
#undef SPROCKET_GET_INT
#undef SPROCKET_GET_BOOL

  if (b.listen_port < 0 || b.listen_port > 65535) {
    return Status::InvalidArgument("listenPort must be 0..65535, got " + std::to_string(b.listen_port));
  }
  if (b.listen_port != 0 && b.listen_port < 3) {
    return Status::InvalidArgument("listenPort must leave room for the VIP port (listenPort-2)");
  }
  std::string role = config.GetString("brokerRole", "ASYNC_MASTER");
  if (role != "ASYNC_MASTER") {
    if (role == "SYNC_MASTER" || role == "SLAVE") {
      return Status::NotSupported("brokerRole=" + role +
                                  ": not implemented: master/slave replication (a later issue); use ASYNC_MASTER");
    }
    return Status::InvalidArgument("brokerRole must be ASYNC_MASTER, SYNC_MASTER or SLAVE, got '" + role + "'");
  }
  if (b.broker_id != 0) {
    return Status::NotSupported("brokerId=" + std::to_string(b.broker_id) +
                                ": not implemented: slaves (a later issue); use brokerId=0");
  }
  std::string flush = config.GetString("flushDiskType", "ASYNC_FLUSH");
  if (flush != "ASYNC_FLUSH" && flush != "SYNC_FLUSH") {
    return Status::InvalidArgument("flushDiskType must be ASYNC_FLUSH or SYNC_FLUSH, got '" + flush + "'");
  }
  auto acl = config.GetBool("aclEnable", false);
  if (!acl.ok()) return acl.status();
  if (*acl) {
    return Status::NotSupported("aclEnable=true: not implemented: the acl auth plugin (a later issue)");
  }
  if (b.default_topic_queue_nums <= 0 || b.default_topic_queue_nums > 1024) {
    return Status::InvalidArgument("defaultTopicQueueNums must be 1..1024");
  }
  if (b.max_message_size <= 0) return Status::InvalidArgument("maxMessageSize must be > 0");
  if (b.retention.file_reserved_hours < 0) return Status::InvalidArgument("fileReservedTime must be >= 0 (hours)");
  if (b.retention.clean_resource_interval_ms < 10) {
    return Status::InvalidArgument("cleanResourceInterval must be >= 10 (ms)");
  }
  if (b.retention.delete_file_batch_max < 1) return Status::InvalidArgument("deleteFileBatchMax must be >= 1");
  if (b.max_transfer_bytes_in_memory < 1 || b.max_transfer_count_in_memory < 1 || b.max_transfer_bytes_on_disk < 1 ||
      b.max_transfer_count_on_disk < 1) {
    return Status::InvalidArgument("maxTransfer{Bytes,Count}OnMessageIn{Memory,Disk} must be >= 1");
  }
  if (b.default_query_max_num < 1 || b.max_msgs_num_batch < 1) {
    return Status::InvalidArgument("defaultQueryMaxNum and maxMsgsNumBatch must be >= 1");
  }
  if (b.register_name_server_period < 10000) b.register_name_server_period = 10000;
  if (b.register_name_server_period > 60000) b.register_name_server_period = 60000;
  if (b.broker_ip1.empty()) b.broker_ip1 = LocalIPv4();
  return b;
}

}  // namespace sprocket::broker
