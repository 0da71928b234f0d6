// DefaultMQProducer: the public face of ProducerImpl.
#include "sprocket/producer.h"

#include "producer_impl.h"

namespace sprocket {

DefaultMQProducer::DefaultMQProducer(const std::string& producerGroup)
    : impl_(std::make_unique<sdk::ProducerImpl>(producerGroup)) {}

DefaultMQProducer::~DefaultMQProducer() = default;  // ~ProducerImpl shuts down

void DefaultMQProducer::start() { impl_->Start(); }
void DefaultMQProducer::shutdown() { impl_->Shutdown(); }

SendResult DefaultMQProducer::send(const Message& msg) {
  return impl_->Send(msg, impl_->config().send_timeout);
}

SendResult DefaultMQProducer::send(const Message& msg, long timeoutMillis) {
  return impl_->Send(msg, std::chrono::milliseconds(timeoutMillis));
}

void DefaultMQProducer::send(const Message& msg, SendCallback* sendCallback) {
  impl_->SendAsync(msg, sendCallback, impl_->config().send_timeout);
}

void DefaultMQProducer::send(const Message& msg, SendCallback* sendCallback, long timeoutMillis) {
  impl_->SendAsync(msg, sendCallback, std::chrono::milliseconds(timeoutMillis));
}

const std::string& DefaultMQProducer::getProducerGroup() const { return impl_->config().group; }
void DefaultMQProducer::setProducerGroup(const std::string& group) { impl_->config().group = group; }
void DefaultMQProducer::setNamesrvAddr(const std::string& addrs) {
  impl_->config().namesrv_addr = addrs;
}
const std::string& DefaultMQProducer::getNamesrvAddr() const { return impl_->config().namesrv_addr; }
void DefaultMQProducer::setInstanceName(const std::string& name) {
  impl_->config().instance_name = name;
}
const std::string& DefaultMQProducer::getInstanceName() const {
  return impl_->config().instance_name;
}
void DefaultMQProducer::setSendMsgTimeout(int millis) {
  impl_->config().send_timeout = std::chrono::milliseconds(millis);
}
int DefaultMQProducer::getSendMsgTimeout() const {
  return static_cast<int>(impl_->config().send_timeout.count());
}
void DefaultMQProducer::setRetryTimesWhenSendFailed(int times) {
  impl_->config().retry_times_when_send_failed = times;
}
int DefaultMQProducer::getRetryTimesWhenSendFailed() const {
  return impl_->config().retry_times_when_send_failed;
}
void DefaultMQProducer::setRetryTimesWhenSendAsyncFailed(int times) {
  impl_->config().retry_times_when_send_async_failed = times;
}
int DefaultMQProducer::getRetryTimesWhenSendAsyncFailed() const {
  return impl_->config().retry_times_when_send_async_failed;
}
void DefaultMQProducer::setCompressMsgBodyOverHowmuch(int bytes) {
  impl_->config().compress_over_bytes = bytes;
}
int DefaultMQProducer::getCompressMsgBodyOverHowmuch() const {
  return impl_->config().compress_over_bytes;
}
void DefaultMQProducer::setMaxMessageSize(int bytes) { impl_->config().max_message_size = bytes; }
int DefaultMQProducer::getMaxMessageSize() const { return impl_->config().max_message_size; }
std::string DefaultMQProducer::getClientId() const { return impl_->client_id(); }

}  // namespace sprocket
