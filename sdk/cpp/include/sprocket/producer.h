// DefaultMQProducer: sends messages, synchronously or with a callback, like RocketMQ's
// DefaultMQProducer.
//
//   sprocket::DefaultMQProducer producer("GID_demo");
//   producer.setNamesrvAddr("127.0.0.1:9876");
//   producer.start();
//   sprocket::SendResult r = producer.send(sprocket::Message("Topic1", "TagA", "Hello"));
//   producer.shutdown();
//
// Routes come from the nameservers (each tried in turn) and are refreshed every 30 s and
// after a failed send. A send goes round-robin over the topic's writable queues on
// brokers that have a master; a failed try is repeated on another queue, preferably on
// another broker, up to retryTimesWhenSendFailed more times within sendMsgTimeout.
//
// Wire format: send requests use JSON headers, or RocketMQ's binary header when the
// environment has ROCKETMQ_SERIALIZE_TYPE=ROCKETMQ (read once per process, as RocketMQ's
// clients do); the binary header is cheaper to write and to parse.
//
// Threads: send() may be called from any number of threads at once. Setters take effect
// at start(). Errors are exceptions (mq_exception.h), or onException for a send with a
// callback.
#pragma once

#include <memory>
#include <string>

#include "sprocket/message.h"
#include "sprocket/mq_exception.h"
#include "sprocket/send_result.h"

namespace sprocket {

namespace sdk {
class ProducerImpl;
}

// The outcome of an asynchronous send. Exactly one of the two is called, once, on the
// producer's I/O thread (the thread of its remoting client, which reads the broker's
// answers and retries failed tries) — except when the first try cannot even be made (no
// master address known for any queue, or a timeout <= 0): then onException runs before
// send() returns, on the caller's thread. Keep it short and never call a synchronous
// send() or shutdown() from it (they would wait for the very thread they run on); another
// asynchronous send() from it is fine.
class SendCallback {
 public:
  virtual ~SendCallback() = default;
  virtual void onSuccess(SendResult& sendResult) = 0;
  virtual void onException(const MQException& e) = 0;
};

class DefaultMQProducer {
 public:
  explicit DefaultMQProducer(const std::string& producerGroup = "DEFAULT_PRODUCER");
  ~DefaultMQProducer();  // shutdown()
  DefaultMQProducer(const DefaultMQProducer&) = delete;
  DefaultMQProducer& operator=(const DefaultMQProducer&) = delete;

  // Throws MQClientException: already started, no nameserver address, bad group.
  void start();
  // Unregisters from the brokers and closes connections. Idempotent.
  void shutdown();

  // Sends and waits for the broker's answer. Throws MQClientException (not started, bad
  // message, no route, every try failed) or MQBrokerException (the broker refused it with
  // a code that retrying cannot fix).
  SendResult send(const Message& msg);
  SendResult send(const Message& msg, long timeoutMillis);
  // Sends without waiting; the outcome goes to `sendCallback` (not owned; it must live
  // until called). Failed tries are repeated on another queue up to
  // retryTimesWhenSendAsyncFailed times within the timeout. Throws, without calling the
  // callback, only when send() would refuse before sending: not started, bad message,
  // no route for the topic. Any number may be in flight; the caller bounds them.
  void send(const Message& msg, SendCallback* sendCallback);
  void send(const Message& msg, SendCallback* sendCallback, long timeoutMillis);

  const std::string& getProducerGroup() const;
  void setProducerGroup(const std::string& group);
  // "host:port;host:port"
  void setNamesrvAddr(const std::string& addrs);
  const std::string& getNamesrvAddr() const;
  // Part of the client id (ip@instanceName); defaults to the process id.
  void setInstanceName(const std::string& name);
  const std::string& getInstanceName() const;
  // Total time budget of one send(), retries included. Default 3000 ms.
  void setSendMsgTimeout(int millis);
  int getSendMsgTimeout() const;
  // Extra tries after a failed one. Default 2.
  void setRetryTimesWhenSendFailed(int times);
  int getRetryTimesWhenSendFailed() const;
  // Extra tries of an asynchronous send. Default 2.
  void setRetryTimesWhenSendAsyncFailed(int times);
  int getRetryTimesWhenSendAsyncFailed() const;
  // Bodies of at least this many bytes are zlib-compressed. Default 4096.
  void setCompressMsgBodyOverHowmuch(int bytes);
  int getCompressMsgBodyOverHowmuch() const;
  // Larger bodies are refused before sending. Default 4 MiB.
  void setMaxMessageSize(int bytes);
  int getMaxMessageSize() const;
  // ip@instanceName; valid after start().
  std::string getClientId() const;

 private:
  std::unique_ptr<sdk::ProducerImpl> impl_;
};

}  // namespace sprocket
