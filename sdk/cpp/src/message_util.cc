#include "message_util.h"

#include <algorithm>
#include <array>

#include "log.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::sdk {

MessageExt ToMessageExt(protocol::MessageExt&& record) {
  MessageExt msg;
  msg.setTopic(std::move(record.topic));
  msg.setFlag(record.flag);
  std::map<std::string, std::string> props;
  for (const auto& [k, v] : record.properties.items()) props[k] = v;
  msg.setProperties(std::move(props));
  msg.setOffsetMsgId(record.OffsetMsgId());
  msg.setQueueId(record.queue_id);
  msg.setQueueOffset(record.queue_offset);
  msg.setCommitLogOffset(record.commit_log_offset);
  msg.setStoreTimestamp(record.store_timestamp);
  msg.setBornTimestamp(record.born_timestamp);
  msg.setReconsumeTimes(record.reconsume_times);
  msg.setStoreSize(record.store_size);
  msg.setBodyCRC(record.body_crc);
  msg.setSysFlag(record.sys_flag);
  msg.setBornHost(record.born_host.ToString());
  msg.setStoreHost(record.store_host.ToString());
  msg.setPreparedTransactionOffset(record.prepared_transaction_offset);
  if (record.sys_flag & protocol::MessageSysFlag::kCompressed) {
    auto inflated = protocol::Inflate(record.body);
    if (inflated.ok()) {
      msg.setBody(std::move(inflated).value());
    } else {
      Log().warn("message {} is flagged compressed but does not inflate: {}", msg.getMsgId(),
                 inflated.status().ToString());
      msg.setBody(std::move(record.body));
    }
  } else {
    msg.setBody(std::move(record.body));
  }
  return msg;
}

std::string RetryTopic(const std::string& group) { return "%RETRY%" + group; }

void RestoreRetryTopic(MessageExt* msg, const std::string& group) {
  std::string origin = msg->getProperty("RETRY_TOPIC");
  if (!origin.empty() && msg->getTopic() == RetryTopic(group)) msg->setTopic(origin);
}

bool MatchesSubscription(const MessageExt& msg, const protocol::SubscriptionData& sub) {
  if (sub.tags_set.empty() || sub.class_filter_mode) return true;  // "*"
  std::string tags = msg.getTags();
  if (tags.empty()) return false;
  return std::find(sub.tags_set.begin(), sub.tags_set.end(), tags) != sub.tags_set.end();
}

Status CheckMessage(const Message& msg, int max_body_bytes) {
  const std::string& topic = msg.getTopic();
  if (topic.empty()) return Status::InvalidArgument("the specified topic is blank");
  if (topic.size() > 127) {
    return Status::InvalidArgument("the specified topic is longer than topic max length 127");
  }
  for (char c : topic) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '%' || c == '|' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("the specified topic[" + topic +
                                     "] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$");
    }
  }
  // Internal topics the broker fills itself (TopicValidator.isNotAllowedSendTopic).
  static const std::array<const char*, 4> kNotAllowed = {
      "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC",
      "TRANS_CHECK_MAX_TIME_TOPIC"};
  for (const char* t : kNotAllowed) {
    if (topic == t) return Status::InvalidArgument("sending message to topic[" + topic + "] is forbidden");
  }
  if (msg.getBody().empty()) return Status::MessageIllegal("the message body length is zero");
  if (msg.getBody().size() > static_cast<size_t>(max_body_bytes)) {
    return Status::MessageIllegal("the message body size over max value, MAX: " +
                                  std::to_string(max_body_bytes));
  }
  return Status::OK();
}

}  // namespace sprocket::sdk
