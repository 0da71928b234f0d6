// The SDK's side of queue allocation: sorting the inputs before a strategy sees them, so
// that every member of a group computes from the same order.
#pragma once

#include <string>
#include <vector>

#include "sprocket/allocate_strategy.h"

namespace sprocket::sdk {

// Sorts copies of `all` and `cids`, then asks `strategy`. Empty when `me` is not among
// `cids` or there are no queues.
std::vector<MessageQueue> Allocate(AllocateMessageQueueStrategy& strategy, const std::string& group,
                                   const std::string& me, std::vector<MessageQueue> all,
                                   std::vector<std::string> cids);

}  // namespace sprocket::sdk
