// RouteInfoManager: the nameserver's whole state — which brokers are alive, which topics
// they serve with how many queues — built only from broker registrations (RocketMQ's
// RouteInfoManager; PROTOCOL.md §3.8, §8.1). Nameservers never talk to each other.
//
// Thread-safe: one shared mutex; reads (route lookups, by far the most frequent call)
// take it shared.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "sprocket/protocol/bodies.h"

namespace sprocket::namesrv {

using protocol::BrokerData;
using protocol::ClusterInfo;
using protocol::DataVersion;
using protocol::QueueData;
using protocol::RegisterBrokerBody;
using protocol::TopicRouteData;

struct BrokerRegistration {
  std::string cluster;
  std::string broker_addr;  // "ip:port"
  std::string broker_name;
  int64_t broker_id = 0;    // 0 = master
  std::string ha_server_addr;
  uint64_t session_id = 0;  // the connection it came on; closing it drops the broker
};

struct RegisterOutcome {
  std::string ha_server_addr;  // filled for slaves only: the master's HA address
  std::string master_addr;     // filled for slaves only
};

class RouteInfoManager {
 public:
  RegisterOutcome RegisterBroker(const BrokerRegistration& reg, const RegisterBrokerBody& body,
                                 int64_t now_ms);
  void UnregisterBroker(const std::string& cluster, const std::string& broker_addr,
                        const std::string& broker_name, int64_t broker_id);

  std::optional<TopicRouteData> GetRoute(const std::string& topic) const;
  ClusterInfo GetClusterInfo() const;
  std::set<std::string> AllTopics() const;
  std::set<std::string> TopicsOfCluster(const std::string& cluster) const;
  // True when the stored DataVersion of the broker differs from `version` (or is unknown).
  bool DataVersionChanged(const std::string& broker_addr, const DataVersion& version) const;
  std::optional<DataVersion> StoredDataVersion(const std::string& broker_addr) const;
  void DeleteTopic(const std::string& topic);
  // Clears / restores PERM_WRITE of every queue of a broker; returns topics touched.
  int UpdateWritePerm(const std::string& broker_name, bool writable);

  // Removes every broker that registered on this connection; returns their addresses.
  std::vector<std::string> RemoveBySession(uint64_t session_id);
  // Removes brokers whose last registration is older than `expiry_ms`. Returns
  // (address, session id) of each, so the caller can close the connections.
  std::vector<std::pair<std::string, uint64_t>> RemoveExpired(int64_t now_ms, int64_t expiry_ms);

 private:
  struct LiveInfo {
    int64_t last_update_ms = 0;
    DataVersion data_version;
    uint64_t session_id = 0;
    std::string ha_server_addr;
    std::string cluster;
    std::string broker_name;
  };
  void RemoveBrokerLocked(const std::string& broker_addr);

  mutable std::shared_mutex mu_;
  std::map<std::string, std::map<std::string, QueueData>> topic_queue_table_;  // topic -> brokerName ->
  std::map<std::string, BrokerData> broker_addr_table_;                        // brokerName ->
  std::map<std::string, std::set<std::string>> cluster_addr_table_;           // cluster -> brokerNames
  std::map<std::string, LiveInfo> broker_live_table_;                          // brokerAddr ->
};

}  // namespace sprocket::namesrv
