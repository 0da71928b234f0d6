#include "broker/broker_stats.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>

namespace sprocket::broker {

namespace {

// 10 minutes of one-second samples, plus the sample the oldest window starts from.
constexpr size_t kRingSamples = 601;
constexpr size_t kGroupSamples = 61;
// (group, topic) counters nobody pulled for this many samples are dropped.
constexpr int kIdleSamplesBeforeForget = 600;

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A number that changes exactly at local midnight.
int64_t LocalDay(int64_t wall_ms) {
  std::time_t t = static_cast<std::time_t>(wall_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  return static_cast<int64_t>(tm.tm_year) * 1000 + tm.tm_yday;
}

}  // namespace

BrokerStats::BrokerStats(bool start_sampler) : boot_time_ms_(WallMillis()) {
  if (start_sampler) sampler_ = std::thread([this] { Run(); });
}

BrokerStats::~BrokerStats() {
  {
    std::lock_guard lock(run_mu_);
    stop_ = true;
  }
  run_cv_.notify_all();
  if (sampler_.joinable()) sampler_.join();
}

void BrokerStats::Run() {
  std::unique_lock lock(run_mu_);
  while (!stop_) {
    lock.unlock();
    Sample(SteadyMillis(), WallMillis());
    lock.lock();
    run_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
  }
}

void BrokerStats::OnPull(std::string_view group, std::string_view topic, int64_t queue_id,
                         uint64_t session_id, size_t messages) {
  get_total_.fetch_add(static_cast<int64_t>(messages), std::memory_order_relaxed);
  (messages > 0 ? found_total_ : miss_total_).fetch_add(1, std::memory_order_relaxed);
  auto update = [&](GroupTopic& e) {
    e.messages.fetch_add(static_cast<int64_t>(messages), std::memory_order_relaxed);
    e.pulls.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(e.mu);
    e.last_puller[static_cast<int32_t>(queue_id)] = session_id;
  };
  {
    std::shared_lock lock(groups_mu_);
    auto g = groups_.find(group);
    if (g != groups_.end()) {
      auto t = g->second.find(topic);
      if (t != g->second.end()) {
        update(*t->second);
        return;
      }
    }
  }
  std::unique_lock lock(groups_mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) g = groups_.emplace(std::string(group), TopicMap{}).first;
  auto t = g->second.find(topic);
  if (t == g->second.end()) t = g->second.emplace(std::string(topic), std::make_unique<GroupTopic>()).first;
  update(*t->second);
}

void BrokerStats::Sample(int64_t steady_ms, int64_t wall_ms) {
  Snapshot s;
  s.t_ms = steady_ms;
  s.put = put_total_.load(std::memory_order_relaxed);
  s.get = get_total_.load(std::memory_order_relaxed);
  s.found = found_total_.load(std::memory_order_relaxed);
  s.miss = miss_total_.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(ring_mu_);
    ring_.push_back(s);
    while (ring_.size() > kRingSamples) ring_.pop_front();
    int64_t day = LocalDay(wall_ms);
    if (day_ < 0) {
      day_ = day;
    } else if (day != day_) {
      day_ = day;
      put_yesterday_morning_ = put_today_morning_;
      get_yesterday_morning_ = get_today_morning_;
      put_today_morning_ = s.put;
      get_today_morning_ = s.get;
    }
  }

  std::vector<std::pair<std::string, std::string>> idle;
  {
    std::shared_lock lock(groups_mu_);
    for (const auto& [group, topics] : groups_) {
      for (const auto& [topic, e] : topics) {
        int64_t pulls = e->pulls.load(std::memory_order_relaxed);
        std::lock_guard entry_lock(e->mu);
        e->samples.emplace_back(steady_ms, e->messages.load(std::memory_order_relaxed));
        while (e->samples.size() > kGroupSamples) e->samples.pop_front();
        if (pulls == e->pulls_seen) {
          if (++e->idle_samples >= kIdleSamplesBeforeForget) idle.emplace_back(group, topic);
        } else {
          e->pulls_seen = pulls;
          e->idle_samples = 0;
        }
      }
    }
  }
  if (idle.empty()) return;
  std::unique_lock lock(groups_mu_);
  for (const auto& [group, topic] : idle) {
    auto g = groups_.find(group);
    if (g == groups_.end()) continue;
    auto t = g->second.find(topic);
    // A pull may have come in between the two locks.
    if (t != g->second.end() && t->second->pulls.load(std::memory_order_relaxed) == t->second->pulls_seen) {
      g->second.erase(t);
    }
    if (g->second.empty()) groups_.erase(g);
  }
}

std::string BrokerStats::Rates(int64_t (*value)(const Snapshot&)) const {
  double rates[3] = {0, 0, 0};
  const size_t windows[3] = {10, 60, 600};
  {
    std::lock_guard lock(ring_mu_);
    if (ring_.size() >= 2) {
      const Snapshot& newest = ring_.back();
      for (int i = 0; i < 3; ++i) {
        size_t back = std::min(windows[i], ring_.size() - 1);
        const Snapshot& older = ring_[ring_.size() - 1 - back];
        int64_t dt = newest.t_ms - older.t_ms;
        if (dt > 0)
          rates[i] = static_cast<double>(value(newest) - value(older)) * 1000.0 / static_cast<double>(dt);
      }
    }
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", rates[0], rates[1], rates[2]);
  return buf;
}

std::string BrokerStats::PutTps() const {
  return Rates([](const Snapshot& s) { return s.put; });
}
std::string BrokerStats::GetTransferredTps() const {
  return Rates([](const Snapshot& s) { return s.get; });
}
std::string BrokerStats::GetFoundTps() const {
  return Rates([](const Snapshot& s) { return s.found; });
}
std::string BrokerStats::GetMissTps() const {
  return Rates([](const Snapshot& s) { return s.miss; });
}
// Every answered pull, as RocketMQ's getTotalTps (found + miss).
std::string BrokerStats::GetTotalTps() const {
  return Rates([](const Snapshot& s) { return s.found + s.miss; });
}

double BrokerStats::GroupGetTps(std::string_view group, std::string_view topic) const {
  std::shared_lock lock(groups_mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return 0;
  auto t = g->second.find(topic);
  if (t == g->second.end()) return 0;
  std::lock_guard entry_lock(t->second->mu);
  const auto& samples = t->second->samples;
  if (samples.size() < 2) return 0;
  int64_t dt = samples.back().first - samples.front().first;
  if (dt <= 0) return 0;
  return static_cast<double>(samples.back().second - samples.front().second) * 1000.0 /
         static_cast<double>(dt);
}

std::optional<uint64_t> BrokerStats::LastPuller(std::string_view group, std::string_view topic,
                                                int32_t queue_id) const {
  std::shared_lock lock(groups_mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return std::nullopt;
  auto t = g->second.find(topic);
  if (t == g->second.end()) return std::nullopt;
  std::lock_guard entry_lock(t->second->mu);
  auto q = t->second->last_puller.find(queue_id);
  if (q == t->second->last_puller.end()) return std::nullopt;
  return q->second;
}

BrokerStats::Daily BrokerStats::DailyTotals() const {
  Daily d;
  d.put_now = PutTotal();
  d.get_now = GetTotal();
  std::lock_guard lock(ring_mu_);
  d.put_today_morning = put_today_morning_;
  d.put_yesterday_morning = put_yesterday_morning_;
  d.get_today_morning = get_today_morning_;
  d.get_yesterday_morning = get_yesterday_morning_;
  return d;
}

}  // namespace sprocket::broker
