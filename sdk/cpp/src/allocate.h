// Sharing a topic's queues among the consumers of a group (RocketMQ's
// AllocateMessageQueueStrategy). Every member computes the same split from the same
// sorted inputs, so no coordination is needed beyond agreeing on the member list.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sprocket/message.h"

namespace sprocket::sdk {

// (all queues of the topic, all consumer ids of the group, my id) -> my queues.
using AllocateStrategy = std::function<std::vector<MessageQueue>(
    const std::vector<MessageQueue>& all, const std::vector<std::string>& cids,
    const std::string& me)>;

// RocketMQ's default, AllocateMessageQueueAveragely: sorted queues cut into contiguous
// runs, the first (queues % consumers) members taking one extra. Empty when `me` is not
// among `cids`.
std::vector<MessageQueue> AllocateAveragely(const std::vector<MessageQueue>& all,
                                            const std::vector<std::string>& cids,
                                            const std::string& me);

}  // namespace sprocket::sdk
