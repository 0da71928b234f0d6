// QueueReader: what consumeMessage and printMsg do with RocketMQ's DefaultMQPullConsumer,
// as raw requests: a queue's offsets (GET_MIN/MAX_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP) and
// pulls of an offset range (PULL_MESSAGE with the subscription flag, no commit, no long
// poll), printing each message as "MSGID: <id> <MessageExt> BODY: <body>".
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "commands.h"
#include "sprocket/message.h"
#include "sprocket/protocol/bodies.h"

namespace sprocket::mqadmin {

class QueueReader {
 public:
  // Renders a message's body for the "BODY: " column.
  using BodyRenderer = std::function<std::string(const MessageExt&)>;

  // Stops (CommandError) once `time_limit` has passed since construction.
  QueueReader(AdminClient& admin, std::string group, protocol::TopicRouteData route,
              std::chrono::seconds time_limit);

  // The broker holding `mq` (its master, else any slave); CommandError when the route has none.
  std::string AddrOf(const MessageQueue& mq);
  // GET_MIN_OFFSET / GET_MAX_OFFSET, or SEARCH_OFFSET_BY_TIMESTAMP of `timestamp`.
  int64_t Offset(const MessageQueue& mq, int32_t code, int64_t timestamp = 0);

  struct PrintOptions {
    std::string subscription = "*";  // TAG expression: "*", "TagA || TagB"
    BodyRenderer body;
    bool consume_ok_line = false;  // consumeMessage prints "Consume ok" per pull that found some
  };
  // Pulls [from, to) of `mq`, printing the messages that pass the subscription (the
  // broker's hash filter, then the client's exact tag check, as PullAPIWrapper does) and
  // RocketMQ's status lines for the other outcomes.
  void PullRange(const MessageQueue& mq, int64_t from, int64_t to, const PrintOptions& print);

  int64_t printed() const { return printed_; }

 private:
  AdminClient& admin_;
  std::string group_;
  protocol::TopicRouteData route_;
  std::chrono::seconds time_limit_;
  std::chrono::steady_clock::time_point deadline_;
  int64_t printed_ = 0;
};

// "1700000000000" or "yyyy-MM-dd#HH:mm:ss:SSS" (local time), as RocketMQ's commands read
// timestamps (UtilAll.YYYY_MM_DD_HH_MM_SS_SSS); UsageError naming `opt` otherwise.
int64_t ParseTimestamp(const std::string& value, char opt);

}  // namespace sprocket::mqadmin
