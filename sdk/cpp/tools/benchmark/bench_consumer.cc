// mqbench consumer: a push consumer counting what arrives and how long after it was sent
// (end-to-end latency: the send time mqbench's producer writes into each body, else the
// message's born timestamp at millisecond resolution).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include "bench_common.h"
#include "sprocket/client.h"

namespace sprocket::bench {
namespace {

using Clock = std::chrono::steady_clock;

class CountingListener : public MessageListenerConcurrently {
 public:
  ConsumeStatus consumeMessage(const std::vector<MessageExt>& msgs) override {
    const int64_t now = NowMicros();
    for (const auto& m : msgs) {
      int64_t sent = BodySendMicros(m.getBody());
      if (sent < 0) sent = m.getBornTimestamp() * 1000;
      // Messages sent before we started (a backlog: a new group on a young topic starts
      // from its first message) would only measure how old the backlog is.
      if (sent >= start_us) {
        latency.Record(static_cast<uint64_t>(std::max<int64_t>(0, now - sent)));
      } else {
        backlog.fetch_add(1, std::memory_order_relaxed);
      }
      bytes.fetch_add(m.getBody().size(), std::memory_order_relaxed);
    }
    count.fetch_add(msgs.size(), std::memory_order_relaxed);
    return CONSUME_SUCCESS;
  }
  Histogram latency;
  const int64_t start_us = NowMicros();
  std::atomic<uint64_t> backlog{0};  // sent before the consumer started: not in `latency`
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> bytes{0};
};

}  // namespace

int RunConsumer(const Options& o) {
  CountingListener listener;
  DefaultMQPushConsumer consumer(o.group);
  consumer.setNamesrvAddr(o.namesrv);
  consumer.setInstanceName("mqbench-consumer");
  consumer.setConsumeFromWhere(CONSUME_FROM_LAST_OFFSET);
  consumer.setConsumeMessageBatchMaxSize(32);
  consumer.setConsumeThreadCount(2);
  consumer.subscribe(o.topic, "*");
  consumer.registerMessageListener(&listener);
  try {
    consumer.start();
  } catch (const MQException& e) {
    std::fprintf(stderr, "mqbench: start failed: %s\n", e.what());
    return 1;
  }
  std::printf("consumer: topic %s, group %s, %d s; latency is end to end (sent -> received)\n",
              o.topic.c_str(), o.group.c_str(), o.duration_s);
  const int64_t cpu_before = o.broker_pid > 0 ? ProcessCpuMicros(o.broker_pid) : -1;
  const auto begin = Clock::now();
  Histogram::Snapshot prev = listener.latency.Take();
  uint64_t prev_count = 0, prev_bytes = 0;
  for (int s = 1; s <= o.duration_s; ++s) {
    std::this_thread::sleep_until(begin + std::chrono::seconds(s));
    Histogram::Snapshot now = listener.latency.Take();
    uint64_t count = listener.count, bytes = listener.bytes;
    char label[32];
    std::snprintf(label, sizeof label, "%4ds", s);
    std::printf("%s\n", FormatLine(label, 1.0, count - prev_count, bytes - prev_bytes, now - prev).c_str());
    std::fflush(stdout);
    prev = now;
    prev_count = count;
    prev_bytes = bytes;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  const int64_t cpu_after = o.broker_pid > 0 ? ProcessCpuMicros(o.broker_pid) : -1;
  consumer.shutdown();
  const uint64_t count = listener.count;
  std::printf("%s\n", FormatLine("total", elapsed, count, listener.bytes, listener.latency.Take()).c_str());
  std::printf("summary: %llu messages in %.1f s (%llu sent before the consumer started, not in the latency figures)\n",
              static_cast<unsigned long long>(count), elapsed,
              static_cast<unsigned long long>(listener.backlog.load()));
  if (o.broker_pid > 0 && cpu_before >= 0 && cpu_after >= 0 && count > 0) {
    std::printf("broker pid %d: %.2f us CPU per message consumed, RssAnon %ld KiB\n", o.broker_pid,
                static_cast<double>(cpu_after - cpu_before) / static_cast<double>(count),
                ProcessRssAnonKiB(o.broker_pid));
  }
  return 0;
}

}  // namespace sprocket::bench
