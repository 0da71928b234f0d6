#include "offset_store.h"

#include <vector>

#include "log.h"
#include "requests.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::sdk {

namespace ResponseCode = protocol::ResponseCode;

OffsetStore::OffsetStore(ClientInstance* client, std::string group,
                         std::chrono::milliseconds timeout)
    : client_(client), group_(std::move(group)), timeout_(timeout) {}

void OffsetStore::Update(const MessageQueue& mq, int64_t offset, bool increase_only) {
  if (offset < 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = offsets_.emplace(mq, offset);
  if (!inserted && (!increase_only || offset > it->second)) it->second = offset;
}

int64_t OffsetStore::Read(const MessageQueue& mq) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = offsets_.find(mq);
  return it == offsets_.end() ? -1 : it->second;
}

void OffsetStore::Remove(const MessageQueue& mq) {
  int64_t offset = Read(mq);
  if (offset >= 0) Persist(mq, offset, /*sync=*/false);
  std::lock_guard<std::mutex> lock(mu_);
  offsets_.erase(mq);
  persisted_.erase(mq);
}

Result<int64_t> OffsetStore::QueryBroker(const MessageQueue& mq) {
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
  auto offset = ParseOffsetResponse(*response);
  if (offset.ok()) Update(mq, *offset, /*increase_only=*/false);
  return offset;
}

bool OffsetStore::Persist(const MessageQueue& mq, int64_t offset, bool sync) {
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

void OffsetStore::PersistAll(bool sync) {
  std::vector<std::pair<MessageQueue, int64_t>> changed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [mq, offset] : offsets_) {
      auto it = persisted_.find(mq);
      if (it == persisted_.end() || it->second != offset) changed.emplace_back(mq, offset);
    }
  }
  for (const auto& [mq, offset] : changed) {
    if (Persist(mq, offset, sync)) {
      std::lock_guard<std::mutex> lock(mu_);
      persisted_[mq] = offset;
    }
  }
}

}  // namespace sprocket::sdk
