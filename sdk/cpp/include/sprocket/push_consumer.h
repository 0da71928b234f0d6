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
// yet consumed, per queue) is committed every 5 s and on shutdown, so messages consumed
// after the last commit come again after a crash.
//
// CLUSTERING (the default): each message goes to one member of the group. Members share
// the topic's queues with the allocation strategy (averagely by default), over the queue
// and member lists sorted the same way by everyone; the broker tells members when one
// joins or leaves (NOTIFY_CONSUMER_IDS_CHANGED) and each also re-checks every 20 s. A
// queue changes owner after the old owner has committed its progress to the broker, so
// nothing is lost; messages in flight at the hand-over may be delivered twice.
// RECONSUME_LATER sends the message back to the broker, which redelivers it through the
// group's retry topic, up to maxReconsumeTimes.
//
// BROADCASTING: every member receives every message. Offsets are kept by each member in a
// local file, <offsetStoreDir>/<clientId>/<group>/offsets.json (default dir
// ~/.rocketmq_offsets), so a restarted member resumes where it stopped; as in RocketMQ
// the client id defaults to ip@DEFAULT in this mode (set distinct instance names for
// several members on one host). RECONSUME_LATER is not retried (RocketMQ drops it with a
// warning).
//
// Threads: the listener runs on a pool of consumeThreadMin..consumeThreadMax threads,
// with up to consumeMessageBatchMaxSize messages of one queue per call; calls for
// different batches run concurrently and in no particular order. The listener must not
// call shutdown(). Setters take effect at start(). Errors are exceptions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sprocket/allocate_strategy.h"
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
  // nameserver address, an unreadable local offset file (BROADCASTING).
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
  // CLUSTERING: how members share queues. Default AllocateMessageQueueAveragely.
  void setAllocateMessageQueueStrategy(std::shared_ptr<AllocateMessageQueueStrategy> strategy);
  std::shared_ptr<AllocateMessageQueueStrategy> getAllocateMessageQueueStrategy() const;
  // BROADCASTING: directory of the local offset files (RocketMQ's
  // rocketmq.client.localOffsetStoreDir). Default ~/.rocketmq_offsets.
  void setOffsetStoreDir(const std::string& dir);
  const std::string& getOffsetStoreDir() const;
  void setPollNameServerInterval(int millis);        // route refresh, default 30000
  void setHeartbeatBrokerInterval(int millis);       // default 30000
  void setPersistConsumerOffsetInterval(int millis); // default 5000
  // The periodic re-check of the queue allocation (besides the broker's notifications);
  // RocketMQ's rocketmq.client.rebalance.waitInterval. Default 20000.
  void setRebalanceInterval(int millis);
  // ip@instanceName; valid after start().
  std::string getClientId() const;
  // The queues this instance consumes now (after the latest rebalance).
  std::vector<MessageQueue> getAssignedQueues() const;

 private:
  std::unique_ptr<sdk::PushConsumerImpl> impl_;
};

}  // namespace sprocket
