// BrokerStats: the broker's traffic counters behind GET_BROKER_RUNTIME_INFO (28) and the
// consume TPS of GET_CONSUME_STATS (208) — RocketMQ's StoreStatsService, BrokerStats and
// BrokerStatsManager's per-group GET_NUMS, reduced to what mqadmin and the dashboard read.
//
// Writers are the send path (one call per stored message batch) and the pull path (one
// call per answered pull). The broker-wide totals are relaxed atomics; the per
// (group, topic) counters sit behind a shared lock taken in shared mode on the pull path.
//
// A sampler thread snapshots the totals once a second into a 10-minute ring; TPS figures
// are differences between snapshots (RocketMQ samples the same way: putTps is "10 s, 1 min,
// 10 min" in one string). It also rolls the "today morning" / "yesterday morning" totals at
// local midnight, as RocketMQ's BrokerStats does, and forgets (group, topic) counters
// nobody pulled for 10 minutes.
//
// The sampler is a plain thread rather than a PeriodicTask on the I/O pool because the
// stats live in BrokerContext, which outlives the pool (mqbroker stops the pool before the
// controller is destroyed); the thread needs nothing but itself to stop.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>

namespace sprocket::broker {

class BrokerStats {
 public:
  BrokerStats() : BrokerStats(/*start_sampler=*/true) {}
  // Tests pass false and call Sample themselves.
  explicit BrokerStats(bool start_sampler);
  ~BrokerStats();
  BrokerStats(const BrokerStats&) = delete;
  BrokerStats& operator=(const BrokerStats&) = delete;

  // --- hot path -------------------------------------------------------------------------
  // `n` messages were stored (send path, after the store accepted them).
  void OnMessagesStored(int64_t n) { put_total_.fetch_add(n, std::memory_order_relaxed); }
  // A pull of (group, topic, queue) was answered over session `session_id` with
  // `messages` messages (0 when nothing was found).
  void OnPull(std::string_view group, std::string_view topic, int64_t queue_id, uint64_t session_id,
              size_t messages);

  // --- readers --------------------------------------------------------------------------
  int64_t PutTotal() const { return put_total_.load(std::memory_order_relaxed); }
  int64_t GetTotal() const { return get_total_.load(std::memory_order_relaxed); }

  // RocketMQ's StoreStatsService strings: three rates over the last 10 s, 60 s and 600 s,
  // "%.2f %.2f %.2f" (a shorter uptime uses what has been sampled so far).
  std::string PutTps() const;             // messages stored per second
  std::string GetTransferredTps() const;  // messages returned by pulls per second
  std::string GetFoundTps() const;        // pulls that returned messages per second
  std::string GetMissTps() const;         // pulls that returned none per second
  std::string GetTotalTps() const;        // pulls per second

  // Messages/s the group pulled from `topic` over the last minute (RocketMQ's
  // tpsGroupGetNums); 0 when unknown.
  double GroupGetTps(std::string_view group, std::string_view topic) const;
  // The session that last pulled (group, topic, queue), if any did since it was tracked.
  std::optional<uint64_t> LastPuller(std::string_view group, std::string_view topic, int32_t queue_id) const;

  struct Daily {
    int64_t put_yesterday_morning = 0, put_today_morning = 0, put_now = 0;
    int64_t get_yesterday_morning = 0, get_today_morning = 0, get_now = 0;
  };
  Daily DailyTotals() const;
  int64_t boot_time_ms() const { return boot_time_ms_; }

  // Takes one snapshot (the sampler calls this every second). `steady_ms` orders samples;
  // `wall_ms` decides the midnight roll.
  void Sample(int64_t steady_ms, int64_t wall_ms);

 private:
  struct Snapshot {
    int64_t t_ms = 0;
    int64_t put = 0, get = 0, found = 0, miss = 0;
  };
  struct GroupTopic {
    std::atomic<int64_t> messages{0};
    std::atomic<int64_t> pulls{0};
    mutable std::mutex mu;                            // guards the fields below
    std::map<int32_t, uint64_t> last_puller;          // queue id -> session id
    std::deque<std::pair<int64_t, int64_t>> samples;  // (t_ms, messages), last minute
    int64_t pulls_seen = -1;
    int idle_samples = 0;
  };
  using TopicMap = std::map<std::string, std::unique_ptr<GroupTopic>, std::less<>>;

  std::string Rates(int64_t (*value)(const Snapshot&)) const;
  void Run();

  std::atomic<int64_t> put_total_{0};
  std::atomic<int64_t> get_total_{0};
  std::atomic<int64_t> found_total_{0};
  std::atomic<int64_t> miss_total_{0};
  const int64_t boot_time_ms_;

  mutable std::mutex ring_mu_;  // guards ring_ and the daily fields
  std::deque<Snapshot> ring_;
  int64_t day_ = -1;
  int64_t put_today_morning_ = 0, put_yesterday_morning_ = 0;
  int64_t get_today_morning_ = 0, get_yesterday_morning_ = 0;

  mutable std::shared_mutex groups_mu_;
  std::map<std::string, TopicMap, std::less<>> groups_;  // group -> topic ->

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stop_ = false;
  std::thread sampler_;
};

}  // namespace sprocket::broker
