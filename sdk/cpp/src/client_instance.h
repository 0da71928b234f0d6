// What a producer or consumer shares with the cluster (RocketMQ's MQClientInstance): the
// remoting client, the nameserver list, cached topic routes with the broker addresses
// they name, heartbeats and unregistration, and the timer thread.
//
// Each DefaultMQProducer / DefaultMQPushConsumer owns one. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "scheduler.h"
#include "sprocket/plugin/status.h"
#include "sprocket/protocol/bodies.h"
#include "sprocket/remoting/client.h"

namespace sprocket::sdk {

using protocol::RemotingCommand;

class ClientInstance {
 public:
  ClientInstance(std::string client_id, std::vector<std::string> namesrv_addrs,
                 std::chrono::milliseconds namesrv_timeout);
  ~ClientInstance();  // Shutdown()

  // Installs the handler for broker -> client requests. Call before any request.
  void SetRequestHandler(remoting::RemotingClient::RequestHandler handler);

  // Stops the timer thread, then closes every connection (pending requests fail with
  // Aborted). Idempotent.
  void Shutdown();

  const std::string& client_id() const { return client_id_; }
  remoting::RemotingClient& remoting() { return remoting_; }
  Scheduler& scheduler() { return scheduler_; }

  Result<RemotingCommand> Invoke(const std::string& addr, RemotingCommand request,
                                 std::chrono::milliseconds timeout) {
    return remoting_.Invoke(addr, std::move(request), timeout);
  }

  // GET_ROUTEINFO_BY_TOPIC from each nameserver in turn, starting with the last one that
  // answered. NotFound when a nameserver says the topic has no route (17); IOError etc.
  // when none answered.
  Result<protocol::TopicRouteData> FetchRoute(const std::string& topic);

  // Caches `route` for `topic` and learns its broker addresses. True if it changed.
  bool StoreRoute(const std::string& topic, const protocol::TopicRouteData& route);
  // FetchRoute + StoreRoute; true if the route changed.
  Result<bool> RefreshRoute(const std::string& topic);
  std::optional<protocol::TopicRouteData> CachedRoute(const std::string& topic) const;

  // The master address of `broker_name`; nullopt when unknown or masterless.
  std::optional<std::string> FindMasterAddr(const std::string& broker_name) const;
  // Where to pull from: the master, else the lowest-id slave. `*is_slave` says which.
  std::optional<std::string> FindSubscribeAddr(const std::string& broker_name,
                                               bool* is_slave) const;
  // Every known broker address (masters only when asked).
  std::vector<std::string> BrokerAddrs(bool masters_only) const;

  // HEART_BEAT to every known broker (masters only when asked). Returns how many
  // answered SUCCESS; failures are logged.
  int SendHeartbeat(const protocol::HeartbeatData& data, bool masters_only);
  // UNREGISTER_CLIENT to every known broker; failures are logged.
  void UnregisterClient(const std::string& producer_group, const std::string& consumer_group);

 private:
  const std::string client_id_;
  const std::vector<std::string> namesrv_addrs_;
  const std::chrono::milliseconds namesrv_timeout_;
  remoting::RemotingClient remoting_;
  Scheduler scheduler_;

  mutable std::mutex mu_;
  size_t preferred_namesrv_ = 0;
  std::map<std::string, protocol::TopicRouteData> routes_;
  // brokerName -> {brokerId -> address}, from the latest route naming that broker.
  std::map<std::string, std::map<int64_t, std::string>> broker_addrs_;
};

}  // namespace sprocket::sdk
