// What mqbench's producer and consumer modes share: options, clocks, /proc readings of
// the broker, and the per-second report.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "histogram.h"

namespace sprocket::bench {

struct Options {
  std::string namesrv = "127.0.0.1:9876";
  std::string topic = "BenchmarkTest";
  std::string group = "benchmark_consumer";
  int message_size = 1024;
  int producers = 1;
  int inflight = 256;     // per producer
  int duration_s = 10;
  long rate = 0;          // msgs/s over all producers; 0 = as fast as possible
  int broker_pid = 0;     // read CPU and RssAnon of this process
  bool compress = false;  // let the SDK compress large bodies
};

inline int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// utime + stime of a process in µs; -1 when unreadable.
int64_t ProcessCpuMicros(int pid);
// RssAnon of a process in KiB; -1 when unreadable.
long ProcessRssAnonKiB(int pid);

// Bodies produced by mqbench start with "mqbench <send µs>;" so that the consumer can
// measure end-to-end latency to the microsecond.
std::string MakeBody(int size, int64_t send_micros);
// The send time written by MakeBody, or -1.
int64_t BodySendMicros(const std::string& body);

// "  5s  131234 msg/s  128.2 MB/s  p50 812 us  p99 2101 us  p999 3310 us"
std::string FormatLine(const char* label, double seconds, uint64_t msgs, uint64_t bytes,
                       const Histogram::Snapshot& latency);

// Broker CPU and memory over a run: construct before, Report(messages) after.
class BrokerProbe {
 public:
  explicit BrokerProbe(int pid);
  // Prints "broker pid P: X us CPU per message, RssAnon N KiB" (nothing without a pid).
  void Report(uint64_t messages) const;

 private:
  int pid_;
  int64_t cpu_before_;
};

int RunProducer(const Options& o);
int RunConsumer(const Options& o);

}  // namespace sprocket::bench
