// ConsumerManager: which clients belong to which consumer group, over which connection,
// with which subscriptions (RocketMQ's ConsumerManager + ProducerManager).
//
// Filled synchronously by HEART_BEAT (so GET_CONSUMER_LIST_BY_GROUP sees a client as soon
// as its heartbeat is answered), emptied by UNREGISTER_CLIENT, by the connection closing,
// and by 120 s without a heartbeat. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sprocket/plugin/transport.h"
#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/remoting_command.h"

namespace sprocket::broker {

using protocol::ConsumerData;
using protocol::SubscriptionData;

struct ClientChannel {
  std::shared_ptr<Session> session;
  std::string client_id;
  protocol::LanguageCode language = protocol::LanguageCode::kJava;
  int32_t version = 0;
  int64_t last_update_ms = 0;
};

struct ConsumerGroupSnapshot {
  std::string group;
  protocol::ConsumeType consume_type = protocol::ConsumeType::kPassively;
  protocol::MessageModel message_model = protocol::MessageModel::kClustering;
  protocol::ConsumeFromWhere consume_from_where = protocol::ConsumeFromWhere::kLastOffset;
  std::vector<ClientChannel> channels;
  std::map<std::string, SubscriptionData> subscriptions;  // topic ->
};

class ConsumerManager {
 public:
  // Registers/refreshes a consumer. Returns true when the group's membership or
  // subscriptions changed (the caller then notifies the group's members).
  bool RegisterConsumer(const ConsumerData& data, const ClientChannel& channel);
  void RegisterProducer(const std::string& group, const ClientChannel& channel);

  // Returns the groups whose membership changed.
  std::vector<std::string> UnregisterClient(const std::string& client_id,
                                            const std::string& producer_group,
                                            const std::string& consumer_group);
  std::vector<std::string> OnSessionClosed(uint64_t session_id);
  // Drops channels idle for longer than `expiry_ms`; returns (group, session) pairs dropped
  // from consumer groups, for notification and closing.
  std::vector<std::pair<std::string, std::shared_ptr<Session>>> RemoveExpired(int64_t now_ms,
                                                                               int64_t expiry_ms);

  std::optional<ConsumerGroupSnapshot> FindGroup(const std::string& group) const;
  std::optional<SubscriptionData> FindSubscription(const std::string& group, const std::string& topic) const;
  std::vector<std::string> ClientIds(const std::string& group) const;
  std::vector<std::shared_ptr<Session>> Sessions(const std::string& group) const;
  std::set<std::string> Groups() const;

 private:
  struct Group {
    protocol::ConsumeType consume_type = protocol::ConsumeType::kPassively;
    protocol::MessageModel message_model = protocol::MessageModel::kClustering;
    protocol::ConsumeFromWhere consume_from_where = protocol::ConsumeFromWhere::kLastOffset;
    std::map<uint64_t, ClientChannel> channels;  // session id ->
    std::map<std::string, SubscriptionData> subscriptions;
  };
  mutable std::mutex mu_;
  std::map<std::string, Group> consumers_;
  std::map<std::string, std::map<uint64_t, ClientChannel>> producers_;
};

}  // namespace sprocket::broker
