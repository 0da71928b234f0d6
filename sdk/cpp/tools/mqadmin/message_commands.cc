// Message commands: sendMessage (RocketMQ's SendMessageCommand, through the SDK's
// DefaultMQProducer) and consumeMessage (ConsumeMessageCommand: a pull consumer reading
// queue ranges, here with raw PULL_MESSAGE requests).
#include <cstdio>
#include <ctime>

#include "commands.h"
#include "message_util.h"
#include "queue_reader.h"
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
  QueueReader reader(admin, group, route, kConsumeTimeLimit);
  QueueReader::PrintOptions print;
  print.body = [](const MessageExt& m) { return m.getBody(); };
  print.consume_ok_line = true;
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
      reader.PullRange(mq, min, max, print);
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
  reader.PullRange(mq, min, max, print);
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
