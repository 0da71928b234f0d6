// Topic commands: updateTopic, deleteTopic, topicList, topicRoute, topicStatus
// (RocketMQ's tools/…/command/topic/*SubCommand.java).
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "commands.h"
#include "requests.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::mqadmin {

namespace {

namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;
namespace Perm = protocol::Perm;

constexpr const char* kOrderTopicConfigNamespace = "ORDER_TOPIC_CONFIG";

// PermName.perm2String: "RW-", "R--", "-WX".
std::string PermString(int32_t perm) {
  std::string s = "---";
  if (perm & Perm::kRead) s[0] = 'R';
  if (perm & Perm::kWrite) s[1] = 'W';
  if (perm & Perm::kInherit) s[2] = 'X';
  return s;
}

// TopicConfig.toString().
std::string TopicConfigString(const protocol::TopicConfig& tc) {
  return "TopicConfig [topicName=" + tc.topic_name + ", readQueueNums=" + std::to_string(tc.read_queue_nums) +
         ", writeQueueNums=" + std::to_string(tc.write_queue_nums) + ", perm=" + PermString(tc.perm) +
         ", topicFilterType=" + tc.topic_filter_type + ", topicSysFlag=" + std::to_string(tc.topic_sys_flag) +
         ", order=" + (tc.order ? "true" : "false") + "]";
}

void CreateTopicAt(AdminClient& admin, const std::string& addr, const protocol::TopicConfig& tc) {
  RemotingCommand req = sdk::NewRequest(RC::kUpdateAndCreateTopic);
  req.ext.Set("topic", tc.topic_name);
  req.ext.Set("defaultTopic", std::string("TBW102"));
  req.ext.Set("readQueueNums", int64_t{tc.read_queue_nums});
  req.ext.Set("writeQueueNums", int64_t{tc.write_queue_nums});
  req.ext.Set("perm", int64_t{tc.perm});
  req.ext.Set("topicFilterType", tc.topic_filter_type);
  req.ext.Set("topicSysFlag", int64_t{tc.topic_sys_flag});
  req.ext.SetBool("order", tc.order);
  admin.CallOk(addr, std::move(req));
}

// PUT_KV_CONFIG to every nameserver (MQClientAPIImpl.putKVConfigValue).
void PutKvEverywhere(AdminClient& admin, const std::string& ns, const std::string& key,
                     const std::string& value) {
  for (const auto& addr : admin.namesrvs()) {
    RemotingCommand req = sdk::NewRequest(RC::kPutKvConfig);
    req.ext.Set("namespace", ns);
    req.ext.Set("key", key);
    req.ext.Set("value", value);
    admin.CallOk(addr, std::move(req));
  }
}

// DefaultMQAdminExt.createOrUpdateOrderConf(key, "broker:n", isCluster=false): merges this
// broker's entry into the existing "b1:n;b2:n" value.
std::string MergeOrderConf(AdminClient& admin, const std::string& topic, const std::string& entry) {
  std::map<std::string, std::string> parts;
  RemotingCommand req = sdk::NewRequest(RC::kGetKvConfig);
  req.ext.Set("namespace", std::string(kOrderTopicConfigNamespace));
  req.ext.Set("key", topic);
  RemotingCommand resp = admin.CallNamesrv(req);
  if (resp.code == RS::kSuccess) {
    std::string old(resp.ext.Get("value"));
    size_t start = 0;
    while (start < old.size()) {
      size_t end = old.find(';', start);
      if (end == std::string::npos) end = old.size();
      std::string item = old.substr(start, end - start);
      if (!item.empty()) parts[item.substr(0, item.find(':'))] = item;
      start = end + 1;
    }
  }
  parts[entry.substr(0, entry.find(':'))] = entry;
  std::string merged;
  for (const auto& [broker, item] : parts) {
    if (!merged.empty()) merged += ";";
    merged += item;
  }
  return merged;
}

void RunUpdateTopic(const CommandLine& cl, Context& ctx) {
  protocol::TopicConfig tc;
  tc.topic_name = cl.Value('t');
  tc.read_queue_nums = static_cast<int32_t>(cl.IntValue('r', 8));
  tc.write_queue_nums = static_cast<int32_t>(cl.IntValue('w', 8));
  tc.perm = static_cast<int32_t>(cl.IntValue('p', Perm::kRead | Perm::kWrite));
  // TopicSysFlag.buildSysFlag(unit, hasUnitSub).
  tc.topic_sys_flag = (cl.BoolValue('u', false) ? 0x1 : 0) | (cl.BoolValue('s', false) ? 0x2 : 0);
  tc.order = cl.BoolValue('o', false);
  if (!cl.Has('b') && !cl.Has('c')) throw UsageError("Either -b brokerAddr or -c clusterName is required");
  AdminClient& admin = ctx.admin();
  if (cl.Has('b')) {
    std::string addr = cl.Value('b');
    CreateTopicAt(admin, addr, tc);
    if (tc.order) {
      std::string broker = admin.BrokerNameOf(addr);
      if (broker.empty()) throw CommandError("no broker with address " + addr + " is registered");
      std::string conf = broker + ":" + std::to_string(tc.write_queue_nums);
      PutKvEverywhere(admin, kOrderTopicConfigNamespace, tc.topic_name,
                      MergeOrderConf(admin, tc.topic_name, conf));
      std::printf("set broker orderConf. isOrder=%s, orderConf=[%s]\n", "true", conf.c_str());
    }
    std::printf("create topic to %s success.\n", addr.c_str());
    std::printf("%s\n", TopicConfigString(tc).c_str());
    return;
  }
  std::string cluster = cl.Value('c');
  for (const auto& addr : admin.ClusterAddrs(cluster, /*include_slaves=*/false)) {
    CreateTopicAt(admin, addr, tc);
    std::printf("create topic to %s success.\n", addr.c_str());
  }
  if (tc.order) {
    std::string conf;
    protocol::ClusterInfo info = admin.Cluster();
    for (const auto& broker : info.cluster_addr_table[cluster]) {
      if (!conf.empty()) conf += ";";
      conf += broker + ":" + std::to_string(tc.write_queue_nums);
    }
    PutKvEverywhere(admin, kOrderTopicConfigNamespace, tc.topic_name, conf);
    std::printf("set cluster orderConf. isOrder=%s, orderConf=[%s]\n", "true", conf.c_str());
  }
  std::printf("%s\n", TopicConfigString(tc).c_str());
}

void RunDeleteTopic(const CommandLine& cl, Context& ctx) {
  std::string topic = cl.Value('t');
  std::string cluster = cl.Value('c');
  AdminClient& admin = ctx.admin();
  // Masters and slaves, as CommandUtil.fetchMasterAndSlaveAddrByClusterName.
  for (const auto& addr : admin.ClusterAddrs(cluster, /*include_slaves=*/true)) {
    RemotingCommand req = sdk::NewRequest(RC::kDeleteTopicInBroker);
    req.ext.Set("topic", topic);
    admin.CallOk(addr, std::move(req));
  }
  std::printf("delete topic [%s] from cluster [%s] success.\n", topic.c_str(), cluster.c_str());
  for (const auto& addr : admin.namesrvs()) {
    RemotingCommand req = sdk::NewRequest(RC::kDeleteTopicInNamesrv);
    req.ext.Set("topic", topic);
    admin.CallOk(addr, std::move(req));
  }
  std::printf("delete topic [%s] from NameServer success.\n", topic.c_str());
}

void RunTopicList(const CommandLine& cl, Context& ctx) {
  AdminClient& admin = ctx.admin();
  std::set<std::string> topics = admin.AllTopics();
  if (!cl.Has('c')) {
    for (const auto& t : topics) std::printf("%s\n", t.c_str());
    return;
  }
  protocol::ClusterInfo info = admin.Cluster();
  std::printf("%-20s  %-48s  %-48s\n", "#Cluster Name", "#Topic", "#Consumer Group");
  for (const auto& topic : topics) {
    if (topic.rfind("%RETRY%", 0) == 0 || topic.rfind("%DLQ%", 0) == 0) continue;
    std::string cluster;
    std::set<std::string> groups;
    try {
      protocol::TopicRouteData route = admin.Route(topic);
      if (!route.broker_datas.empty()) {
        const std::string& broker = route.broker_datas.front().broker_name;
        for (const auto& [name, brokers] : info.cluster_addr_table) {
          if (brokers.count(broker)) {
            cluster = name;
            break;
          }
        }
      }
      // QUERY_TOPIC_CONSUME_BY_WHO on every broker of the route (RocketMQ asks one).
      for (const auto& bd : route.broker_datas) {
        std::string addr = SelectBrokerAddr(bd);
        if (addr.empty()) continue;
        auto g = admin.GroupsConsuming(addr, topic);
        groups.insert(g.begin(), g.end());
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "topic %s: %s\n", topic.c_str(), e.what());
    }
    if (groups.empty()) groups.insert("");
    for (const auto& g : groups) {
      std::printf("%-20s  %-48s  %-48s\n", Front(cluster, 20).c_str(), Front(topic, 48).c_str(),
                  Front(g, 48).c_str());
    }
  }
}

// Java HashMap<Long,String>.toString(): "{0=127.0.0.1:10911, 1=...}".
std::string AddrsString(const std::map<int64_t, std::string>& addrs) {
  std::string out = "{";
  for (const auto& [id, addr] : addrs) {
    if (out.size() > 1) out += ", ";
    out += std::to_string(id) + "=" + addr;
  }
  return out + "}";
}

void RunTopicRoute(const CommandLine& cl, Context& ctx) {
  protocol::TopicRouteData route = ctx.admin().Route(cl.Value('t'));
  if (!cl.Has('l')) {
    // TopicRouteData.toJson(true): fastjson's pretty form, here as standard JSON (quoted
    // broker ids) so that it can be fed to any JSON tool.
    auto j =
        nlohmann::json::parse(protocol::EncodeTopicRouteData(route, /*standard_json=*/true), nullptr, false);
    if (j.is_discarded()) throw CommandError("cannot render the route as JSON");
    std::printf("%s\n", j.dump(1, '\t').c_str());
    return;
  }
  const char* kFormat = "%-45s %-32s %-50s %-10s %-11s %-5s\n";
  std::map<std::string, protocol::QueueData> queues;
  for (const auto& qd : route.queue_datas) queues[qd.broker_name] = qd;
  std::vector<protocol::BrokerData> brokers = route.broker_datas;
  std::sort(brokers.begin(), brokers.end(),
            [](const auto& a, const auto& b) { return a.broker_name < b.broker_name; });
  std::printf(kFormat, "#ClusterName", "#BrokerName", "#BrokerAddrs", "#ReadQueue", "#WriteQueue", "#Perm");
  int64_t total_read = 0, total_write = 0;
  for (const auto& bd : brokers) {
    const protocol::QueueData& qd = queues[bd.broker_name];
    total_read += qd.read_queue_nums;
    total_write += qd.write_queue_nums;
    std::printf(kFormat, bd.cluster.c_str(), bd.broker_name.c_str(), AddrsString(bd.broker_addrs).c_str(),
                std::to_string(qd.read_queue_nums).c_str(), std::to_string(qd.write_queue_nums).c_str(),
                std::to_string(qd.perm).c_str());
  }
  std::printf("%s\n", std::string(158, '-').c_str());
  std::printf(kFormat, "Total:", std::to_string(queues.size()).c_str(), "",
              std::to_string(total_read).c_str(), std::to_string(total_write).c_str(), "");
}

void RunTopicStatus(const CommandLine& cl, Context& ctx) {
  std::string topic = cl.Value('t');
  AdminClient& admin = ctx.admin();
  protocol::TopicRouteData route = admin.Route(topic);
  // DefaultMQAdminExt.examineTopicStats: every broker of the route, merged.
  protocol::TopicStatsTable merged;
  for (const auto& bd : route.broker_datas) {
    std::string addr = SelectBrokerAddr(bd);
    if (addr.empty()) continue;
    protocol::TopicStatsTable t = admin.TopicStats(addr, topic);
    merged.offset_table.insert(t.offset_table.begin(), t.offset_table.end());
  }
  if (merged.offset_table.empty()) {
    throw CommandError("CODE: 17  DESC: Not found the topic stats info");
  }
  std::printf("%-32s  %-4s  %-20s  %-20s    %s\n", "#Broker Name", "#QID", "#Min Offset", "#Max Offset",
              "#Last Updated");
  for (const auto& [mq, off] : merged.offset_table) {
    std::string when = off.last_update_timestamp > 0 ? FormatDateMillis(off.last_update_timestamp) : "";
    std::printf("%-32s  %-4d  %-20lld  %-20lld    %s\n", Front(mq.broker_name, 32).c_str(), mq.queue_id,
                static_cast<long long>(off.min_offset), static_cast<long long>(off.max_offset), when.c_str());
  }
}

}  // namespace

std::vector<Command> TopicCommands() {
  return {
      {"updateTopic",
       "Update or create topic",
       "UpdateTopicSubCommand",
       {{'b', "brokerAddr", true, false, "create topic to which broker"},
        {'c', "clusterName", true, false, "create topic to which cluster"},
        {'t', "topic", true, true, "topic name"},
        {'r', "readQueueNums", true, false, "set read queue nums"},
        {'w', "writeQueueNums", true, false, "set write queue nums"},
        {'p', "perm", true, false, "set topic's permission(2|4|6), intro[2:W 4:R; 6:RW]"},
        {'o', "order", true, false, "set topic's order(true|false)"},
        {'u', "unit", true, false, "is unit topic (true|false)"},
        {'s', "hasUnitSub", true, false, "has unit sub (true|false)"}},
       RunUpdateTopic},
      {"deleteTopic",
       "Delete topic from broker and NameServer.",
       "DeleteTopicSubCommand",
       {{'t', "topic", true, true, "topic name"},
        {'c', "clusterName", true, true, "delete topic from which cluster"}},
       RunDeleteTopic},
      {"topicList",
       "Fetch all topic list from name server",
       "TopicListSubCommand",
       {{'c', "clusterModel", false, false, "clusterModel"}},
       RunTopicList},
      {"topicRoute",
       "Examine topic route info",
       "TopicRouteSubCommand",
       {{'t', "topic", true, true, "topic name"},
        {'l', "list", false, false, "Use list format to print data"}},
       RunTopicRoute},
      {"topicStatus",
       "Examine topic Status info",
       "TopicStatusSubCommand",
       {{'t', "topic", true, true, "topic name"}},
       RunTopicStatus},
  };
}

}  // namespace sprocket::mqadmin
