// BrokerContext: everything a broker request handler may use, owned by BrokerController.
// Handlers are grouped by concern (send_processor.cc, pull_processor.cc, ...); each file
// registers its codes through one Register*Handlers function declared here.
#pragma once

#include <memory>
#include <string>

#include "broker/broker_config.h"
#include "broker/broker_stats.h"
#include "groups/consumer_manager.h"
#include "groups/consumer_offset_manager.h"
#include "groups/pull_hold_service.h"
#include "groups/subscription_group_manager.h"
#include "routing/namesrv_registrar.h"
#include "routing/topic_config_manager.h"
#include "server/server_runtime.h"
#include "sprocket/protocol/message.h"

namespace spdlog {
class logger;
}

namespace sprocket::broker {

struct BrokerContext {
  BrokerContext(BrokerConfig cfg, ServerRuntime& rt);

  BrokerConfig config;
  ServerRuntime& runtime;
  MessageStore& store;
  TopicConfigManager topics;
  ConsumerManager consumers;
  ConsumerOffsetManager offsets;
  SubscriptionGroupManager groups;
  std::unique_ptr<PullHoldService> holds;
  BrokerStats stats;  // traffic counters for runtime info and consume TPS (admin requests)

  // Known once the transports are bound (listenPort may be 0 in tests).
  protocol::HostAddress store_host;  // brokerIP1:listenPort, written into every record
  std::string broker_addr;           // "brokerIP1:listenPort", registered with nameservers
  int64_t total_physical_memory = 0; // for RocketMQ's "still in memory" rule

  // Tells every member of `group` that the membership changed (oneway code 40).
  void NotifyConsumerIdsChanged(const std::string& group);
};

void RegisterSendHandlers(BrokerContext& ctx);
// Also creates ctx.holds (the long-poll replays go through the pull handler).
void RegisterPullHandlers(BrokerContext& ctx);
void RegisterClientHandlers(BrokerContext& ctx);
void RegisterAdminHandlers(BrokerContext& ctx);
void RegisterQueryHandlers(BrokerContext& ctx);  // QUERY_MESSAGE (query_processor.cc)

// The resources a request touches, for the auth plugin (auth_resources.cc).
std::vector<std::pair<std::string, AuthAction>> ResolveAuthResources(const RemotingCommand& req,
                                                                     std::string_view body);

// Shared by handlers: the value of a required header field, or nullopt after answering
// SYSTEM_ERROR naming the missing field (Java fails such requests the same way).
std::optional<std::string_view> RequireField(const Exchange& ex, const RemotingCommand& req,
                                             std::string_view key);
std::optional<int64_t> RequireInt(const Exchange& ex, const RemotingCommand& req, std::string_view key);

// The "topic" and "queueId" fields most queue-level requests carry.
struct QueueRef {
  std::string topic;
  int32_t queue_id = 0;
};
std::optional<QueueRef> RequireQueue(const Exchange& ex, const RemotingCommand& req);

// Big-endian fields of a stored record (PROTOCOL.md §5.1).
int64_t RecordInt64(const ByteView& record, size_t at);
int32_t RecordInt32(const ByteView& record, size_t at);

}  // namespace sprocket::broker
