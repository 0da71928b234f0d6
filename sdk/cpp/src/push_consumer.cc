// DefaultMQPushConsumer: the public face of PushConsumerImpl.
#include "sprocket/push_consumer.h"

#include <algorithm>

#include "push_consumer_impl.h"

namespace sprocket {

DefaultMQPushConsumer::DefaultMQPushConsumer(const std::string& consumerGroup)
    : impl_(std::make_unique<sdk::PushConsumerImpl>(consumerGroup)) {}

DefaultMQPushConsumer::~DefaultMQPushConsumer() = default;  // ~PushConsumerImpl shuts down

void DefaultMQPushConsumer::subscribe(const std::string& topic, const std::string& subExpression) {
  impl_->Subscribe(topic, subExpression);
}

void DefaultMQPushConsumer::registerMessageListener(MessageListenerConcurrently* listener) {
  impl_->RegisterListener(listener);
}

void DefaultMQPushConsumer::start() { impl_->Start(); }
void DefaultMQPushConsumer::shutdown() { impl_->Shutdown(); }

const std::string& DefaultMQPushConsumer::getConsumerGroup() const { return impl_->config().group; }
void DefaultMQPushConsumer::setConsumerGroup(const std::string& group) {
  impl_->config().group = group;
}
void DefaultMQPushConsumer::setNamesrvAddr(const std::string& addrs) {
  impl_->config().namesrv_addr = addrs;
}
const std::string& DefaultMQPushConsumer::getNamesrvAddr() const {
  return impl_->config().namesrv_addr;
}
void DefaultMQPushConsumer::setInstanceName(const std::string& name) {
  impl_->config().instance_name = name;
}
const std::string& DefaultMQPushConsumer::getInstanceName() const {
  return impl_->config().instance_name;
}
void DefaultMQPushConsumer::setMessageModel(MessageModel model) {
  impl_->config().message_model = model;
}
MessageModel DefaultMQPushConsumer::getMessageModel() const { return impl_->config().message_model; }
void DefaultMQPushConsumer::setConsumeFromWhere(ConsumeFromWhere where) {
  impl_->config().consume_from_where = where;
}
ConsumeFromWhere DefaultMQPushConsumer::getConsumeFromWhere() const {
  return impl_->config().consume_from_where;
}
void DefaultMQPushConsumer::setConsumeTimestamp(const std::string& timestamp) {
  impl_->config().consume_timestamp = timestamp;
}
const std::string& DefaultMQPushConsumer::getConsumeTimestamp() const {
  return impl_->config().consume_timestamp;
}
void DefaultMQPushConsumer::setConsumeThreadMin(int n) { impl_->config().consume_thread_min = n; }
int DefaultMQPushConsumer::getConsumeThreadMin() const { return impl_->config().consume_thread_min; }
void DefaultMQPushConsumer::setConsumeThreadMax(int n) { impl_->config().consume_thread_max = n; }
int DefaultMQPushConsumer::getConsumeThreadMax() const { return impl_->config().consume_thread_max; }
void DefaultMQPushConsumer::setConsumeThreadCount(int n) {
  impl_->config().consume_thread_min = n;
  impl_->config().consume_thread_max = n;
}
void DefaultMQPushConsumer::setConsumeMessageBatchMaxSize(int n) {
  impl_->config().consume_batch_max_size = n;
}
int DefaultMQPushConsumer::getConsumeMessageBatchMaxSize() const {
  return impl_->config().consume_batch_max_size;
}
void DefaultMQPushConsumer::setPullBatchSize(int n) { impl_->config().pull_batch_size = n; }
int DefaultMQPushConsumer::getPullBatchSize() const { return impl_->config().pull_batch_size; }
void DefaultMQPushConsumer::setPullThresholdForQueue(int n) {
  impl_->config().pull_threshold_for_queue = n;
}
int DefaultMQPushConsumer::getPullThresholdForQueue() const {
  return impl_->config().pull_threshold_for_queue;
}
void DefaultMQPushConsumer::setMaxReconsumeTimes(int n) {
  // -1 is RocketMQ's "default", which is 16.
  impl_->config().max_reconsume_times = n < 0 ? 16 : n;
}
int DefaultMQPushConsumer::getMaxReconsumeTimes() const {
  return impl_->config().max_reconsume_times;
}
std::string DefaultMQPushConsumer::getClientId() const { return impl_->client_id(); }

void DefaultMQPushConsumer::setAllocateMessageQueueStrategy(
    std::shared_ptr<AllocateMessageQueueStrategy> strategy) {
  impl_->config().allocate_strategy = std::move(strategy);
}
std::shared_ptr<AllocateMessageQueueStrategy> DefaultMQPushConsumer::getAllocateMessageQueueStrategy()
    const {
  return impl_->config().allocate_strategy;
}
void DefaultMQPushConsumer::setOffsetStoreDir(const std::string& dir) {
  impl_->config().offset_store_dir = dir;
}
const std::string& DefaultMQPushConsumer::getOffsetStoreDir() const {
  return impl_->config().offset_store_dir;
}
void DefaultMQPushConsumer::setPollNameServerInterval(int millis) {
  impl_->config().poll_namesrv_interval = std::chrono::milliseconds(std::max(100, millis));
}
void DefaultMQPushConsumer::setHeartbeatBrokerInterval(int millis) {
  impl_->config().heartbeat_interval = std::chrono::milliseconds(std::max(100, millis));
}
void DefaultMQPushConsumer::setPersistConsumerOffsetInterval(int millis) {
  impl_->config().persist_offset_interval = std::chrono::milliseconds(std::max(100, millis));
}
void DefaultMQPushConsumer::setRebalanceInterval(int millis) {
  impl_->config().rebalance_interval = std::chrono::milliseconds(std::max(100, millis));
}
std::vector<MessageQueue> DefaultMQPushConsumer::getAssignedQueues() const {
  return impl_->AssignedQueues();
}

}  // namespace sprocket
