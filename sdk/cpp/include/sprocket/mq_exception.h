// Exceptions thrown by the SDK's public API, as in RocketMQ's clients.
//
//   MQClientException  - the client could not do it: bad argument or state, no route,
//                        every try failed (code: a ClientErrorCode or the last broker code)
//   MQBrokerException  - the broker answered with an error code (code: its ResponseCode)
#pragma once

#include <exception>
#include <string>

namespace sprocket {

// RocketMQ's ClientErrorCode values, used as MQClientException codes.
namespace ClientErrorCode {
inline constexpr int CONNECT_BROKER_EXCEPTION = 10001;
inline constexpr int ACCESS_BROKER_TIMEOUT = 10002;
inline constexpr int BROKER_NOT_EXIST_EXCEPTION = 10003;
inline constexpr int NO_NAME_SERVER_EXCEPTION = 10004;
inline constexpr int NOT_FOUND_TOPIC_EXCEPTION = 10005;
}  // namespace ClientErrorCode

class MQException : public std::exception {
 public:
  MQException(int code, std::string message);

  // Java names.
  int getResponseCode() const { return code_; }
  const std::string& getErrorMessage() const { return message_; }
  // rocketmq-client-cpp name.
  int GetError() const { return code_; }

  // "CODE: 17  DESC: topic[T] not exist, apply first please!"
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  int code_;
  std::string message_;
  std::string what_;
};

class MQClientException : public MQException {
 public:
  using MQException::MQException;
};

class MQBrokerException : public MQException {
 public:
  MQBrokerException(int code, std::string message, std::string brokerAddr = {})
      : MQException(code, std::move(message)), broker_addr_(std::move(brokerAddr)) {}
  const std::string& getBrokerAddr() const { return broker_addr_; }

 private:
  std::string broker_addr_;
};

}  // namespace sprocket
