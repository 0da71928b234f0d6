// Messages as the application sees them: Message (what a producer sends), MessageExt
// (what a consumer receives) and MessageQueue (one queue of a topic on one broker).
//
// Names and behaviour follow RocketMQ's Java and C++ clients (getTopic/setTags/...), so
// code written against them ports by renaming the namespace. Tags, keys and the delay
// level are stored as the properties TAGS, KEYS and DELAY, as in RocketMQ.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sprocket {

// One queue of a topic on one broker group. Ordered by (topic, brokerName, queueId).
class MessageQueue {
 public:
  MessageQueue() = default;
  MessageQueue(std::string topic, std::string brokerName, int queueId);

  const std::string& getTopic() const { return topic_; }
  void setTopic(std::string topic) { topic_ = std::move(topic); }
  const std::string& getBrokerName() const { return broker_name_; }
  void setBrokerName(std::string name) { broker_name_ = std::move(name); }
  int getQueueId() const { return queue_id_; }
  void setQueueId(int id) { queue_id_ = id; }

  // "MessageQueue [topic=T, brokerName=broker-a, queueId=0]"
  std::string toString() const;

  bool operator==(const MessageQueue&) const = default;
  std::strong_ordering operator<=>(const MessageQueue&) const = default;

 private:
  std::string topic_;
  std::string broker_name_;
  int queue_id_ = 0;
};

class Message {
 public:
  Message() = default;
  Message(std::string topic, std::string body);
  Message(std::string topic, std::string tags, std::string body);
  Message(std::string topic, std::string tags, std::string keys, std::string body);

  const std::string& getTopic() const { return topic_; }
  void setTopic(std::string topic) { topic_ = std::move(topic); }

  // TAGS property; "" when unset.
  std::string getTags() const { return getProperty("TAGS"); }
  void setTags(const std::string& tags);

  // KEYS property: space-separated keys the broker indexes for lookups.
  std::string getKeys() const { return getProperty("KEYS"); }
  void setKeys(const std::string& keys);
  void setKeys(const std::vector<std::string>& keys);

  // Bytes; any content, including NULs.
  const std::string& getBody() const { return body_; }
  void setBody(std::string body) { body_ = std::move(body); }

  // DELAY property: 0 = deliver at once, 1..18 = the broker's delay levels (1s ... 2h).
  int getDelayTimeLevel() const;
  void setDelayTimeLevel(int level);

  // User flag, stored with the message and returned to consumers unchanged.
  int getFlag() const { return flag_; }
  void setFlag(int flag) { flag_ = flag; }

  // WAIT property: whether a SYNC_FLUSH / SYNC_MASTER broker answers only once stored.
  bool isWaitStoreMsgOK() const;
  void setWaitStoreMsgOK(bool wait);

  // Any property, system or user; "" when absent.
  std::string getProperty(const std::string& name) const;
  void setProperty(const std::string& name, const std::string& value);
  void clearProperty(const std::string& name) { properties_.erase(name); }
  // Java names for user properties.
  void putUserProperty(const std::string& name, const std::string& value) { setProperty(name, value); }
  std::string getUserProperty(const std::string& name) const { return getProperty(name); }

  const std::map<std::string, std::string>& getProperties() const { return properties_; }
  void setProperties(std::map<std::string, std::string> properties) {
    properties_ = std::move(properties);
  }

  std::string toString() const;

 private:
  std::string topic_;
  std::string body_;
  int flag_ = 0;
  std::map<std::string, std::string> properties_;
};

// A message as stored by the broker and delivered to a consumer. The body is already
// inflated when the producer compressed it.
class MessageExt : public Message {
 public:
  // UNIQ_KEY (the id the producer's SendResult reported) when present, else the
  // offsetMsgId, like Java's MessageExt.getMsgId() on the consumer side.
  std::string getMsgId() const;
  // Broker-assigned id: store host + commit-log offset, 32 hex chars for IPv4.
  const std::string& getOffsetMsgId() const { return offset_msg_id_; }
  void setOffsetMsgId(std::string id) { offset_msg_id_ = std::move(id); }

  int getQueueId() const { return queue_id_; }
  void setQueueId(int id) { queue_id_ = id; }
  int64_t getQueueOffset() const { return queue_offset_; }
  void setQueueOffset(int64_t offset) { queue_offset_ = offset; }
  int64_t getCommitLogOffset() const { return commit_log_offset_; }
  void setCommitLogOffset(int64_t offset) { commit_log_offset_ = offset; }
  int64_t getStoreTimestamp() const { return store_timestamp_; }
  void setStoreTimestamp(int64_t ms) { store_timestamp_ = ms; }
  int64_t getBornTimestamp() const { return born_timestamp_; }
  void setBornTimestamp(int64_t ms) { born_timestamp_ = ms; }
  // How many times this message went back to the broker for a retry.
  int getReconsumeTimes() const { return reconsume_times_; }
  void setReconsumeTimes(int n) { reconsume_times_ = n; }
  int getStoreSize() const { return store_size_; }
  void setStoreSize(int size) { store_size_ = size; }
  int getBodyCRC() const { return body_crc_; }
  void setBodyCRC(int crc) { body_crc_ = crc; }
  int getSysFlag() const { return sys_flag_; }
  void setSysFlag(int flag) { sys_flag_ = flag; }
  // "ip:port"
  const std::string& getBornHost() const { return born_host_; }
  void setBornHost(std::string host) { born_host_ = std::move(host); }
  const std::string& getStoreHost() const { return store_host_; }
  void setStoreHost(std::string host) { store_host_ = std::move(host); }
  int64_t getPreparedTransactionOffset() const { return prepared_transaction_offset_; }
  void setPreparedTransactionOffset(int64_t offset) { prepared_transaction_offset_ = offset; }

  std::string toString() const;

 private:
  std::string offset_msg_id_;
  int queue_id_ = 0;
  int64_t queue_offset_ = 0;
  int64_t commit_log_offset_ = 0;
  int64_t store_timestamp_ = 0;
  int64_t born_timestamp_ = 0;
  int reconsume_times_ = 0;
  int store_size_ = 0;
  int body_crc_ = 0;
  int sys_flag_ = 0;
  std::string born_host_;
  std::string store_host_;
  int64_t prepared_transaction_offset_ = 0;
};

}  // namespace sprocket
