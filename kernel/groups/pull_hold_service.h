// PullHoldService: long polling (RocketMQ's PullRequestHoldService).
//
// A pull that finds nothing new (PULL_NOT_FOUND) with the SUSPEND flag is not answered
// at once: it is parked here for up to suspendTimeoutMillis and replayed — without the
// right to park again — as soon as its queue grows past the requested offset, or when the
// hold ends. Replays run on the I/O pool, never on the store's thread.
//
// No thread of its own: one steady_timer per held pull on the pool. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/io_pool.h"
#include "server/remoting_server.h"

namespace sprocket::broker {

struct HeldPull {
  Exchange exchange;
  RemotingCommand request;
  std::string topic;
  int32_t queue_id = 0;
  int64_t offset = 0;
};

class PullHoldService {
 public:
  using Replay = std::function<void(HeldPull& pull)>;
  using MaxOffset = std::function<int64_t(const std::string& topic, int32_t queue_id)>;

  PullHoldService(IoPool& pool, Replay replay, MaxOffset max_offset);
  ~PullHoldService();

  void Hold(HeldPull pull, std::chrono::milliseconds timeout);
  // The queue now ends at `max_offset` (exclusive): replays every pull waiting below it.
  void Notify(const std::string& topic, int32_t queue_id, int64_t max_offset);
  // Drops every held pull without answering (the connections are closing) and refuses
  // new ones.
  void Stop();
  size_t HeldCount() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sprocket::broker
