#include "client_instance.h"

#include <set>

#include "log.h"
#include "requests.h"
#include "sprocket/protocol/codes.h"
#include "topic_route.h"

namespace sprocket::sdk {

namespace ResponseCode = protocol::ResponseCode;

ClientInstance::ClientInstance(std::string client_id, std::vector<std::string> namesrv_addrs,
                               std::chrono::milliseconds namesrv_timeout)
    : client_id_(std::move(client_id)),
      namesrv_addrs_(std::move(namesrv_addrs)),
      namesrv_timeout_(namesrv_timeout) {}

ClientInstance::~ClientInstance() { Shutdown(); }

void ClientInstance::SetRequestHandler(remoting::RemotingClient::RequestHandler handler) {
  remoting_.SetRequestHandler(std::move(handler));
}

void ClientInstance::Shutdown() {
  // Timers first: a task running now may still use the remoting client.
  scheduler_.Stop();
  remoting_.Shutdown();
}

Result<protocol::TopicRouteData> ClientInstance::FetchRoute(const std::string& topic) {
  if (namesrv_addrs_.empty()) return Status::InvalidArgument("no nameserver address set");
  size_t start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    start = preferred_namesrv_;
  }
  Status last = Status::IOError("no nameserver answered");
  for (size_t i = 0; i < namesrv_addrs_.size(); ++i) {
    size_t index = (start + i) % namesrv_addrs_.size();
    const std::string& addr = namesrv_addrs_[index];
    auto response = remoting_.Invoke(addr, BuildGetRouteInfoRequest(topic), namesrv_timeout_);
    if (!response.ok()) {
      last = response.status();
      continue;  // this nameserver is down or slow: ask the next one
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      preferred_namesrv_ = index;
    }
    if (response->code == ResponseCode::kTopicNotExist) {
      // Nameservers all hold the same routes (brokers register with each), so one "no"
      // is the answer.
      return Status::NotFound("no route for topic " + topic + " (" +
                              DescribeResponse(*response) + ")");
    }
    if (response->code != ResponseCode::kSuccess) {
      last = Status::IOError("nameserver " + addr + " answered " + DescribeResponse(*response));
      continue;
    }
    auto route = protocol::DecodeTopicRouteData(response->body);
    if (!route.ok()) {
      last = Status::Corruption("route of " + topic + " from " + addr + ": " +
                                route.status().ToString());
      continue;
    }
    return route;
  }
  return last;
}

bool ClientInstance::StoreRoute(const std::string& topic, const protocol::TopicRouteData& route) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = routes_.find(topic);
  bool changed = it == routes_.end() || !SameRoute(it->second, route);
  routes_[topic] = route;
  for (const auto& bd : route.broker_datas) broker_addrs_[bd.broker_name] = bd.broker_addrs;
  return changed;
}

Result<bool> ClientInstance::RefreshRoute(const std::string& topic) {
  auto route = FetchRoute(topic);
  if (!route.ok()) return route.status();
  return StoreRoute(topic, *route);
}

std::optional<protocol::TopicRouteData> ClientInstance::CachedRoute(const std::string& topic) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = routes_.find(topic);
  if (it == routes_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> ClientInstance::FindMasterAddr(const std::string& broker_name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = broker_addrs_.find(broker_name);
  if (it == broker_addrs_.end()) return std::nullopt;
  auto master = it->second.find(0);
  if (master == it->second.end()) return std::nullopt;
  return master->second;
}

std::optional<std::string> ClientInstance::FindSubscribeAddr(const std::string& broker_name,
                                                             bool* is_slave) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = broker_addrs_.find(broker_name);
  if (it == broker_addrs_.end() || it->second.empty()) return std::nullopt;
  // std::map: the master (id 0) comes first when present, else the lowest slave id.
  const auto& [id, addr] = *it->second.begin();
  *is_slave = id != 0;
  return addr;
}

std::vector<std::string> ClientInstance::BrokerAddrs(bool masters_only) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> out;
  for (const auto& [name, addrs] : broker_addrs_) {
    for (const auto& [id, addr] : addrs) {
      if (!masters_only || id == 0) out.insert(addr);
    }
  }
  return {out.begin(), out.end()};
}

int ClientInstance::SendHeartbeat(const protocol::HeartbeatData& data, bool masters_only) {
  int ok = 0;
  for (const auto& addr : BrokerAddrs(masters_only)) {
    auto response = remoting_.Invoke(addr, BuildHeartbeatRequest(data), namesrv_timeout_);
    if (!response.ok()) {
      Log().warn("heartbeat to {} failed: {}", addr, response.status().ToString());
    } else if (response->code != ResponseCode::kSuccess) {
      Log().warn("heartbeat to {} refused: {}", addr, DescribeResponse(*response));
    } else {
      ++ok;
    }
  }
  return ok;
}

void ClientInstance::UnregisterClient(const std::string& producer_group,
                                      const std::string& consumer_group) {
  for (const auto& addr : BrokerAddrs(false)) {
    auto response = remoting_.Invoke(
        addr, BuildUnregisterClientRequest(client_id_, producer_group, consumer_group),
        namesrv_timeout_);
    if (!response.ok()) {
      Log().warn("unregister from {} failed: {}", addr, response.status().ToString());
    }
  }
}

}  // namespace sprocket::sdk
