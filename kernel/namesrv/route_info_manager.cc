#include "namesrv/route_info_manager.h"

#include <mutex>

#include "sprocket/protocol/codes.h"

namespace sprocket::namesrv {

using protocol::Perm::kWrite;

RegisterOutcome RouteInfoManager::RegisterBroker(const BrokerRegistration& reg,
                                                 const RegisterBrokerBody& body, int64_t now_ms) {
  std::unique_lock lock(mu_);
  RegisterOutcome out;
  cluster_addr_table_[reg.cluster].insert(reg.broker_name);

  bool register_first = false;
  auto [it, inserted] = broker_addr_table_.try_emplace(reg.broker_name);
  BrokerData& bd = it->second;
  if (inserted) {
    bd.cluster = reg.cluster;
    bd.broker_name = reg.broker_name;
    register_first = true;
  }
  // A slave promoted to master (or the reverse) keeps its address under a new id: drop
  // the old id first, as RocketMQ does.
  for (auto a = bd.broker_addrs.begin(); a != bd.broker_addrs.end();) {
    if (a->second == reg.broker_addr && a->first != reg.broker_id) {
      a = bd.broker_addrs.erase(a);
    } else {
      ++a;
    }
  }
  auto [slot, new_addr] = bd.broker_addrs.insert_or_assign(reg.broker_id, reg.broker_addr);
  register_first |= new_addr;

  if (reg.broker_id == 0) {
    auto live = broker_live_table_.find(reg.broker_addr);
    bool changed = live == broker_live_table_.end() ||
                   !(live->second.data_version == body.data_version);
    if (changed || register_first) {
      // Rebuild this broker's queue data from its topic table. Unlike RocketMQ 4.9 (which
      // only adds), topics the broker no longer has are dropped from its routes too, so a
      // topic deleted on the broker disappears without a separate namesrv call.
      for (auto& [topic, per_broker] : topic_queue_table_) per_broker.erase(reg.broker_name);
      for (const auto& [topic, tc] : body.topic_config_table) {
        QueueData qd;
        qd.broker_name = reg.broker_name;
        qd.read_queue_nums = tc.read_queue_nums;
        qd.write_queue_nums = tc.write_queue_nums;
        qd.perm = tc.perm;
        qd.topic_sys_flag = tc.topic_sys_flag;
        topic_queue_table_[topic][reg.broker_name] = qd;
      }
      for (auto t = topic_queue_table_.begin(); t != topic_queue_table_.end();) {
        t = t->second.empty() ? topic_queue_table_.erase(t) : std::next(t);
      }
    }
  }

  LiveInfo& info = broker_live_table_[reg.broker_addr];
  info.last_update_ms = now_ms;
  info.data_version = body.data_version;
  info.session_id = reg.session_id;
  info.ha_server_addr = reg.ha_server_addr;
  info.cluster = reg.cluster;
  info.broker_name = reg.broker_name;

  if (reg.broker_id != 0) {
    auto master = bd.broker_addrs.find(0);
    if (master != bd.broker_addrs.end()) {
      auto ml = broker_live_table_.find(master->second);
      if (ml != broker_live_table_.end()) {
        out.ha_server_addr = ml->second.ha_server_addr;
        out.master_addr = master->second;
      }
    }
  }
  return out;
}

void RouteInfoManager::RemoveBrokerLocked(const std::string& broker_addr) {
  auto live = broker_live_table_.find(broker_addr);
  std::string broker_name;
  std::string cluster;
  if (live != broker_live_table_.end()) {
    broker_name = live->second.broker_name;
    cluster = live->second.cluster;
    broker_live_table_.erase(live);
  }
  // Find the broker by address even without live info (an explicit unregister may race).
  for (auto b = broker_addr_table_.begin(); b != broker_addr_table_.end();) {
    BrokerData& bd = b->second;
    bool had = false;
    for (auto a = bd.broker_addrs.begin(); a != bd.broker_addrs.end();) {
      if (a->second == broker_addr) {
        a = bd.broker_addrs.erase(a);
        had = true;
      } else {
        ++a;
      }
    }
    if (had && bd.broker_addrs.empty()) {
      std::string name = bd.broker_name;
      for (auto& [c, names] : cluster_addr_table_) names.erase(name);
      for (auto c = cluster_addr_table_.begin(); c != cluster_addr_table_.end();) {
        c = c->second.empty() ? cluster_addr_table_.erase(c) : std::next(c);
      }
      for (auto t = topic_queue_table_.begin(); t != topic_queue_table_.end();) {
        t->second.erase(name);
        t = t->second.empty() ? topic_queue_table_.erase(t) : std::next(t);
      }
      b = broker_addr_table_.erase(b);
    } else {
      ++b;
    }
  }
}

void RouteInfoManager::UnregisterBroker(const std::string& cluster, const std::string& broker_addr,
                                        const std::string& broker_name, int64_t broker_id) {
  std::unique_lock lock(mu_);
  RemoveBrokerLocked(broker_addr);
}

std::optional<TopicRouteData> RouteInfoManager::GetRoute(const std::string& topic) const {
  std::shared_lock lock(mu_);
  auto t = topic_queue_table_.find(topic);
  if (t == topic_queue_table_.end() || t->second.empty()) return std::nullopt;
  TopicRouteData route;
  for (const auto& [broker_name, qd] : t->second) {
    route.queue_datas.push_back(qd);
    auto b = broker_addr_table_.find(broker_name);
    if (b != broker_addr_table_.end()) route.broker_datas.push_back(b->second);
  }
  if (route.broker_datas.empty()) return std::nullopt;
  return route;
}

ClusterInfo RouteInfoManager::GetClusterInfo() const {
  std::shared_lock lock(mu_);
  ClusterInfo info;
  info.broker_addr_table = broker_addr_table_;
  info.cluster_addr_table = cluster_addr_table_;
  return info;
}

std::set<std::string> RouteInfoManager::AllTopics() const {
  std::shared_lock lock(mu_);
  std::set<std::string> out;
  for (const auto& [topic, _] : topic_queue_table_) out.insert(topic);
  return out;
}

std::set<std::string> RouteInfoManager::TopicsOfCluster(const std::string& cluster) const {
  std::shared_lock lock(mu_);
  std::set<std::string> out;
  auto c = cluster_addr_table_.find(cluster);
  if (c == cluster_addr_table_.end()) return out;
  for (const auto& [topic, per_broker] : topic_queue_table_) {
    for (const auto& name : c->second) {
      if (per_broker.count(name)) {
        out.insert(topic);
        break;
      }
    }
  }
  return out;
}

bool RouteInfoManager::DataVersionChanged(const std::string& broker_addr,
                                          const DataVersion& version) const {
  std::shared_lock lock(mu_);
  auto it = broker_live_table_.find(broker_addr);
  return it == broker_live_table_.end() || !(it->second.data_version == version);
}

std::optional<DataVersion> RouteInfoManager::StoredDataVersion(const std::string& broker_addr) const {
  std::shared_lock lock(mu_);
  auto it = broker_live_table_.find(broker_addr);
  if (it == broker_live_table_.end()) return std::nullopt;
  return it->second.data_version;
}

void RouteInfoManager::DeleteTopic(const std::string& topic) {
  std::unique_lock lock(mu_);
  topic_queue_table_.erase(topic);
}

int RouteInfoManager::UpdateWritePerm(const std::string& broker_name, bool writable) {
  std::unique_lock lock(mu_);
  int touched = 0;
  for (auto& [topic, per_broker] : topic_queue_table_) {
    auto q = per_broker.find(broker_name);
    if (q == per_broker.end()) continue;
    q->second.perm = writable ? (q->second.perm | kWrite) : (q->second.perm & ~kWrite);
    ++touched;
  }
  return touched;
}

std::vector<std::string> RouteInfoManager::RemoveBySession(uint64_t session_id) {
  std::unique_lock lock(mu_);
  std::vector<std::string> addrs;
  for (const auto& [addr, info] : broker_live_table_)
    if (info.session_id == session_id) addrs.push_back(addr);
  for (const auto& a : addrs) RemoveBrokerLocked(a);
  return addrs;
}

std::vector<std::pair<std::string, uint64_t>> RouteInfoManager::RemoveExpired(int64_t now_ms,
                                                                              int64_t expiry_ms) {
  std::unique_lock lock(mu_);
  std::vector<std::pair<std::string, uint64_t>> gone;
  for (const auto& [addr, info] : broker_live_table_)
    if (info.last_update_ms + expiry_ms < now_ms) gone.emplace_back(addr, info.session_id);
  for (const auto& g : gone) RemoveBrokerLocked(g.first);
  return gone;
}

}  // namespace sprocket::namesrv
