// How the members of a consumer group share a topic's queues in CLUSTERING mode
// (RocketMQ's AllocateMessageQueueStrategy).
//
// Every member runs the same strategy on the same inputs — all queues of the topic and the
// ids of all members, both sorted — and keeps the queues it computes for itself, so the
// group needs no coordinator: members agree as soon as they see the same member list.
//
//   consumer.setAllocateMessageQueueStrategy(
//       std::make_shared<sprocket::AllocateMessageQueueAveragelyByCircle>());
#pragma once

#include <string>
#include <vector>

#include "sprocket/message.h"

namespace sprocket {

class AllocateMessageQueueStrategy {
 public:
  virtual ~AllocateMessageQueueStrategy() = default;
  // `mqAll` and `cidAll` arrive sorted. Returns the queues `currentCID` should consume;
  // empty when it is not in `cidAll`. Called from the consumer's rebalance thread; must
  // be deterministic (every member must compute the same split).
  virtual std::vector<MessageQueue> allocate(const std::string& consumerGroup,
                                             const std::string& currentCID,
                                             const std::vector<MessageQueue>& mqAll,
                                             const std::vector<std::string>& cidAll) = 0;
  virtual std::string getName() const = 0;
};

// The default: contiguous runs, the first (queues % members) members taking one extra.
// 8 queues, 3 members: {q0 q1 q2} {q3 q4 q5} {q6 q7}.
class AllocateMessageQueueAveragely : public AllocateMessageQueueStrategy {
 public:
  std::vector<MessageQueue> allocate(const std::string& consumerGroup, const std::string& currentCID,
                                     const std::vector<MessageQueue>& mqAll,
                                     const std::vector<std::string>& cidAll) override;
  std::string getName() const override { return "AVG"; }
};

// Dealt like cards: member i takes queues i, i+n, i+2n, ...
// 8 queues, 3 members: {q0 q3 q6} {q1 q4 q7} {q2 q5}.
class AllocateMessageQueueAveragelyByCircle : public AllocateMessageQueueStrategy {
 public:
  std::vector<MessageQueue> allocate(const std::string& consumerGroup, const std::string& currentCID,
                                     const std::vector<MessageQueue>& mqAll,
                                     const std::vector<std::string>& cidAll) override;
  std::string getName() const override { return "AVG_BY_CIRCLE"; }
};

}  // namespace sprocket
