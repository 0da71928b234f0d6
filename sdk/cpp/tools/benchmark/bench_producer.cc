// mqbench producer: W producer instances, each with its own client (connection and I/O
// thread) and one sending thread that keeps up to `inflight` asynchronous sends open.
// Latency is measured per send from just before send() to the callback.
#include <algorithm>
#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_common.h"
#include "sprocket/producer.h"

namespace sprocket::bench {

namespace {

using Clock = std::chrono::steady_clock;

struct Totals {
  Histogram latency;
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> last_error_code{0};
};

// One producer instance and its window of in-flight sends. Each slot of the window is a
// preallocated callback, so a send allocates nothing here.
class ProducerWorker {
 public:
  ProducerWorker(const Options& o, int index, Totals* totals)
      : options_(o), totals_(totals), producer_("mqbench_producer") {
    producer_.setNamesrvAddr(o.namesrv);
    producer_.setInstanceName("mqbench-" + std::to_string(index));
    if (!o.compress) producer_.setCompressMsgBodyOverHowmuch(INT_MAX);
    slots_.reserve(static_cast<size_t>(o.inflight));
    for (int i = 0; i < o.inflight; ++i) {
      slots_.push_back(std::make_unique<Slot>(this));
      free_.push_back(slots_.back().get());
    }
  }

  void Start() { producer_.start(); }
  void Shutdown() { producer_.shutdown(); }

  // Sends until `stop`, at most `rate` msgs/s (0: no limit).
  void Run(const std::atomic<bool>& stop, double rate) {
    Message msg(options_.topic, "mqbench", "");
    const auto interval = rate > 0 ? std::chrono::duration<double>(1.0 / rate) : std::chrono::duration<double>(0);
    auto next = Clock::now();
    while (!stop.load(std::memory_order_relaxed)) {
      Slot* slot = Acquire(stop);
      if (slot == nullptr) break;
      if (rate > 0) {
        std::this_thread::sleep_until(next);
        next += std::chrono::duration_cast<Clock::duration>(interval);
        // After a stall, do not burst to catch up more than one second's worth.
        if (Clock::now() - next > std::chrono::seconds(1)) next = Clock::now();
      }
      slot->start_us = NowMicros();
      msg.setBody(MakeBody(options_.message_size, slot->start_us));
      try {
        producer_.send(msg, slot);
      } catch (const MQException& e) {
        slot->onException(e);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // e.g. no route yet
      }
    }
  }

  // Waits up to `limit` for the sends in flight; false when some did not come back.
  bool Drain(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [this] { return free_.size() == slots_.size(); });
  }

 private:
  struct Slot : SendCallback {
    explicit Slot(ProducerWorker* w) : worker(w) {}
    void onSuccess(SendResult&) override {
      const int64_t now = NowMicros();
      worker->totals_->latency.Record(static_cast<uint64_t>(std::max<int64_t>(0, now - start_us)));
      worker->totals_->ok.fetch_add(1, std::memory_order_relaxed);
      worker->totals_->bytes.fetch_add(static_cast<uint64_t>(worker->options_.message_size),
                                       std::memory_order_relaxed);
      worker->Release(this);
    }
    void onException(const MQException& e) override {
      worker->totals_->failures.fetch_add(1, std::memory_order_relaxed);
      worker->totals_->last_error_code.store(static_cast<uint64_t>(e.getResponseCode()));
      static std::atomic<int> printed{0};
      if (printed.fetch_add(1) < 5) std::fprintf(stderr, "send failed: %s\n", e.what());
      worker->Release(this);
    }
    ProducerWorker* worker;
    int64_t start_us = 0;
  };

  Slot* Acquire(const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(mu_);
    while (free_.empty()) {
      if (stop.load(std::memory_order_relaxed)) return nullptr;
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    Slot* s = free_.back();
    free_.pop_back();
    return s;
  }
  void Release(Slot* s) {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      wake = free_.empty();
      free_.push_back(s);
      wake = wake || free_.size() == slots_.size();
    }
    // Only the sender waits, and only on an empty window (or Drain on a full one).
    if (wake) cv_.notify_all();
  }

  const Options& options_;
  Totals* totals_;
  DefaultMQProducer producer_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Slot*> free_;
};

}  // namespace

int RunProducer(const Options& o) {
  Totals totals;
  std::vector<std::unique_ptr<ProducerWorker>> workers;
  try {
    for (int i = 0; i < o.producers; ++i) {
      workers.push_back(std::make_unique<ProducerWorker>(o, i, &totals));
      workers.back()->Start();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mqbench: cannot start producer: %s\n", e.what());
    return 1;
  }
  std::printf("mqbench producer: topic %s, %d B messages, %d producer(s) x %d in flight, %s, %d s\n",
              o.topic.c_str(), o.message_size, o.producers, o.inflight,
              o.rate > 0 ? (std::to_string(o.rate) + " msgs/s").c_str() : "unlimited rate", o.duration_s);
  std::fflush(stdout);

  BrokerProbe probe(o.broker_pid);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const double per_worker_rate = o.rate > 0 ? static_cast<double>(o.rate) / o.producers : 0;
  const auto begin = Clock::now();
  for (auto& w : workers) {
    threads.emplace_back([&stop, &w, per_worker_rate] { w->Run(stop, per_worker_rate); });
  }

  auto previous = totals.latency.Take();
  uint64_t prev_ok = 0, prev_bytes = 0, prev_fail = 0;
  auto tick = begin;
  for (int s = 1; s <= o.duration_s; ++s) {
    tick += std::chrono::seconds(1);
    std::this_thread::sleep_until(tick);
    auto now = totals.latency.Take();
    const uint64_t ok = totals.ok.load(), bytes = totals.bytes.load(), fail = totals.failures.load();
    char label[16];
    std::snprintf(label, sizeof label, "%3ds", s);
    std::printf("%s  failures %llu\n", FormatLine(label, 1.0, ok - prev_ok, bytes - prev_bytes, now - previous).c_str(),
                static_cast<unsigned long long>(fail - prev_fail));
    std::fflush(stdout);
    previous = now;
    prev_ok = ok;
    prev_bytes = bytes;
    prev_fail = fail;
  }
  stop = true;
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  bool drained = true;
  for (auto& w : workers) drained = w->Drain(std::chrono::seconds(10)) && drained;
  auto all = totals.latency.Take();
  const uint64_t ok = totals.ok.load(), fail = totals.failures.load();
  std::printf("%s\n", FormatLine("total", seconds, ok, totals.bytes.load(), all).c_str());
  std::printf("sent %llu, failed %llu%s\n", static_cast<unsigned long long>(ok),
              static_cast<unsigned long long>(fail), drained ? "" : " (some sends never completed)");
  probe.Report(ok);
  std::fflush(stdout);
  for (auto& w : workers) w->Shutdown();
  return fail == 0 && drained ? 0 : 1;
}

}  // namespace sprocket::bench
