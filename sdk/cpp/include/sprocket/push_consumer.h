// DefaultMQPushConsumer: long-polls the brokers and hands messages to a listener, like
// RocketMQ's DefaultMQPushConsumer with a MessageListenerConcurrently.
//
//   class Printer : public sprocket::MessageListenerConcurrently {
//     sprocket::ConsumeStatus consumeMessage(const std::vector<sprocket::MessageExt>& msgs) override {
//       ...; return sprocket::CONSUME_SUCCESS;
//     }
//   };
//   sprocket::DefaultMQPushConsumer consumer("GID_demo");
//   consumer.setNamesrvAddr("127.0.0.1:9876");
//   consumer.subscribe("Topic1", "TagA || TagB");
//   consumer.registerMessageListener(&printer);
//   consumer.start();  ...  consumer.shutdown();
//
// Delivery is at least once: a consumer's progress (the offset of the first message not
// yet consumed, per queue) is committed to the broker every 5 s and on shutdown, so
// messages consumed after the last commit come again after a crash. RECONSUME_LATER
// sends the message back to the broker, which redelivers it later (after 10 s, 30 s,
// 1 min, ...) through the group's retry topic, up to 16 times.
//
// Only CLUSTERING is implemented, and one instance takes every queue of its topics;
// sharing queues among several instances of a group comes with rebalancing.
//
// Threads: the listener runs on a pool of consumeThreadMin..consumeThreadMax threads,
// with up to consumeMessageBatchMaxSize messages of one queue per call; calls for
// different batches run concurrently and in no particular order. The listener must not
// call shutdown(). Setters take effect at start(). Errors are exceptions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sprocket/message.h"
#include "sprocket/mq_exception.h"

namespace sprocket {

namespace sdk {
class PushConsumerImpl;
}

enum ConsumeStatus { CONSUME_SUCCESS, RECONSUME_LATER };

// Where a group starts on a queue it has no committed offset for. Values are Java's
// ordinals.
enum ConsumeFromWhere {
  CONSUME_FROM_LAST_OFFSET = 0,   // only messages sent from now on
  CONSUME_FROM_FIRST_OFFSET = 4,  // everything the broker still has
  CONSUME_FROM_TIMESTAMP = 5,     // messages stored since setConsumeTimestamp()
};

enum MessageModel { BROADCASTING = 0, CLUSTERING = 1 };

class MessageListenerConcurrently {
 public:
  virtual ~MessageListenerConcurrently() = default;
  // An exception counts as RECONSUME_LATER.
  virtual ConsumeStatus consumeMessage(const std::vector<MessageExt>& msgs) = 0;
};

class DefaultMQPushConsumer {
 public:
  explicit DefaultMQPushConsumer(const std::string& consumerGroup = "DEFAULT_CONSUMER");
  ~DefaultMQPushConsumer();  // shutdown()
  DefaultMQPushConsumer(const DefaultMQPushConsumer&) = delete;
  DefaultMQPushConsumer& operator=(const DefaultMQPushConsumer&) = delete;

  // Subscribes `topic` with a tag expression: "*" (all) or "TagA || TagB".
  // Call before start(); a second call for a topic replaces the first.
  void subscribe(const std::string& topic, const std::string& subExpression);
  // The listener is not owned and must outlive the consumer.
  void registerMessageListener(MessageListenerConcurrently* listener);

  // Throws MQClientException: already started, no listener or subscription, no
  // nameserver address, BROADCASTING (not implemented yet).
  void start();
  // Stops pulling, waits for running listener calls, commits offsets, unregisters.
  // Idempotent.
  void shutdown();

  const std::string& getConsumerGroup() const;
  void setConsumerGroup(const std::string& group);
  void setNamesrvAddr(const std::string& addrs);  // "host:port;host:port"
  const std::string& getNamesrvAddr() const;
  void setInstanceName(const std::string& name);  // default: the process id
  const std::string& getInstanceName() const;
  void setMessageModel(MessageModel model);       // default CLUSTERING
  MessageModel getMessageModel() const;
  void setConsumeFromWhere(ConsumeFromWhere where);  // default CONSUME_FROM_LAST_OFFSET
  ConsumeFromWhere getConsumeFromWhere() const;
  // "yyyyMMddHHmmss", local time; default: 30 minutes before start().
  void setConsumeTimestamp(const std::string& timestamp);
  const std::string& getConsumeTimestamp() const;
  void setConsumeThreadMin(int n);  // default 2
  int getConsumeThreadMin() const;
  void setConsumeThreadMax(int n);  // default 4
  int getConsumeThreadMax() const;
  void setConsumeThreadCount(int n);  // rocketmq-client-cpp: min = max = n
  void setConsumeMessageBatchMaxSize(int n);  // default 1
  int getConsumeMessageBatchMaxSize() const;
  void setPullBatchSize(int n);  // maxMsgNums per pull, default 32
  int getPullBatchSize() const;
  // Pulling a queue pauses while this many of its messages wait for the listener.
  void setPullThresholdForQueue(int n);  // default 1000
  int getPullThresholdForQueue() const;
  void setMaxReconsumeTimes(int n);  // default 16
  int getMaxReconsumeTimes() const;
  // ip@instanceName; valid after start().
  std::string getClientId() const;

 private:
  std::unique_ptr<sdk::PushConsumerImpl> impl_;
};

}  // namespace sprocket
