// Public value types: Message, MessageExt, MessageQueue, SendResult, MQException.
#include "sprocket/message.h"

#include <charconv>

#include "sprocket/mq_exception.h"
#include "sprocket/send_result.h"

namespace sprocket {

MessageQueue::MessageQueue(std::string topic, std::string brokerName, int queueId)
    : topic_(std::move(topic)), broker_name_(std::move(brokerName)), queue_id_(queueId) {}

std::string MessageQueue::toString() const {
  return "MessageQueue [topic=" + topic_ + ", brokerName=" + broker_name_ +
         ", queueId=" + std::to_string(queue_id_) + "]";
}

Message::Message(std::string topic, std::string body)
    : topic_(std::move(topic)), body_(std::move(body)) {}

Message::Message(std::string topic, std::string tags, std::string body)
    : Message(std::move(topic), std::move(body)) {
  setTags(tags);
}

Message::Message(std::string topic, std::string tags, std::string keys, std::string body)
    : Message(std::move(topic), std::move(body)) {
  setTags(tags);
  setKeys(keys);
}

void Message::setTags(const std::string& tags) {
  if (tags.empty()) {
    properties_.erase("TAGS");
  } else {
    properties_["TAGS"] = tags;
  }
}

void Message::setKeys(const std::string& keys) {
  if (keys.empty()) {
    properties_.erase("KEYS");
  } else {
    properties_["KEYS"] = keys;
  }
}

void Message::setKeys(const std::vector<std::string>& keys) {
  std::string joined;
  for (const auto& k : keys) {
    if (!joined.empty()) joined += ' ';
    joined += k;
  }
  setKeys(joined);
}

int Message::getDelayTimeLevel() const {
  std::string v = getProperty("DELAY");
  int level = 0;
  std::from_chars(v.data(), v.data() + v.size(), level);
  return level;
}

void Message::setDelayTimeLevel(int level) {
  if (level <= 0) {
    properties_.erase("DELAY");
  } else {
    properties_["DELAY"] = std::to_string(level);
  }
}

bool Message::isWaitStoreMsgOK() const {
  auto it = properties_.find("WAIT");
  return it == properties_.end() || it->second != "false";  // absent means true
}

void Message::setWaitStoreMsgOK(bool wait) { properties_["WAIT"] = wait ? "true" : "false"; }

std::string Message::getProperty(const std::string& name) const {
  auto it = properties_.find(name);
  return it == properties_.end() ? std::string() : it->second;
}

void Message::setProperty(const std::string& name, const std::string& value) {
  properties_[name] = value;
}

namespace {
std::string PropertiesToString(const std::map<std::string, std::string>& props) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : props) {
    if (!first) out += ", ";
    first = false;
    out += k + "=" + v;
  }
  return out + "}";
}
}  // namespace

std::string Message::toString() const {
  return "Message [topic=" + topic_ + ", flag=" + std::to_string(flag_) +
         ", properties=" + PropertiesToString(properties_) +
         ", body length=" + std::to_string(body_.size()) + "]";
}

std::string MessageExt::getMsgId() const {
  std::string uniq = getProperty("UNIQ_KEY");
  return uniq.empty() ? offset_msg_id_ : uniq;
}

std::string MessageExt::toString() const {
  return "MessageExt [queueId=" + std::to_string(queue_id_) +
         ", storeSize=" + std::to_string(store_size_) +
         ", queueOffset=" + std::to_string(queue_offset_) + ", sysFlag=" + std::to_string(sys_flag_) +
         ", bornTimestamp=" + std::to_string(born_timestamp_) + ", bornHost=" + born_host_ +
         ", storeTimestamp=" + std::to_string(store_timestamp_) + ", storeHost=" + store_host_ +
         ", msgId=" + getMsgId() + ", offsetMsgId=" + offset_msg_id_ +
         ", commitLogOffset=" + std::to_string(commit_log_offset_) +
         ", reconsumeTimes=" + std::to_string(reconsume_times_) + ", " + Message::toString() + "]";
}

const char* SendStatusName(SendStatus status) {
  switch (status) {
    case SEND_OK: return "SEND_OK";
    case FLUSH_DISK_TIMEOUT: return "FLUSH_DISK_TIMEOUT";
    case FLUSH_SLAVE_TIMEOUT: return "FLUSH_SLAVE_TIMEOUT";
    case SLAVE_NOT_AVAILABLE: return "SLAVE_NOT_AVAILABLE";
  }
  return "UNKNOWN";
}

std::string SendResult::toString() const {
  return std::string("SendResult [sendStatus=") + SendStatusName(status_) + ", msgId=" + msg_id_ +
         ", offsetMsgId=" + offset_msg_id_ + ", messageQueue=" + queue_.toString() +
         ", queueOffset=" + std::to_string(queue_offset_) + "]";
}

MQException::MQException(int code, std::string message)
    : code_(code),
      message_(std::move(message)),
      what_("CODE: " + std::to_string(code_) + "  DESC: " + message_) {}

}  // namespace sprocket
