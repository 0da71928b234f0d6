// Message commands: sendMessage (RocketMQ's SendMessageCommand, through the SDK's
// DefaultMQProducer) and consumeMessage (ConsumeMessageCommand: a pull consumer reading
// queue ranges, here with raw PULL_MESSAGE requests).
#include <cstdio>
#include <ctime>

#include "commands.h"
#include "message_util.h"
#include "requests.h"
#include "sprocket/client.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"
#include "topic_route.h"

namespace sprocket::mqadmin {

namespace {

namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;

// consumeMessage stops after this long whatever is left (each pull is bounded too).
constexpr auto kConsumeTimeLimit = std::chrono::seconds(60);
constexpr auto kPullTimeout = std::chrono::milliseconds(10000);

void PrintSendResult(const std::string& broker, const std::string& queue, const std::string& status,
                     const std::string& msg_id) {
  std::printf("%-32s  %-4s  %-20s    %s\n", "#Broker Name", "#QID", "#Send Result", "#MsgId");
  std::printf("%-32s  %-4s  %-20s    %s\n", broker.c_str(), queue.c_str(), status.c_str(), msg_id.c_str());
}

// producer.send(msg, messageQueue): the SDK producer has no send-to-queue call, so this is
// the SEND_MESSAGE_V2 it would make.
void SendToQueue(Context& ctx, const std::string& group, const Message& msg, const std::string& broker,
                 int32_t queue_id) {
  AdminClient& admin = ctx.admin();
  protocol::TopicRouteData route = admin.Route(msg.getTopic());
  std::string addr = MasterAddr(route, broker);
  if (addr.empty()) throw CommandError("The broker[" + broker + "] not exist");
  protocol::MessageProperties props;
  for (const auto& [k, v] : msg.getProperties()) props.Set(k, v);
  std::string uniq = protocol::NewUniqueMessageId();
  props.Set(protocol::Prop::kUniqKey, uniq);
  props.Set(protocol::Prop::kWaitStoreMsgOk, "true");
  sdk::SendMessageHeader h;
  h.producer_group = group;
  h.topic = msg.getTopic();
  h.queue_id = queue_id;
  h.born_timestamp = NowMillis();
  h.properties = props.Encode();
  RemotingCommand resp = admin.Call(addr, sdk::BuildSendMessageV2Request(h, msg.getBody()));
  const char* status = nullptr;
  switch (resp.code) {
    case RS::kSuccess:
      status = "SEND_OK";
      break;
    case RS::kFlushDiskTimeout:
      status = "FLUSH_DISK_TIMEOUT";
      break;
    case RS::kFlushSlaveTimeout:
      status = "FLUSH_SLAVE_TIMEOUT";
      break;
    case RS::kSlaveNotAvailable:
      status = "SLAVE_NOT_AVAILABLE";
      break;
    default:
      throw CommandError(DescribeRefusal(resp));
  }
  auto header = sdk::ParseSendResponseHeader(resp);
  if (!header.ok()) throw CommandError(header.status().ToString());
  PrintSendResult(broker, std::to_string(header->queue_id), status, uniq);
}

void RunSendMessage(const CommandLine& cl, Context& ctx) {
  if (cl.Has('i') && !cl.Has('b')) throw UsageError("Broker name must be set if the queue is chosen!");
  if (ctx.namesrvs().empty()) {
    throw CommandError("no name server address: give -n host:port[;host:port] or set NAMESRV_ADDR");
  }
  Message msg(cl.Value('t'), cl.Value('c'), cl.Value('k'), cl.Value('p'));
  const int64_t queue_id = cl.IntValue('i', -1);
  // RocketMQ names the producer group after the clock, so that each run is its own group.
  const std::string group = std::to_string(NowMillis());
  if (cl.Has('b') && queue_id > -1) {
    SendToQueue(ctx, group, msg, cl.Value('b'), static_cast<int32_t>(queue_id));
    return;
  }
  DefaultMQProducer producer(group);
  producer.setNamesrvAddr(ctx.namesrv_list());
  producer.setInstanceName("mqadmin-" + group);
  producer.start();
  SendResult r;
  try {
    r = producer.send(msg);
  } catch (...) {
    producer.shutdown();
    throw;
  }
  producer.shutdown();
  PrintSendResult(r.getMessageQueue().getBrokerName(), std::to_string(r.getMessageQueue().getQueueId()),
                  SendStatusName(r.getSendStatus()), r.getMsgId());
}

// "1700000000000" or "yyyy-MM-dd#HH:mm:ss:SSS" (local time), as ConsumeMessageCommand reads -s/-e.
int64_t ParseTimestamp(const std::string& v, char opt) {
  char* end = nullptr;
  long long ms = std::strtoll(v.c_str(), &end, 10);
  if (!v.empty() && end == v.c_str() + v.size()) return ms;
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(v.c_str(), "%d-%d-%d#%d:%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &millis) != 7) {
    throw UsageError(std::string("Option -") + opt + ": '" + v +
                     "' is neither milliseconds nor yyyy-MM-dd#HH:mm:ss:SSS");
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&tm)) * 1000 + millis;
}

class QueueReader {
 public:
  QueueReader(AdminClient& admin, std::string group, protocol::TopicRouteData route)
      : admin_(admin),
        group_(std::move(group)),
        route_(std::move(route)),
        deadline_(std::chrono::steady_clock::now() + kConsumeTimeLimit) {}

  std::string AddrOf(const MessageQueue& mq) {
    for (const auto& bd : route_.broker_datas) {
      if (bd.broker_name == mq.getBrokerName()) {
        std::string addr = SelectBrokerAddr(bd);
        if (!addr.empty()) return addr;
      }
    }
    throw CommandError("The broker[" + mq.getBrokerName() + "] not exist");
  }

  int64_t Offset(const MessageQueue& mq, int32_t code, int64_t timestamp = 0) {
    RemotingCommand req = code == RC::kSearchOffsetByTimestamp
                              ? sdk::BuildSearchOffsetRequest(mq.getTopic(), mq.getQueueId(), timestamp)
                              : sdk::NewRequest(code);
    req.ext.Set("topic", mq.getTopic());
    req.ext.Set("queueId", int64_t{mq.getQueueId()});
    RemotingCommand resp = admin_.CallOk(AddrOf(mq), std::move(req));
    auto offset = sdk::ParseOffsetResponse(resp);
    if (!offset.ok()) throw CommandError(offset.status().ToString());
    return *offset;
  }

  // DefaultMQPullConsumer.pull(mq, "*", offset, n) from `from` up to `to` (exclusive),
  // printing what it finds the way ConsumeMessageCommand does.
  void PullRange(const MessageQueue& mq, int64_t from, int64_t to) {
    const std::string addr = AddrOf(mq);
    int64_t offset = from;
    while (offset < to) {
      if (std::chrono::steady_clock::now() > deadline_) {
        throw CommandError("time limit of " + std::to_string(kConsumeTimeLimit.count()) +
                           " s reached after " + std::to_string(printed_) + " messages");
      }
      sdk::PullMessageHeader h;
      h.consumer_group = group_;
      h.topic = mq.getTopic();
      h.queue_id = mq.getQueueId();
      h.queue_offset = offset;
      h.max_msg_nums = static_cast<int32_t>(std::min<int64_t>(32, to - offset));
      h.sys_flag = protocol::PullSysFlag::kSubscription;  // no commit, no long poll
      h.commit_offset = 0;
      h.suspend_timeout_millis = 20000;
      h.subscription = "*";
      h.sub_version = NowMillis();
      auto r = admin_.Call(addr, sdk::BuildPullMessageRequest(h));
      auto header = sdk::ParsePullResponseHeader(r);
      switch (r.code) {
        case RS::kSuccess: {
          if (!header.ok()) throw CommandError(header.status().ToString());
          auto records = protocol::DecodeRecords(r.body);
          if (!records.ok()) throw CommandError("bad pull body: " + records.status().ToString());
          std::printf("Consume ok\n");
          for (auto& rec : *records) {
            if (rec.queue_offset >= to) break;
            MessageExt m = sdk::ToMessageExt(std::move(rec));
            std::printf("MSGID: %s %s BODY: %s\n", m.getMsgId().c_str(), m.toString().c_str(),
                        m.getBody().c_str());
            ++printed_;
          }
          offset = header->next_begin_offset;
          break;
        }
        case RS::kPullRetryImmediately:
          if (!header.ok()) throw CommandError(header.status().ToString());
          offset = header->next_begin_offset;
          std::printf("%s no matched msg. status=NO_MATCHED_MSG, offset=%lld\n", mq.toString().c_str(),
                      static_cast<long long>(offset));
          break;
        case RS::kPullNotFound:
        case RS::kPullOffsetMoved:
          if (header.ok()) offset = header->next_begin_offset;
          std::printf("%s print msg finished. status=%s, offset=%lld\n", mq.toString().c_str(),
                      r.code == RS::kPullNotFound ? "NO_NEW_MSG" : "OFFSET_ILLEGAL",
                      static_cast<long long>(offset));
          return;
        default:
          throw CommandError(DescribeRefusal(r));
      }
    }
  }

 private:
  AdminClient& admin_;
  std::string group_;
  protocol::TopicRouteData route_;
  std::chrono::steady_clock::time_point deadline_;
  int64_t printed_ = 0;
};

void RunConsumeMessage(const CommandLine& cl, Context& ctx) {
  const std::string topic = cl.Value('t');
  const int64_t count = cl.IntValue('c', 128);
  if (count <= 0) throw UsageError("please input a positive messageNumber!");
  if (cl.Has('i') && !cl.Has('b')) throw UsageError("Please set the brokerName before queueId!");
  if (cl.Has('o') && !cl.Has('i')) throw UsageError("please set queueId before offset!");
  const int64_t begin_ts = cl.Has('s') ? ParseTimestamp(cl.Value('s'), 's') : 0;
  const int64_t end_ts = cl.Has('e') ? ParseTimestamp(cl.Value('e'), 'e') : 0;
  const std::string group = cl.Value('g', "TOOLS_CONSUMER");

  AdminClient& admin = ctx.admin();
  protocol::TopicRouteData route = admin.Route(topic);
  QueueReader reader(admin, group, route);
  auto range = [&](const MessageQueue& mq, int64_t* min, int64_t* max) {
    *min = begin_ts > 0 ? reader.Offset(mq, RC::kSearchOffsetByTimestamp, begin_ts)
                        : reader.Offset(mq, RC::kGetMinOffset);
    *max = end_ts > 0 ? reader.Offset(mq, RC::kSearchOffsetByTimestamp, end_ts)
                      : reader.Offset(mq, RC::kGetMaxOffset);
  };

  if (!cl.Has('i')) {
    // Every readable queue in order, from its first message, `count` messages in all.
    int64_t left = count;
    for (const auto& mq : sdk::SubscribeQueuesFromRoute(topic, route)) {
      if (left <= 0) break;
      int64_t min = 0, max = 0;
      range(mq, &min, &max);
      if (max - min > left) {
        std::printf("The older %lld message of the %d queue will be provided\n", static_cast<long long>(left),
                    mq.getQueueId());
        max = min + left;
      }
      left -= std::max<int64_t>(max - min, 0);
      reader.PullRange(mq, min, max);
    }
    return;
  }
  MessageQueue mq(topic, cl.Value('b'), static_cast<int>(cl.IntValue('i', 0)));
  int64_t min = 0, max = 0;
  range(mq, &min, &max);
  const int64_t offset = cl.IntValue('o', 0);
  if (offset > max) {
    std::printf("%s no matched msg, offset=%lld\n", mq.toString().c_str(), static_cast<long long>(offset));
    return;
  }
  min = std::max(min, offset);
  if (max - min > count) {
    std::printf("The oldler %lld message will be provided\n", static_cast<long long>(count));
    max = min + count;
  }
  reader.PullRange(mq, min, max);
}

}  // namespace

std::vector<Command> MessageCommands() {
  return {
      {"sendMessage",
       "Send a message",
       "SendMessageCommand",
       {{'t', "topic", true, true, "Topic name"},
        {'p', "body", true, true, "UTF-8 string format of the message body"},
        {'k', "key", true, false, "Message keys"},
        {'c', "tags", true, false, "Message tags"},
        {'b', "broker", true, false, "Send message to target broker"},
        {'i', "qid", true, false, "Send message to target queue"}},
       RunSendMessage},
      {"consumeMessage",
       "Consume message",
       "ConsumeMessageCommand",
       {{'t', "topic", true, true, "Topic name"},
        {'b', "brokerName", true, false, "Broker name"},
        {'i', "queueId", true, false, "Queue Id"},
        {'o', "offset", true, false, "Queue offset"},
        {'g', "consumerGroup", true, false, "Consumer group name"},
        {'s', "beginTimestamp", true, false, "Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
        {'e', "endTimestamp", true, false, "End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
        {'c', "MessageNumber", true, false, "Number of message to be consumed"}},
       RunConsumeMessage},
  };
}

}  // namespace sprocket::mqadmin
