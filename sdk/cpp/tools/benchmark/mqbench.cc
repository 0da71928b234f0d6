// mqbench: how fast a Sprocket (or RocketMQ) cluster takes and delivers messages, like
// RocketMQ's benchmark/producer.sh and consumer.sh.
//
//   mqbench producer -n ns -t topic [-s size] [-w producers] [-i inflight] [-d seconds]
//                    [-r msgs/s] [-c] [-p|--broker-pid brokerPid]
//   mqbench consumer -n ns -t topic [-g group] [-d seconds] [-p|--broker-pid brokerPid]
//
// Prints one line per second and a summary; see README.md next to this file.
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "bench_common.h"

namespace sprocket::bench {

int64_t ProcessCpuMicros(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name is in parentheses and may contain spaces: count fields after it.
  auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  long long utime = -1, stime = -1;
  for (int i = 3; fields >> f; ++i) {  // field 3 is the state
    if (i == 14) utime = std::atoll(f.c_str());
    if (i == 15) {
      stime = std::atoll(f.c_str());
      break;
    }
  }
  if (utime < 0 || stime < 0) return -1;
  return (utime + stime) * 1000000LL / sysconf(_SC_CLK_TCK);
}

long ProcessRssAnonKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::atol(line.c_str() + 8);
  }
  return -1;
}

BrokerProbe::BrokerProbe(int pid) : pid_(pid), cpu_before_(pid > 0 ? ProcessCpuMicros(pid) : -1) {}

void BrokerProbe::Report(uint64_t messages) const {
  if (pid_ <= 0) return;
  const int64_t cpu_after = ProcessCpuMicros(pid_);
  if (cpu_before_ < 0 || cpu_after < 0) {
    std::printf("broker pid %d: /proc not readable\n", pid_);
    return;
  }
  const double per_msg = messages > 0 ? static_cast<double>(cpu_after - cpu_before_) / messages : 0;
  std::printf("broker pid %d: %.2f us CPU per message (%.2f s CPU over %llu messages), RssAnon %ld KiB\n",
              pid_, per_msg, static_cast<double>(cpu_after - cpu_before_) / 1e6,
              static_cast<unsigned long long>(messages), ProcessRssAnonKiB(pid_));
}

std::string MakeBody(int size, int64_t send_micros) {
  std::string body = "mqbench " + std::to_string(send_micros) + ";";
  if (static_cast<int>(body.size()) < size) body.resize(static_cast<size_t>(size), 'x');
  return body;
}

int64_t BodySendMicros(const std::string& body) {
  if (body.rfind("mqbench ", 0) != 0) return -1;
  return std::atoll(body.c_str() + 8);
}

std::string FormatLine(const char* label, double seconds, uint64_t msgs, uint64_t bytes,
                       const Histogram::Snapshot& latency) {
  char line[256];
  const double rate = seconds > 0 ? static_cast<double>(msgs) / seconds : 0;
  const double mbps = seconds > 0 ? static_cast<double>(bytes) / seconds / (1024.0 * 1024.0) : 0;
  std::snprintf(line, sizeof line, "%-8s %8.0f msg/s %8.1f MB/s  p50 %6llu us  p99 %6llu us  p999 %6llu us",
                label, rate, mbps, static_cast<unsigned long long>(latency.Percentile(0.5)),
                static_cast<unsigned long long>(latency.Percentile(0.99)),
                static_cast<unsigned long long>(latency.Percentile(0.999)));
  return line;
}

}  // namespace sprocket::bench

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: mqbench producer -n namesrv -t topic [-s messageSize=1024] [-w producers=1]\n"
               "                        [-i inflightPerProducer=256] [-d seconds=10] [-r msgsPerSecond=0]\n"
               "                        [-c] [-p|--broker-pid brokerPid] [--serialize JSON|ROCKETMQ]\n"
               "       mqbench consumer -n namesrv -t topic [-g group=benchmark_consumer] [-d seconds=10]\n"
               "                        [-p|--broker-pid brokerPid]\n"
               "  -r 0 sends as fast as the in-flight window allows; -c lets the SDK compress bodies\n"
               "  (off by default: benchmark bytes are what goes on the wire); -p reports the broker's\n"
               "  CPU microseconds per message and its RssAnon. --serialize picks the request header\n"
               "  format (default: $ROCKETMQ_SERIALIZE_TYPE, else JSON).\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    Usage();
    return argc < 2 ? 2 : 0;
  }
  const std::string mode = argv[1];
  sprocket::bench::Options o;
  if (const char* ns = std::getenv("NAMESRV_ADDR")) o.namesrv = ns;
  optind = 2;
  int opt;
  static const option kLong[] = {{"broker-pid", required_argument, nullptr, 'p'},
                                 {"serialize", required_argument, nullptr, 'S'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  while ((opt = getopt_long(argc, argv, "n:t:g:s:w:i:d:r:p:ch", kLong, nullptr)) != -1) {
    switch (opt) {
      case 'n': o.namesrv = optarg; break;
      case 't': o.topic = optarg; break;
      case 'g': o.group = optarg; break;
      case 's': o.message_size = std::atoi(optarg); break;
      case 'w': o.producers = std::atoi(optarg); break;
      case 'i': o.inflight = std::atoi(optarg); break;
      case 'd': o.duration_s = std::atoi(optarg); break;
      case 'r': o.rate = std::atol(optarg); break;
      case 'p': o.broker_pid = std::atoi(optarg); break;
      case 'c': o.compress = true; break;
      case 'S':
        // The SDK reads RocketMQ's variable once, at the first send.
        if (std::strcmp(optarg, "ROCKETMQ") != 0 && std::strcmp(optarg, "JSON") != 0) {
          std::fprintf(stderr, "mqbench: --serialize takes JSON or ROCKETMQ\n");
          return 2;
        }
        setenv("ROCKETMQ_SERIALIZE_TYPE", optarg, 1);
        break;
      case 'h': Usage(); return 0;
      default: Usage(); return 2;
    }
  }
  if (o.message_size < 1 || o.producers < 1 || o.inflight < 1 || o.duration_s < 1 || o.rate < 0) {
    std::fprintf(stderr, "mqbench: sizes, counts and durations must be positive\n");
    return 2;
  }
  if (mode == "producer") return sprocket::bench::RunProducer(o);
  if (mode == "consumer") return sprocket::bench::RunConsumer(o);
  std::fprintf(stderr, "mqbench: unknown mode '%s'\n", mode.c_str());
  Usage();
  return 2;
}
