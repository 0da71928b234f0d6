// Consumer commands: consumerProgress and consumerConnection (RocketMQ's
// ConsumerProgressSubCommand and ConsumerConnectionSubCommand). Like DefaultMQAdminExt,
// both find a group's brokers through the route of its retry topic %RETRY%<group>.
#include <algorithm>
#include <climits>
#include <cstdio>
#include <map>

#include "commands.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::mqadmin {

namespace {

namespace RS = protocol::ResponseCode;

std::string RefusalText(int code, const std::string& desc) {
  return "CODE: " + std::to_string(code) + "  DESC: " + desc;
}

// The brokers serving a group: its retry topic's route, or `topic`'s when that has none.
protocol::TopicRouteData GroupRoute(AdminClient& admin, const std::string& group, const std::string& topic) {
  try {
    return admin.Route(RetryTopic(group));
  } catch (const CommandError&) {
    if (topic.empty()) throw;
    return admin.Route(topic);
  }
}

// DefaultMQAdminExt.examineConsumeStats: every broker's table merged, TPS summed.
protocol::ConsumeStats ExamineConsumeStats(AdminClient& admin, const std::string& group,
                                           const std::string& topic) {
  protocol::TopicRouteData route = GroupRoute(admin, group, topic);
  protocol::ConsumeStats merged;
  for (const auto& bd : route.broker_datas) {
    std::string addr = SelectBrokerAddr(bd);
    if (addr.empty()) continue;
    protocol::ConsumeStats s = admin.ConsumeStats(addr, group, topic);
    merged.offset_table.insert(s.offset_table.begin(), s.offset_table.end());
    merged.consume_tps += s.consume_tps;
  }
  if (merged.offset_table.empty()) {
    throw CommandError(
        RefusalText(RS::kConsumerNotOnline,
                    "Not found the consumer group consume stats, because return offset table is "
                    "empty, maybe the consumer not consume any message"));
  }
  return merged;
}

// DefaultMQAdminExt.examineConsumerConnectionInfo, asking every broker of the group and
// merging (RocketMQ asks one at random).
protocol::ConsumerConnection ExamineConsumerConnection(AdminClient& admin, const std::string& group,
                                                       const std::string& broker_addr) {
  if (!broker_addr.empty()) return admin.ConsumerConnections(broker_addr, group);
  protocol::TopicRouteData route = admin.Route(RetryTopic(group));
  protocol::ConsumerConnection merged;
  bool any = false;
  std::string last_error;
  for (const auto& bd : route.broker_datas) {
    std::string addr = SelectBrokerAddr(bd);
    if (addr.empty()) continue;
    try {
      protocol::ConsumerConnection cc = admin.ConsumerConnections(addr, group);
      if (!any) {
        merged = cc;
        any = true;
        continue;
      }
      for (auto& c : cc.connection_set) {
        bool known = std::any_of(merged.connection_set.begin(), merged.connection_set.end(),
                                 [&](const protocol::Connection& m) { return m.client_id == c.client_id; });
        if (!known) merged.connection_set.push_back(std::move(c));
      }
      merged.subscription_table.insert(cc.subscription_table.begin(), cc.subscription_table.end());
    } catch (const CommandError& e) {
      last_error = e.what();
    }
  }
  if (!any && !last_error.empty()) throw CommandError(last_error);
  if (merged.connection_set.empty()) {
    throw CommandError(RefusalText(RS::kConsumerNotOnline, "Not found the consumer group connection"));
  }
  return merged;
}

std::string ClientIp(const std::string& addr) {
  if (addr.empty()) return "N/A";
  return addr.substr(0, addr.rfind(':'));
}

void PrintGroupProgress(AdminClient& admin, const std::string& group, const std::string& topic) {
  protocol::ConsumeStats stats = ExamineConsumeStats(admin, group, topic);
  std::printf("%-32s  %-32s  %-4s  %-20s  %-20s  %-20s %-20s  %s\n", "#Topic", "#Broker Name", "#QID",
              "#Broker Offset", "#Consumer Offset", "#Client IP", "#Diff", "#LastTime");
  long long diff_total = 0;
  for (const auto& [mq, w] : stats.offset_table) {  // sorted like Collections.sort(mqList)
    long long diff = static_cast<long long>(w.broker_offset - w.consumer_offset);
    diff_total += diff;
    std::string last = w.last_timestamp > 0 ? FormatDate(w.last_timestamp) : "N/A";
    std::printf("%-32s  %-32s  %-4d  %-20lld  %-20lld  %-20s %-20lld  %s\n", Front(mq.topic, 32).c_str(),
                Front(mq.broker_name, 32).c_str(), mq.queue_id, static_cast<long long>(w.broker_offset),
                static_cast<long long>(w.consumer_offset), ClientIp(w.client_addr).c_str(), diff,
                last.c_str());
  }
  std::printf("\n");
  std::printf("Consume TPS: %.2f\n", stats.consume_tps);
  std::printf("Diff Total: %lld\n", diff_total);
}

// Without -g: one line per group, the groups being those with a %RETRY% topic.
void PrintAllGroups(AdminClient& admin) {
  std::printf("%-32s  %-6s  %-24s %-5s  %-14s  %-7s  %s\n", "#Group", "#Count", "#Version", "#Type", "#Model",
              "#TPS", "#Diff Total");
  for (const auto& topic : admin.AllTopics()) {
    if (topic.rfind("%RETRY%", 0) != 0) continue;
    std::string group = topic.substr(7);
    long long diff_total = 0;
    int tps = 0;
    try {
      protocol::ConsumeStats stats = ExamineConsumeStats(admin, group, "");
      for (const auto& [mq, w] : stats.offset_table) diff_total += w.broker_offset - w.consumer_offset;
      tps = static_cast<int>(stats.consume_tps);
    } catch (const std::exception&) {
      // No offsets yet: RocketMQ logs and prints the row with zeros.
    }
    int count = 0;
    std::string version = "OFFLINE", type, model;
    try {
      protocol::ConsumerConnection cc = ExamineConsumerConnection(admin, group, "");
      count = static_cast<int>(cc.connection_set.size());
      int32_t min_version = INT32_MAX;
      for (const auto& c : cc.connection_set) min_version = std::min(min_version, c.version);
      if (count > 0) {
        version = protocol::MQVersionName(min_version);
        bool pull = cc.consume_type == protocol::ConsumeType::kActively;
        type = pull ? "PULL" : "PUSH";
        if (!pull && cc.message_model) model = protocol::MessageModelName(*cc.message_model);
      }
    } catch (const std::exception&) {
      // Offline group.
    }
    std::printf("%-32s  %-6d  %-24s %-5s  %-14s  %-7d  %lld\n", Front(group, 32).c_str(), count,
                version.c_str(), type.c_str(), model.c_str(), tps, diff_total);
  }
}

void RunConsumerProgress(const CommandLine& cl, Context& ctx) {
  AdminClient& admin = ctx.admin();
  if (cl.Has('g')) {
    PrintGroupProgress(admin, cl.Value('g'), cl.Value('t'));
  } else {
    if (cl.Has('t')) throw UsageError("Option -t needs -g");
    PrintAllGroups(admin);
  }
}

void RunConsumerConnection(const CommandLine& cl, Context& ctx) {
  protocol::ConsumerConnection cc = ExamineConsumerConnection(ctx.admin(), cl.Value('g'), cl.Value('b'));
  std::printf("%-36s %-22s %-10s %s\n", "#ClientId", "#ClientAddr", "#Language", "#Version");
  for (const auto& c : cc.connection_set) {
    std::printf("%-36s %-22s %-10s %s\n", c.client_id.c_str(), c.client_addr.c_str(), c.language.c_str(),
                protocol::MQVersionName(c.version).c_str());
  }
  std::printf("\nBelow is subscription:\n");
  std::printf("%-20s %s\n", "#Topic", "#SubExpression");
  for (const auto& [topic, sub] : cc.subscription_table) {
    std::printf("%-20s %s\n", sub.topic.c_str(), sub.sub_string.c_str());
  }
  std::printf("\n");
  std::printf("ConsumeType: %s\n", cc.consume_type ? protocol::ConsumeTypeName(*cc.consume_type) : "null");
  std::printf("MessageModel: %s\n",
              cc.message_model ? protocol::MessageModelName(*cc.message_model) : "null");
  std::printf("ConsumeFromWhere: %s\n",
              cc.consume_from_where ? protocol::ConsumeFromWhereName(*cc.consume_from_where) : "null");
}

}  // namespace

std::vector<Command> ConsumerCommands() {
  return {
      {"consumerProgress",
       "Query consumers's progress, speed",
       "ConsumerProgressSubCommand",
       {{'g', "groupName", true, false, "consumer group name"},
        {'t', "topicName", true, false, "topic name"}},
       RunConsumerProgress},
      {"consumerConnection",
       "Query consumer's socket connection, client version and subscription",
       "ConsumerConnectionSubCommand",
       {{'g', "consumerGroup", true, true, "consumer group name"},
        {'b', "brokerAddr", true, false, "broker address"}},
       RunConsumerConnection},
  };
}

}  // namespace sprocket::mqadmin
