// A consumer's progress per queue: the offset of the first message not yet consumed.
//
// Kept in memory by the pull loop and the consume service, and persisted by one of two
// stores, like RocketMQ's OffsetStore:
//  - BrokerOffsetStore (CLUSTERING): the group's offsets live on the brokers, so a queue
//    can move to another member and continue where the last owner stopped. Written every
//    few seconds (oneway), on handing a queue over and on shutdown (synchronously), and
//    piggy-backed on pulls by the pull loop.
//  - LocalFileOffsetStore (BROADCASTING): every member consumes everything, so each keeps
//    its own offsets in a local file.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "client_instance.h"
#include "sprocket/message.h"

namespace sprocket::sdk {

class OffsetStore {
 public:
  virtual ~OffsetStore() = default;

  // Starts tracking `mq` at `offset` (a queue newly owned).
  void Set(const MessageQueue& mq, int64_t offset);
  // Moves the progress of a tracked queue; ignored for a queue not (or no longer)
  // tracked, so a late result for a queue handed over meanwhile changes nothing. With
  // `increase_only`, a smaller offset than the one held is ignored too.
  void Update(const MessageQueue& mq, int64_t offset, bool increase_only);
  // The offset in memory; -1 when none.
  int64_t Read(const MessageQueue& mq) const;

  // The persisted offset of a queue we do not track yet: NotFound when there is none
  // (a new group, a new queue), another error when it could not be read.
  virtual Result<int64_t> ReadStored(const MessageQueue& mq) = 0;
  // Persists the queue's offset (synchronously), then stops tracking it.
  virtual void Remove(const MessageQueue& mq) = 0;
  // Persists every offset that changed since it was last persisted; `sync` on shutdown.
  virtual void PersistAll(bool sync) = 0;
  // Whether pulls may carry the offset to the broker (RocketMQ's commitOffsetEnable).
  virtual bool CommitsOnPull() const = 0;

 protected:
  // (queue, offset) pairs that changed since the last MarkPersisted.
  std::vector<std::pair<MessageQueue, int64_t>> Changed() const;
  void MarkPersisted(const MessageQueue& mq, int64_t offset);
  void Forget(const MessageQueue& mq);
  std::map<MessageQueue, int64_t> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<MessageQueue, int64_t> offsets_;
  std::map<MessageQueue, int64_t> persisted_;
};

// CLUSTERING: QUERY_CONSUMER_OFFSET / UPDATE_CONSUMER_OFFSET at each queue's master.
class BrokerOffsetStore : public OffsetStore {
 public:
  BrokerOffsetStore(ClientInstance* client, std::string group, std::chrono::milliseconds timeout);

  // QUERY_CONSUMER_OFFSET; NotFound when the broker has none for the group (22).
  Result<int64_t> ReadStored(const MessageQueue& mq) override;
  void Remove(const MessageQueue& mq) override;
  void PersistAll(bool sync) override;
  bool CommitsOnPull() const override { return true; }

 private:
  bool Persist(const MessageQueue& mq, int64_t offset, bool sync);

  ClientInstance* const client_;
  const std::string group_;
  const std::chrono::milliseconds timeout_;
};

// BROADCASTING: one JSON file per consumer, `<dir>/<clientId>/<group>/offsets.json`,
// replaced atomically (write to a temporary file, fsync, rename).
class LocalFileOffsetStore : public OffsetStore {
 public:
  explicit LocalFileOffsetStore(std::string path);

  // Reads the file; a missing file is an empty store. InvalidArgument/IOError naming the
  // file when it exists but cannot be read or parsed.
  Status Load();
  const std::string& path() const { return path_; }

  Result<int64_t> ReadStored(const MessageQueue& mq) override;
  void Remove(const MessageQueue& mq) override;
  void PersistAll(bool sync) override;
  bool CommitsOnPull() const override { return false; }

  // The file's default directory: $HOME/.rocketmq_offsets (RocketMQ's
  // rocketmq.client.localOffsetStoreDir default), /tmp/.rocketmq_offsets without HOME.
  static std::string DefaultDir();

 private:
  Status WriteFile(const std::map<MessageQueue, int64_t>& offsets);

  const std::string path_;
  std::mutex file_mu_;                      // one writer at a time
  std::map<MessageQueue, int64_t> loaded_;  // what the file held at start
};

}  // namespace sprocket::sdk
