#include "groups/consumer_manager.h"

#include <algorithm>

namespace sprocket::broker {

bool ConsumerManager::RegisterConsumer(const ConsumerData& data, const ClientChannel& channel) {
  std::lock_guard lock(mu_);
  Group& g = consumers_[data.group_name];
  g.consume_type = data.consume_type;
  g.message_model = data.message_model;
  g.consume_from_where = data.consume_from_where;
  bool changed = false;
  auto [it, inserted] = g.channels.try_emplace(channel.session->Id(), channel);
  if (inserted) {
    changed = true;
  } else {
    if (it->second.client_id != channel.client_id) changed = true;
    it->second = channel;
  }
  // Subscriptions: the heartbeat carries the full set; newer versions replace older ones,
  // topics no longer listed go (ConsumerGroupInfo.updateSubscription).
  std::map<std::string, SubscriptionData> next;
  for (const auto& sub : data.subscription_data_set) {
    auto old = g.subscriptions.find(sub.topic);
    if (old == g.subscriptions.end()) {
      changed = true;
      next[sub.topic] = sub;
    } else if (sub.sub_version > old->second.sub_version) {
      if (old->second.sub_string != sub.sub_string) changed = true;
      next[sub.topic] = sub;
    } else {
      next[sub.topic] = old->second;
    }
  }
  if (next.size() != g.subscriptions.size()) changed = true;
  g.subscriptions = std::move(next);
  return changed;
}

void ConsumerManager::RegisterProducer(const std::string& group, const ClientChannel& channel) {
  std::lock_guard lock(mu_);
  producers_[group][channel.session->Id()] = channel;
}

std::vector<std::string> ConsumerManager::UnregisterClient(const std::string& client_id,
                                                           const std::string& producer_group,
                                                           const std::string& consumer_group) {
  std::lock_guard lock(mu_);
  std::vector<std::string> changed;
  auto drop = [&](std::map<uint64_t, ClientChannel>& channels) {
    bool any = false;
    for (auto c = channels.begin(); c != channels.end();) {
      if (c->second.client_id == client_id) {
        c = channels.erase(c);
        any = true;
      } else {
        ++c;
      }
    }
    return any;
  };
  if (!producer_group.empty()) {
    if (auto p = producers_.find(producer_group); p != producers_.end()) {
      drop(p->second);
      if (p->second.empty()) producers_.erase(p);
    }
  }
  if (!consumer_group.empty()) {
    if (auto g = consumers_.find(consumer_group); g != consumers_.end()) {
      if (drop(g->second.channels)) changed.push_back(consumer_group);
      if (g->second.channels.empty()) consumers_.erase(g);
    }
  }
  return changed;
}

std::vector<std::string> ConsumerManager::OnSessionClosed(uint64_t session_id) {
  std::lock_guard lock(mu_);
  std::vector<std::string> changed;
  for (auto g = consumers_.begin(); g != consumers_.end();) {
    if (g->second.channels.erase(session_id)) changed.push_back(g->first);
    g = g->second.channels.empty() ? consumers_.erase(g) : std::next(g);
  }
  for (auto p = producers_.begin(); p != producers_.end();) {
    p->second.erase(session_id);
    p = p->second.empty() ? producers_.erase(p) : std::next(p);
  }
  return changed;
}

std::vector<std::pair<std::string, std::shared_ptr<Session>>> ConsumerManager::RemoveExpired(
    int64_t now_ms, int64_t expiry_ms) {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, std::shared_ptr<Session>>> gone;
  for (auto g = consumers_.begin(); g != consumers_.end();) {
    for (auto c = g->second.channels.begin(); c != g->second.channels.end();) {
      if (c->second.last_update_ms + expiry_ms < now_ms) {
        gone.emplace_back(g->first, c->second.session);
        c = g->second.channels.erase(c);
      } else {
        ++c;
      }
    }
    g = g->second.channels.empty() ? consumers_.erase(g) : std::next(g);
  }
  for (auto p = producers_.begin(); p != producers_.end();) {
    for (auto c = p->second.begin(); c != p->second.end();) {
      c = c->second.last_update_ms + expiry_ms < now_ms ? p->second.erase(c) : std::next(c);
    }
    p = p->second.empty() ? producers_.erase(p) : std::next(p);
  }
  return gone;
}

std::optional<ConsumerGroupSnapshot> ConsumerManager::FindGroup(const std::string& group) const {
  std::lock_guard lock(mu_);
  auto g = consumers_.find(group);
  if (g == consumers_.end()) return std::nullopt;
  ConsumerGroupSnapshot s;
  s.group = group;
  s.consume_type = g->second.consume_type;
  s.message_model = g->second.message_model;
  s.consume_from_where = g->second.consume_from_where;
  for (const auto& [id, ch] : g->second.channels) s.channels.push_back(ch);
  s.subscriptions = g->second.subscriptions;
  return s;
}

std::optional<SubscriptionData> ConsumerManager::FindSubscription(const std::string& group,
                                                                  const std::string& topic) const {
  std::lock_guard lock(mu_);
  auto g = consumers_.find(group);
  if (g == consumers_.end()) return std::nullopt;
  auto s = g->second.subscriptions.find(topic);
  if (s == g->second.subscriptions.end()) return std::nullopt;
  return s->second;
}

std::vector<std::string> ConsumerManager::ClientIds(const std::string& group) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  auto g = consumers_.find(group);
  if (g == consumers_.end()) return ids;
  for (const auto& [id, ch] : g->second.channels) ids.push_back(ch.client_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<std::shared_ptr<Session>> ConsumerManager::Sessions(const std::string& group) const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Session>> out;
  auto g = consumers_.find(group);
  if (g == consumers_.end()) return out;
  for (const auto& [id, ch] : g->second.channels) out.push_back(ch.session);
  return out;
}

std::set<std::string> ConsumerManager::Groups() const {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [name, _] : consumers_) out.insert(name);
  return out;
}

}  // namespace sprocket::broker
