// A consumer group's committed offsets, kept in memory and written to the brokers
// (RocketMQ's RemoteBrokerOffsetStore): every few seconds, on shutdown, and piggy-backed
// on pulls by the pull loop.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "client_instance.h"
#include "sprocket/message.h"

namespace sprocket::sdk {

class OffsetStore {
 public:
  OffsetStore(ClientInstance* client, std::string group, std::chrono::milliseconds timeout);

  // With `increase_only`, a smaller offset than the one held is ignored (a late result
  // must not move progress back).
  void Update(const MessageQueue& mq, int64_t offset, bool increase_only);
  // The offset in memory; -1 when none.
  int64_t Read(const MessageQueue& mq) const;
  // Forgets the queue (no longer ours) after persisting it.
  void Remove(const MessageQueue& mq);

  // QUERY_CONSUMER_OFFSET. NotFound when the broker has no offset for the group (22).
  Result<int64_t> QueryBroker(const MessageQueue& mq);

  // UPDATE_CONSUMER_OFFSET for every offset that changed since it was last written:
  // oneway for the periodic commit, synchronous on shutdown.
  void PersistAll(bool sync);

 private:
  bool Persist(const MessageQueue& mq, int64_t offset, bool sync);

  ClientInstance* const client_;
  const std::string group_;
  const std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::map<MessageQueue, int64_t> offsets_;
  std::map<MessageQueue, int64_t> persisted_;
};

}  // namespace sprocket::sdk
