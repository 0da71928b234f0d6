// Query commands: queryMsgById, queryMsgByKey, queryMsgByUniqueKey and printMsg (RocketMQ's
// QueryMsgByIdSubCommand, QueryMsgByKeySubCommand, QueryMsgByUniqueKeySubCommand and
// PrintMessageSubCommand), with MQAdminImpl's query logic: QUERY_MESSAGE to every broker of
// the topic, then the client's own key check.
#include <algorithm>
#include <climits>
#include <cstdio>

#include "commands.h"
#include "message_view.h"
#include "queue_reader.h"
#include "requests.h"
#include "sprocket/client.h"
#include "sprocket/protocol/codes.h"
#include "topic_route.h"

namespace sprocket::mqadmin {

namespace {

namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;

// ResponseCode.NO_MESSAGE: what MQAdminImpl.queryMessage throws when nothing matched.
constexpr int32_t kNoMessage = 208;
constexpr int32_t kQueryByKeyMaxNum = 64;  // QueryMsgByKeySubCommand
constexpr int32_t kUniqKeyMaxNum = 32;     // MQAdminImpl.queryMessageByUniqKey
constexpr auto kPrintTimeLimit = std::chrono::seconds(300);

std::vector<std::string> SplitTrimmed(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= text.size()) {
    size_t end = text.find(sep, at);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(at, end - at);
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    at = end + 1;
  }
  return out;
}

// The topic's route, or MQAdminImpl's TOPIC_NOT_EXIST when the nameservers have none.
protocol::TopicRouteData QueryRoute(AdminClient& admin, const std::string& topic) {
  RemotingCommand resp = admin.CallNamesrv(sdk::BuildGetRouteInfoRequest(topic));
  if (resp.code == RS::kSuccess) {
    auto route = protocol::DecodeTopicRouteData(resp.body);
    if (!route.ok()) throw CommandError("bad route data for " + topic + ": " + route.status().ToString());
    if (!route->broker_datas.empty()) return std::move(route.value());
  }
  throw CommandError("CODE: " + std::to_string(RS::kTopicNotExist) + "  DESC: The topic[" + topic +
                     "] not matched route info");
}

bool KeysContain(std::string_view keys, std::string_view key) {
  size_t at = 0;
  while (at <= keys.size()) {
    size_t end = keys.find(' ', at);
    if (end == std::string_view::npos) end = keys.size();
    if (keys.substr(at, end - at) == key) return true;
    at = end + 1;
  }
  return false;
}

// MQAdminImpl.queryMessage: every broker of the route (master, else a slave), then the
// client's check — by KEYS for a key query; for a UNIQ_KEY query the msgId, keeping the
// earliest stored. A broker that refuses is skipped, as in Java, but its reason is what
// fails the command when nothing is found anywhere.
std::vector<protocol::MessageExt> QueryMessages(AdminClient& admin, const std::string& topic,
                                                const std::string& key, int32_t max_num, int64_t begin,
                                                int64_t end, bool unique) {
  protocol::TopicRouteData route = QueryRoute(admin, topic);
  protocol::QueryMessageRequestHeader h;
  h.topic = topic;
  h.key = key;
  h.max_num = max_num;
  h.begin_timestamp = begin;
  h.end_timestamp = end;
  h.unique_key = unique;
  std::vector<protocol::MessageExt> found;
  std::string refusal;
  for (const auto& bd : route.broker_datas) {
    const std::string addr = SelectBrokerAddr(bd);
    if (addr.empty()) continue;
    AdminClient::QueryAnswer answer;
    try {
      answer = admin.QueryMessage(addr, h);
    } catch (const CommandError& e) {
      if (refusal.empty()) refusal = e.what();
      continue;
    }
    if (answer.code != RS::kSuccess) {
      if (answer.code != RS::kQueryNotFound && refusal.empty()) {
        refusal = "CODE: " + std::to_string(answer.code) + "  DESC: " + answer.remark;
      }
      continue;
    }
    for (auto& msg : answer.messages) {
      if (unique) {
        if (msg.MsgId() != key) continue;
        if (found.empty()) {
          found.push_back(std::move(msg));
        } else if (found[0].store_timestamp > msg.store_timestamp) {
          found[0] = std::move(msg);
        }
      } else if (KeysContain(msg.Keys(), key)) {
        found.push_back(std::move(msg));
      }
    }
  }
  if (found.empty()) {
    if (!refusal.empty()) throw CommandError(refusal);
    throw CommandError("CODE: " + std::to_string(kNoMessage) +
                       "  DESC: query message by key finished, but no message.");
  }
  return found;
}

[[noreturn]] void ConsumeDirectlyNotBuilt() {
  throw CommandError(
      "not implemented: -g/-d push the message to a consumer (CONSUME_MESSAGE_DIRECTLY, 309), which "
      "Sprocket's broker does not forward to clients");
}

protocol::MessageExt ViewById(AdminClient& admin, const std::string& msg_id) {
  auto id = protocol::DecodeOffsetMsgId(msg_id);
  if (!id.ok()) throw CommandError("invalid message id " + msg_id + ": " + id.status().message());
  return admin.ViewMessage(id->first.ToString(), id->second.value);
}

void RunQueryMsgById(const CommandLine& cl, Context& ctx) {
  const std::vector<std::string> ids = SplitTrimmed(cl.Value('i'), ',');
  if (cl.Has('g') && cl.Has('d')) ConsumeDirectlyNotBuilt();
  AdminClient& admin = ctx.admin();
  if (cl.Has('s')) {
    if (!cl.BoolValue('s', false)) return;
    // sendMsg: the stored message sent again, properties and all, by a producer of its own.
    DefaultMQProducer producer("ReSendMsgById");
    producer.setNamesrvAddr(ctx.namesrv_list());
    producer.setInstanceName("mqadmin-" + std::to_string(NowMillis()));
    producer.start();
    try {
      for (const auto& id : ids) {
        protocol::MessageExt stored = ViewById(admin, id);
        Message msg;
        msg.setTopic(stored.topic);
        std::map<std::string, std::string> props;
        for (const auto& [k, v] : stored.properties.items()) props[k] = v;
        msg.setProperties(std::move(props));
        msg.setFlag(stored.flag);
        msg.setBody(BodyOf(stored));
        std::printf("prepare resend msg. originalMsgId=%s\n", id.c_str());
        SendResult r = producer.send(msg);
        std::printf("%s\n", r.toString().c_str());
      }
    } catch (...) {
      producer.shutdown();
      throw;
    }
    producer.shutdown();
    return;
  }
  DetailOptions options;
  options.offset_id_line = true;
  if (cl.Has('f')) options.charset = cl.Value('f');
  for (const auto& id : ids) PrintMessageDetail(ctx, ViewById(admin, id), options);
}

void RunQueryMsgByKey(const CommandLine& cl, Context& ctx) {
  const std::string topic = cl.Value('t');
  const std::string key = cl.Value('k');
  const int64_t begin = cl.IntValue('b', 0);
  const int64_t end = cl.IntValue('e', INT64_MAX);
  auto msgs = QueryMessages(ctx.admin(), topic, key, kQueryByKeyMaxNum, begin, end, /*unique=*/false);
  std::printf("%-50s %4s %40s\n", "#Message ID", "#QID", "#Offset");
  for (const auto& m : msgs) {
    std::printf("%-50s %4d %40lld\n", m.MsgId().c_str(), m.queue_id, static_cast<long long>(m.queue_offset));
  }
}

// DefaultMQAdminExtImpl.viewMessage(topic, msgId): an offsetMsgId first, then a UNIQ_KEY
// query from a second before the id's time. Java tries any id that decodes as an
// offsetMsgId (a UNIQ_KEY does too) and waits for the bogus address to fail; here only an
// address the topic is served from is tried.
protocol::MessageExt ViewMessageOfTopic(AdminClient& admin, const std::string& topic,
                                        const std::string& msg_id) {
  if (auto id = protocol::DecodeOffsetMsgId(msg_id); id.ok()) {
    const std::string addr = id->first.ToString();
    protocol::TopicRouteData route = QueryRoute(admin, topic);
    bool served_here = false;
    for (const auto& bd : route.broker_datas) {
      for (const auto& [bid, a] : bd.broker_addrs) served_here = served_here || a == addr;
    }
    if (served_here) {
      try {
        protocol::MessageExt msg = admin.ViewMessage(addr, id->second.value);
        if (msg.topic == topic) return msg;
      } catch (const CommandError&) {
        // "the msgId maybe created by new client": try it as a UNIQ_KEY.
      }
    }
  }
  const int64_t nearly = NearlyTimeFromUniqKey(msg_id);
  const int64_t begin = nearly > 1000 ? nearly - 1000 : 0;
  return std::move(QueryMessages(admin, topic, msg_id, kUniqKeyMaxNum, begin, INT64_MAX, /*unique=*/true)[0]);
}

void RunQueryMsgByUniqueKey(const CommandLine& cl, Context& ctx) {
  const std::string msg_id = cl.Value('i');
  const std::string topic = cl.Value('t');
  if (cl.Has('g') && cl.Has('d')) ConsumeDirectlyNotBuilt();
  DetailOptions options;
  options.offset_id_line = false;
  PrintMessageDetail(ctx, ViewMessageOfTopic(ctx.admin(), topic, msg_id), options);
}

void RunPrintMsg(const CommandLine& cl, Context& ctx) {
  const std::string topic = cl.Value('t');
  const std::string charset = cl.Has('c') ? cl.Value('c') : "UTF-8";
  const std::string subscription = cl.Has('s') ? cl.Value('s') : "*";
  const bool print_body = !cl.Has('d') || cl.BoolValue('d', false);
  if (!DecodeCharset("", charset).ok()) throw UsageError("Unsupported charset: " + charset);
  const int64_t begin = cl.Has('b') ? ParseTimestamp(cl.Value('b'), 'b') : 0;
  const int64_t end = cl.Has('e') ? ParseTimestamp(cl.Value('e'), 'e') : 0;

  AdminClient& admin = ctx.admin();
  protocol::TopicRouteData route = admin.Route(topic);
  QueueReader reader(admin, "TOOLS_CONSUMER", route, kPrintTimeLimit);
  QueueReader::PrintOptions print;
  print.subscription = subscription;
  print.body = [&](const MessageExt& m) -> std::string {
    if (!print_body) return "NOT PRINT BODY";
    auto text = DecodeCharset(m.getBody(), charset);
    return text.ok() ? std::move(text.value()) : m.getBody();
  };
  for (const auto& mq : sdk::SubscribeQueuesFromRoute(topic, route)) {
    int64_t min = reader.Offset(mq, RC::kGetMinOffset);
    int64_t max = reader.Offset(mq, RC::kGetMaxOffset);
    if (cl.Has('b')) min = reader.Offset(mq, RC::kSearchOffsetByTimestamp, begin);
    if (cl.Has('e')) max = reader.Offset(mq, RC::kSearchOffsetByTimestamp, end);
    std::printf("minOffset=%lld, maxOffset=%lld, %s\n", static_cast<long long>(min),
                static_cast<long long>(max), mq.toString().c_str());
    try {
      reader.PullRange(mq, min, max, print);
    } catch (const CommandError& e) {
      // RocketMQ prints the exception and goes on with the next queue.
      std::fflush(stdout);
      std::fprintf(stderr, "%s: %s\n", mq.toString().c_str(), e.what());
    }
    std::printf("--------------------------------------------------------\n");
  }
}

}  // namespace

std::vector<Command> QueryCommands() {
  return {
      {"queryMsgById",
       "Query Message by Id",
       "QueryMsgByIdSubCommand",
       {{'i', "msgId", true, true, "Message Id"},
        {'g', "consumerGroup", true, false, "consumer group name"},
        {'d', "clientId", true, false, "The consumer's client id"},
        {'s', "sendMessage", true, false, "resend message"},
        {'u', "unitName", true, false, "unit name"},
        {'f', "bodyFormat", true, false, "print message body by the specified format"}},
       RunQueryMsgById},
      {"queryMsgByKey",
       "Query Message by Key",
       "QueryMsgByKeySubCommand",
       {{'t', "topic", true, true, "topic name"},
        {'k', "msgKey", true, true, "Message Key"},
        {'b', "beginTimestamp", true, false, "Begin timestamp(ms). default:0, eg:1676730526212"},
        {'e', "endTimestamp", true, false, "End timestamp(ms). default:Long.MAX_VALUE, eg:1676730526212"}},
       RunQueryMsgByKey},
      {"queryMsgByUniqueKey",
       "Query Message by Unique key",
       "QueryMsgByUniqueKeySubCommand",
       {{'i', "msgId", true, true, "Message Id"},
        {'g', "consumerGroup", true, false, "consumer group name"},
        {'d', "clientId", true, false, "The consumer's client id"},
        {'t', "topic", true, true, "The topic of msg"}},
       RunQueryMsgByUniqueKey},
      {"printMsg",
       "Print Message Detail",
       "PrintMessageSubCommand",
       {{'t', "topic", true, true, "topic name"},
        {'c', "charsetName", true, false, "CharsetName(eg: UTF-8,GBK)"},
        {'s', "subExpression", true, false, "Subscribe Expression(eg: TagA || TagB)"},
        {'b', "beginTimestamp", true, false, "Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
        {'e', "endTimestamp", true, false, "End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
        {'d', "printBody", true, false, "print body"}},
       RunPrintMsg},
  };
}

}  // namespace sprocket::mqadmin
