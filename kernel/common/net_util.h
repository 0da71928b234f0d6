// Address helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sprocket {

// The first non-loopback IPv4 address of this host, or "127.0.0.1" when there is none
// (RocketMQ's RemotingUtil.getLocalAddress, used for brokerIP1 and client ids).
std::string LocalIPv4();

inline int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sprocket
