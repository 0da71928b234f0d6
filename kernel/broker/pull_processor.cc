// PULL_MESSAGE (11): checks, subscription lookup, store read with the tag filter, status
// mapping, offset commit, and long polling (PROTOCOL.md §3.2; RocketMQ's
// PullMessageProcessor and DefaultMessageStore.getMessage).
#include <algorithm>

#include "broker/broker_context.h"
#include "common/logging.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::broker {
namespace {

namespace RS = protocol::ResponseCode;
namespace PSF = protocol::PullSysFlag;
namespace Perm = protocol::Perm;

// The longest hold we grant, whatever the client asks (the Java client asks 15 s and
// gives up after 30 s).
constexpr int64_t kMaxHoldMillis = 60000;

const char* OutcomeName(ReadOutcome o) {
  switch (o) {
    case ReadOutcome::kFound: return "FOUND";
    case ReadOutcome::kNoMessageInQueue: return "NO_MESSAGE_IN_QUEUE";
    case ReadOutcome::kNoMatchedLogicQueue: return "NO_MATCHED_LOGIC_QUEUE";
    case ReadOutcome::kOffsetTooSmall: return "OFFSET_TOO_SMALL";
    case ReadOutcome::kOffsetOverflowOne: return "OFFSET_OVERFLOW_ONE";
    case ReadOutcome::kOffsetOverflowBadly: return "OFFSET_OVERFLOW_BADLY";
    case ReadOutcome::kNoMatchedMessage: return "NO_MATCHED_MESSAGE";
    case ReadOutcome::kMessageWasRemoving: return "MESSAGE_WAS_REMOVING";
    case ReadOutcome::kOffsetFoundNull: return "OFFSET_FOUND_NULL";
  }
  return "UNKNOWN";
}

class PullProcessor {
 public:
  explicit PullProcessor(BrokerContext& ctx) : ctx_(ctx) {}

  void Process(const Exchange& ex, const RemotingCommand& req, bool allow_suspend);

 private:
  BrokerContext& ctx_;
};

void PullProcessor::Process(const Exchange& ex, const RemotingCommand& req, bool allow_suspend) {
  auto group = RequireField(ex, req, "consumerGroup");
  if (!group) return;
  auto topic_v = RequireField(ex, req, "topic");
  if (!topic_v) return;
  auto queue_id = RequireInt(ex, req, "queueId");
  if (!queue_id) return;
  auto queue_offset = RequireInt(ex, req, "queueOffset");
  if (!queue_offset) return;
  auto max_msg_nums = RequireInt(ex, req, "maxMsgNums");
  if (!max_msg_nums) return;
  auto sys_flag = RequireInt(ex, req, "sysFlag");
  if (!sys_flag) return;
  std::string topic(*topic_v);
  std::string group_name(*group);
  int64_t commit_offset = req.ext.GetInt("commitOffset").value_or(-1);
  int64_t suspend_ms = req.ext.GetInt("suspendTimeoutMillis").value_or(15000);
  int64_t sub_version = req.ext.GetInt("subVersion").value_or(0);
  bool has_suspend = (*sys_flag & PSF::kSuspend) != 0;
  bool has_commit = (*sys_flag & PSF::kCommitOffset) != 0;
  bool has_subscription = (*sys_flag & PSF::kSubscription) != 0;

  auto reply_error = [&](int32_t code, std::string remark) { ex.ReplyCode(code, std::move(remark)); };

  if ((ctx_.config.broker_permission & Perm::kRead) == 0) {
    return reply_error(RS::kNoPermission, "the broker[" + ctx_.config.broker_ip1 + "] pulling message is forbidden");
  }
  auto group_config = ctx_.groups.FindOrCreate(group_name);
  if (!group_config) {
    return reply_error(RS::kSubscriptionGroupNotExist, "subscription group [" + group_name + "] does not exist");
  }
  if (!group_config->consume_enable) {
    return reply_error(RS::kNoPermission, "subscription group no permission, " + group_name);
  }
  auto tc = ctx_.topics.Find(topic);
  if (!tc) return reply_error(RS::kTopicNotExist, "topic[" + topic + "] not exist, apply first please!");
  if ((tc->perm & Perm::kRead) == 0) {
    return reply_error(RS::kNoPermission, "the topic[" + topic + "] pulling message is forbidden");
  }
  if (*queue_id < 0 || *queue_id >= tc->read_queue_nums) {
    return reply_error(RS::kSystemError, "queueId[" + std::to_string(*queue_id) + "] is illegal, topic:[" + topic +
                                             "] topicConfig.readQueueNums:[" + std::to_string(tc->read_queue_nums) +
                                             "] consumer:[" + ex.session()->Peer() + "]");
  }

  protocol::SubscriptionData sub;
  if (has_subscription) {
    std::string expr(req.ext.Get("subscription", "*"));
    std::string type(req.ext.Get("expressionType", "TAG"));
    if (type != "TAG") {
      return reply_error(RS::kSystemError, "The broker does not support consumer to filter message by " + type);
    }
    sub = protocol::BuildTagSubscription(topic, expr, sub_version);
  } else {
    auto info = ctx_.consumers.FindGroup(group_name);
    if (!info) {
      return reply_error(RS::kSubscriptionNotExist, "the consumer's group info not exist");
    }
    if (!group_config->consume_broadcast_enable &&
        info->message_model == protocol::MessageModel::kBroadcasting) {
      return reply_error(RS::kNoPermission, "the consumer group[" + group_name + "] can not consume by broadcast way");
    }
    auto it = info->subscriptions.find(topic);
    if (it == info->subscriptions.end()) {
      return reply_error(RS::kSubscriptionNotExist, "the consumer's subscription not exist");
    }
    if (it->second.sub_version < sub_version) {
      return reply_error(RS::kSubscriptionNotLatest, "the consumer's subscription not latest");
    }
    sub = it->second;
    if (sub.expression_type != "TAG" && !sub.expression_type.empty()) {
      return reply_error(RS::kSystemError, "The broker does not support consumer to filter message by " + sub.expression_type);
    }
  }

  TagFilter filter;
  filter.match_all = sub.sub_string.empty() || sub.sub_string == "*";
  filter.codes = sub.code_set;
  ReadLimits limits;
  // RocketMQ's maxTransfer{Count,Bytes}OnMessageIn{Memory,Disk}; the store picks the pair.
  limits.max_count = static_cast<int32_t>(
      std::clamp<int64_t>(*max_msg_nums, 1, ctx_.config.max_transfer_count_in_memory));
  limits.max_bytes = ctx_.config.max_transfer_bytes_in_memory;
  limits.max_count_on_disk = std::min(limits.max_count, ctx_.config.max_transfer_count_on_disk);
  limits.max_bytes_on_disk = ctx_.config.max_transfer_bytes_on_disk;
  ReadQueueResult r = ctx_.store.ReadQueue(topic, static_cast<int32_t>(*queue_id), QueueOffset(*queue_offset),
                                           limits, filter);
  if (!r.status.ok()) {
    return reply_error(RS::kSystemError, "store read failed: " + r.status.ToString());
  }
  const int64_t offset = *queue_offset;
  const int64_t min = r.min_offset.value, max = r.max_offset.value;

  int32_t code = RS::kSystemError;
  int64_t next = offset;
  switch (r.outcome) {
    case ReadOutcome::kFound:
      code = RS::kSuccess;
      next = r.next_offset.value;
      break;
    case ReadOutcome::kNoMatchedMessage:
    case ReadOutcome::kMessageWasRemoving:
      code = RS::kPullRetryImmediately;
      next = r.next_offset.value;
      break;
    case ReadOutcome::kOffsetFoundNull:
      code = RS::kPullNotFound;
      next = r.next_offset.value;
      break;
    case ReadOutcome::kNoMessageInQueue:
    case ReadOutcome::kNoMatchedLogicQueue:
      code = offset != 0 ? RS::kPullOffsetMoved : RS::kPullNotFound;
      next = 0;
      break;
    case ReadOutcome::kOffsetOverflowOne:
      code = RS::kPullNotFound;
      next = offset;
      break;
    case ReadOutcome::kOffsetOverflowBadly:
      code = RS::kPullOffsetMoved;
      next = min == 0 ? min : max;  // DefaultMessageStore.getMessage does exactly this
      break;
    case ReadOutcome::kOffsetTooSmall:
      code = RS::kPullOffsetMoved;
      next = min;
      break;
  }

  ctx_.stats.OnPull(group_name, topic, *queue_id, ex.session()->Id(), code == RS::kSuccess ? r.records.size() : 0);
  // The offset is committed once per request, not again when a held pull is replayed.
  if (allow_suspend && has_commit) {
    ctx_.offsets.Commit(group_name, topic, static_cast<int32_t>(*queue_id), commit_offset);
  }

  if (code == RS::kPullNotFound && allow_suspend && has_suspend) {
    int64_t hold = ctx_.config.long_polling_enable ? suspend_ms : ctx_.config.short_polling_time_mills;
    hold = std::clamp<int64_t>(hold, 0, kMaxHoldMillis);
    HeldPull held{ex, req, topic, static_cast<int32_t>(*queue_id), offset};
    ctx_.holds->Hold(std::move(held), std::chrono::milliseconds(hold));
    return;
  }

  RemotingCommand resp;
  resp.code = code;
  resp.remark = OutcomeName(r.outcome);
  resp.ext.Set("suggestWhichBrokerId", int64_t{0});
  resp.ext.Set("nextBeginOffset", next);
  resp.ext.Set("minOffset", min);
  resp.ext.Set("maxOffset", max);
  if (code == RS::kSuccess) {
    ex.ReplyParts(std::move(resp), r.records, std::move(r.hold));
  } else {
    ex.Reply(std::move(resp));
  }
}

}  // namespace

void RegisterPullHandlers(BrokerContext& ctx) {
  auto processor = std::make_shared<PullProcessor>(ctx);
  BrokerContext* c = &ctx;
  ctx.holds = std::make_unique<PullHoldService>(
      ctx.runtime.pool(),
      [processor](HeldPull& held) { processor->Process(held.exchange, held.request, /*allow_suspend=*/false); },
      [c](const std::string& topic, int32_t queue_id) {
        return c->store.QueueRange(topic, queue_id).max_offset.value;
      });
  RemotingServer& server = ctx.runtime.server();
  server.Register(protocol::RequestCode::kPullMessage,
                  [processor](const Exchange& ex, RemotingCommand& req, std::string_view) {
                    processor->Process(ex, req, /*allow_suspend=*/true);
                  });
  // RocketMQ's VIP ("fast") server has no pull processor.
  server.RefuseOnListener(protocol::RequestCode::kPullMessage, "vip");
}

}  // namespace sprocket::broker
