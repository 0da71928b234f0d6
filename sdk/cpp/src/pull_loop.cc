#include "pull_loop.h"

#include "client_instance.h"
#include "log.h"
#include "message_util.h"
#include "offset_store.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"

namespace sprocket::sdk {

namespace ResponseCode = protocol::ResponseCode;
namespace PullSysFlag = protocol::PullSysFlag;

PullLoop::PullLoop(ConsumerContext* ctx, ConsumeService* consume) : ctx_(ctx), consume_(consume) {}

bool PullLoop::Active(const PullRequest& req) const {
  return !ctx_->stopping && !req.pq->dropped();
}

void PullLoop::PullLater(const std::shared_ptr<PullRequest>& req, std::chrono::milliseconds delay) {
  if (!Active(*req)) return;
  ctx_->client->scheduler().Schedule(delay, [this, req] { Pull(req); });
}

void PullLoop::Pull(const std::shared_ptr<PullRequest>& req) {
  if (!Active(*req)) return;
  const ConsumerConfig& cfg = ctx_->config;
  // Flow control: a slow listener must not make us buffer the whole queue.
  if (req->pq->CachedCount() > static_cast<size_t>(cfg.pull_threshold_for_queue) ||
      req->pq->CachedBytes() > static_cast<size_t>(cfg.pull_threshold_bytes_for_queue)) {
    PullLater(req, cfg.pull_delay_on_flow_control);
    return;
  }
  bool from_slave = false;
  auto addr = ctx_->client->FindSubscribeAddr(req->mq.getBrokerName(), &from_slave);
  if (!addr) {
    Log().warn("pull {}: no address for broker {}", req->mq.toString(), req->mq.getBrokerName());
    PullLater(req, cfg.pull_delay_on_error);
    return;
  }

  PullMessageHeader h;
  h.consumer_group = cfg.group;
  h.topic = req->mq.getTopic();
  h.queue_id = req->mq.getQueueId();
  h.queue_offset = req->next_offset;
  h.max_msg_nums = cfg.pull_batch_size;
  h.sys_flag = PullSysFlag::kSuspend | PullSysFlag::kSubscription;
  int64_t commit = ctx_->offsets->Read(req->mq);
  // Piggy-backed commit; a slave cannot store offsets.
  if (commit > 0 && !from_slave && ctx_->offsets->CommitsOnPull()) {
    h.sys_flag |= PullSysFlag::kCommitOffset;
    h.commit_offset = commit;
  }
  h.suspend_timeout_millis = cfg.suspend_timeout.count();
  h.subscription = req->subscription.sub_string;
  h.sub_version = req->subscription.sub_version;
  h.expression_type = "TAG";

  std::string target = *addr;
  ctx_->client->remoting().InvokeAsync(
      target, BuildPullMessageRequest(h), cfg.pull_timeout,
      [this, req, target](Result<RemotingCommand> result) {
        OnResponse(req, target, std::move(result));
      });
}

void PullLoop::OnResponse(const std::shared_ptr<PullRequest>& req, const std::string& addr,
                          Result<RemotingCommand> result) {
  if (!Active(*req)) return;
  if (!result.ok()) {
    if (result.status().code() == Status::Code::kAborted) return;  // client shutting down
    Log().warn("pull {} from {} failed: {}", req->mq.toString(), addr, result.status().ToString());
    PullLater(req, ctx_->config.pull_delay_on_error);
    return;
  }
  const RemotingCommand& response = *result;
  auto header = ParsePullResponseHeader(response);
  bool known = response.code == ResponseCode::kSuccess || response.code == ResponseCode::kPullNotFound ||
               response.code == ResponseCode::kPullRetryImmediately ||
               response.code == ResponseCode::kPullOffsetMoved;
  if (!known || !header.ok()) {
    Log().warn("pull {} from {}: {}{}", req->mq.toString(), addr, DescribeResponse(response),
               header.ok() ? "" : " (" + header.status().message() + ")");
    PullLater(req, ctx_->config.pull_delay_on_error);
    return;
  }
  const int64_t next = header->next_begin_offset;
  switch (response.code) {
    case ResponseCode::kSuccess:
      OnFound(req, *header, response);
      return;
    case ResponseCode::kPullNotFound:          // NO_NEW_MSG: the long poll ran out
    case ResponseCode::kPullRetryImmediately:  // NO_MATCHED_MSG: all filtered out
      req->next_offset = next;
      req->pq->SetPullOffset(next);
      // With nothing in flight, the skipped offsets count as consumed.
      ctx_->offsets->Update(req->mq, req->pq->CommitOffset(), /*increase_only=*/true);
      Pull(req);
      return;
    case ResponseCode::kPullOffsetMoved:
      // Our offset is outside what the broker holds (expired, or the broker lost data):
      // jump to where it says; the move may be backwards.
      Log().warn("pull {}: offset {} moved to {}", req->mq.toString(), req->next_offset, next);
      req->next_offset = next;
      req->pq->SetPullOffset(next);
      if (req->pq->CachedCount() == 0) ctx_->offsets->Update(req->mq, next, /*increase_only=*/false);
      Pull(req);
      return;
  }
}

void PullLoop::OnFound(const std::shared_ptr<PullRequest>& req, const PullResponseHeader& header,
                       const RemotingCommand& response) {
  auto records = protocol::DecodeRecords(response.body);
  if (!records.ok()) {
    Log().error("pull {}: undecodable messages at offset {}: {}", req->mq.toString(),
                req->next_offset, records.status().ToString());
    PullLater(req, ctx_->config.pull_delay_on_error);
    return;
  }
  const std::string min_offset = std::to_string(header.min_offset);
  const std::string max_offset = std::to_string(header.max_offset);
  std::vector<MessageExt> msgs;
  msgs.reserve(records->size());
  for (auto& record : *records) {
    MessageExt msg = ToMessageExt(std::move(record));
    // The broker filters by tag hash; two tags can share a hash, so check the string.
    if (!MatchesSubscription(msg, req->subscription)) continue;
    msg.setProperty("MIN_OFFSET", min_offset);
    msg.setProperty("MAX_OFFSET", max_offset);
    RestoreRetryTopic(&msg, ctx_->config.group);
    msgs.push_back(std::move(msg));
  }
  req->next_offset = header.next_begin_offset;
  req->pq->PutMessages(msgs, header.next_begin_offset);
  ctx_->offsets->Update(req->mq, req->pq->CommitOffset(), /*increase_only=*/true);
  if (!msgs.empty()) consume_->Submit(req->pq, req->mq, std::move(msgs));
  Pull(req);
}

}  // namespace sprocket::sdk
