// clusterList (RocketMQ 4.9's ClusterListSubCommand, plus 5.x's -c cluster filter):
// GET_BROKER_CLUSTER_INFO from a nameserver, GET_BROKER_RUNTIME_INFO from every broker.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "commands.h"

namespace sprocket::mqadmin {

namespace {

std::string Get(const std::map<std::string, std::string>& kv, const char* key) {
  auto it = kv.find(key);
  return it == kv.end() ? "" : it->second;
}

// The first number of a "10s 60s 600s" TPS string.
double FirstRate(const std::string& tps) { return tps.empty() ? 0.0 : std::strtod(tps.c_str(), nullptr); }

int64_t ToLong(const std::string& s) { return s.empty() ? 0 : std::strtoll(s.c_str(), nullptr, 10); }

// Every (cluster, brokerName, brokerId, addr) in RocketMQ's print order: clusters and
// broker names sorted, ids ascending.
template <typename Fn>
void ForEachBroker(const protocol::ClusterInfo& info, const std::string& only_cluster, Fn fn) {
  for (const auto& [cluster, names] : info.cluster_addr_table) {
    if (!only_cluster.empty() && cluster != only_cluster) continue;
    for (const auto& name : names) {
      auto data = info.broker_addr_table.find(name);
      if (data == info.broker_addr_table.end()) continue;
      for (const auto& [id, addr] : data->second.broker_addrs) fn(cluster, name, id, addr);
    }
  }
}

void PrintBaseInfo(AdminClient& admin, const std::string& only_cluster) {
  protocol::ClusterInfo info = admin.Cluster();
  if (!only_cluster.empty() && !info.cluster_addr_table.count(only_cluster)) {
    throw CommandError(
        "[error] Make sure the specified clusterName exists or the name server connected to is "
        "correct. (cluster " +
        only_cluster + " not found)");
  }
  const char* kFormat = "%-16s  %-22s  %-4s  %-22s %-16s %19s %19s %10s %5s %6s\n";
  std::printf(kFormat, "#Cluster Name", "#Broker Name", "#BID", "#Addr", "#Version", "#InTPS(LOAD)",
              "#OutTPS(LOAD)", "#PCWait(ms)", "#Hour", "#SPACE");
  ForEachBroker(
      info, only_cluster,
      [&](const std::string& cluster, const std::string& name, int64_t id, const std::string& addr) {
        std::map<std::string, std::string> kv;
        try {
          kv = admin.RuntimeInfo(addr);
        } catch (const std::exception& e) {
          // RocketMQ prints the stack trace and the row with what it has.
          std::fprintf(stderr, "broker %s: %s\n", addr.c_str(), e.what());
        }
        std::string in =
            Format("%9.2f(%s,%sms)", FirstRate(Get(kv, "putTps")), Get(kv, "sendThreadPoolQueueSize").c_str(),
                   Get(kv, "sendThreadPoolQueueHeadWaitTimeMills").c_str());
        std::string out = Format("%9.2f(%s,%sms)", FirstRate(Get(kv, "getTransferedTps")),
                                 Get(kv, "pullThreadPoolQueueSize").c_str(),
                                 Get(kv, "pullThreadPoolQueueHeadWaitTimeMills").c_str());
        // Hours since the oldest stored message. RocketMQ subtracts -1 for an empty store and
        // prints a huge number; an empty store shows 0.00 here.
        int64_t earliest = ToLong(Get(kv, "earliestMessageTimeStamp"));
        double hours = earliest > 0 ? static_cast<double>(NowMillis() - earliest) / 1000.0 / 3600.0 : 0.0;
        std::string ratio = Get(kv, "commitLogDiskRatio");
        double space = ratio.empty() ? 0.0 : std::strtod(ratio.c_str(), nullptr);
        std::printf(kFormat, cluster.c_str(), name.c_str(), std::to_string(id).c_str(), addr.c_str(),
                    Get(kv, "brokerVersionDesc").c_str(), in.c_str(), out.c_str(),
                    Get(kv, "pageCacheLockTimeMills").c_str(), Format("%2.2f", hours).c_str(),
                    Format("%.4f", space).c_str());
      });
}

void PrintMoreStats(AdminClient& admin, const std::string& only_cluster) {
  protocol::ClusterInfo info = admin.Cluster();
  std::printf("%-16s  %-32s %14s %14s %14s %14s\n", "#Cluster Name", "#Broker Name", "#InTotalYest",
              "#OutTotalYest", "#InTotalToday", "#OutTotalToday");
  ForEachBroker(
      info, only_cluster,
      [&](const std::string& cluster, const std::string& name, int64_t, const std::string& addr) {
        int64_t in_yest = 0, out_yest = 0, in_today = 0, out_today = 0;
        try {
          auto kv = admin.RuntimeInfo(addr);
          in_yest =
              ToLong(Get(kv, "msgPutTotalTodayMorning")) - ToLong(Get(kv, "msgPutTotalYesterdayMorning"));
          out_yest =
              ToLong(Get(kv, "msgGetTotalTodayMorning")) - ToLong(Get(kv, "msgGetTotalYesterdayMorning"));
          in_today = ToLong(Get(kv, "msgPutTotalTodayNow")) - ToLong(Get(kv, "msgPutTotalTodayMorning"));
          out_today = ToLong(Get(kv, "msgGetTotalTodayNow")) - ToLong(Get(kv, "msgGetTotalTodayMorning"));
        } catch (const std::exception& e) {
          std::fprintf(stderr, "broker %s: %s\n", addr.c_str(), e.what());
        }
        std::printf("%-16s  %-32s %14lld %14lld %14lld %14lld\n", cluster.c_str(), name.c_str(),
                    static_cast<long long>(in_yest), static_cast<long long>(out_yest),
                    static_cast<long long>(in_today), static_cast<long long>(out_today));
      });
}

void RunClusterList(const CommandLine& cl, Context& ctx) {
  const bool repeat = cl.Has('i');
  const int64_t interval_s = cl.IntValue('i', 1);
  if (repeat && interval_s <= 0) throw UsageError("Option -i expects a positive number of seconds");
  const std::string only_cluster = cl.Value('c');
  AdminClient& admin = ctx.admin();
  // With -i, prints until interrupted, as RocketMQ's does.
  for (int64_t i = 0;; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::seconds(interval_s));
    if (cl.Has('m')) {
      PrintMoreStats(admin, only_cluster);
    } else {
      PrintBaseInfo(admin, only_cluster);
    }
    std::fflush(stdout);
    if (!repeat) break;
  }
}

}  // namespace

std::vector<Command> ClusterCommands() {
  return {
      {"clusterList",
       "List all of clusters",
       "ClusterListSubCommand",
       {{'m', "moreStats", false, false, "Print more stats"},
        {'i', "interval", true, false, "specify intervals numbers, it is in seconds"},
        {'c', "clusterName", true, false, "which cluster"}},
       RunClusterList},
  };
}

}  // namespace sprocket::mqadmin
