#include "offset_store.h"

#include "log.h"
#include "requests.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::sdk {

namespace ResponseCode = protocol::ResponseCode;

void OffsetStore::Set(const MessageQueue& mq, int64_t offset) {
  if (offset < 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  offsets_[mq] = offset;
}

void OffsetStore::Update(const MessageQueue& mq, int64_t offset, bool increase_only) {
  if (offset < 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = offsets_.find(mq);
  if (it == offsets_.end()) return;
  if (!increase_only || offset > it->second) it->second = offset;
}

int64_t OffsetStore::Read(const MessageQueue& mq) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = offsets_.find(mq);
  return it == offsets_.end() ? -1 : it->second;
}

std::vector<std::pair<MessageQueue, int64_t>> OffsetStore::Changed() const {
  std::vector<std::pair<MessageQueue, int64_t>> changed;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [mq, offset] : offsets_) {
    auto it = persisted_.find(mq);
    if (it == persisted_.end() || it->second != offset) changed.emplace_back(mq, offset);
  }
  return changed;
}

void OffsetStore::MarkPersisted(const MessageQueue& mq, int64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  if (offsets_.count(mq) != 0) persisted_[mq] = offset;
}

void OffsetStore::Forget(const MessageQueue& mq) {
  std::lock_guard<std::mutex> lock(mu_);
  offsets_.erase(mq);
  persisted_.erase(mq);
}

std::map<MessageQueue, int64_t> OffsetStore::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return offsets_;
}

BrokerOffsetStore::BrokerOffsetStore(ClientInstance* client, std::string group,
                                     std::chrono::milliseconds timeout)
    : client_(client), group_(std::move(group)), timeout_(timeout) {}

Result<int64_t> BrokerOffsetStore::ReadStored(const MessageQueue& mq) {
  auto addr = client_->FindMasterAddr(mq.getBrokerName());
  if (!addr) return Status::IOError("no master address for broker " + mq.getBrokerName());
  auto response = client_->Invoke(
      *addr, BuildQueryConsumerOffsetRequest(group_, mq.getTopic(), mq.getQueueId()), timeout_);
  if (!response.ok()) return response.status();
  if (response->code == ResponseCode::kQueryNotFound) {
    return Status::NotFound("no offset of group " + group_ + " for " + mq.toString());
  }
  if (response->code != ResponseCode::kSuccess) {
    return Status::IOError("query offset of " + mq.toString() + " at " + *addr + ": " +
                           DescribeResponse(*response));
  }
  return ParseOffsetResponse(*response);
}

void BrokerOffsetStore::Remove(const MessageQueue& mq) {
  // Synchronous, like RocketMQ's hand-over: the next owner reads this offset, so it must
  // be on the broker before the queue is released.
  int64_t offset = Read(mq);
  if (offset >= 0) Persist(mq, offset, /*sync=*/true);
  Forget(mq);
}

bool BrokerOffsetStore::Persist(const MessageQueue& mq, int64_t offset, bool sync) {
  auto addr = client_->FindMasterAddr(mq.getBrokerName());
  if (!addr) return false;  // master down: the next round or a pull commits it
  auto request = BuildUpdateConsumerOffsetRequest(group_, mq.getTopic(), mq.getQueueId(), offset);
  if (sync) {
    auto response = client_->Invoke(*addr, std::move(request), timeout_);
    if (!response.ok() || response->code != ResponseCode::kSuccess) {
      Log().warn("commit offset {} of {} to {} failed: {}", offset, mq.toString(), *addr,
                 response.ok() ? DescribeResponse(*response) : response.status().ToString());
      return false;
    }
    return true;
  }
  // RocketMQ commits oneway every 5 s; a lost one is repeated by the next round.
  return client_->remoting().InvokeOneway(*addr, std::move(request), timeout_).ok();
}

void BrokerOffsetStore::PersistAll(bool sync) {
  for (const auto& [mq, offset] : Changed()) {
    if (Persist(mq, offset, sync)) MarkPersisted(mq, offset);
  }
}

}  // namespace sprocket::sdk
