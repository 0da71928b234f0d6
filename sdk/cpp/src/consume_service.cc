#include "consume_service.h"

#include <algorithm>

#include "client_instance.h"
#include "log.h"
#include "offset_store.h"
#include "requests.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::sdk {

ConsumeService::ConsumeService(ConsumerContext* ctx, MessageListenerConcurrently* listener)
    : ctx_(ctx),
      listener_(listener),
      pool_(static_cast<size_t>(std::max(1, ctx->config.consume_thread_min)),
            static_cast<size_t>(std::max(1, ctx->config.consume_thread_max))) {}

void ConsumeService::Submit(const std::shared_ptr<ProcessQueue>& pq, const MessageQueue& mq,
                            std::vector<MessageExt> msgs) {
  const size_t batch_size = static_cast<size_t>(std::max(1, ctx_->config.consume_batch_max_size));
  for (size_t i = 0; i < msgs.size(); i += batch_size) {
    auto batch = std::make_shared<Batch>();
    batch->pq = pq;
    batch->mq = mq;
    size_t end = std::min(msgs.size(), i + batch_size);
    batch->msgs.assign(std::make_move_iterator(msgs.begin() + i),
                       std::make_move_iterator(msgs.begin() + end));
    Enqueue(std::move(batch));
  }
}

void ConsumeService::Enqueue(std::shared_ptr<Batch> batch) {
  // Rejected only during shutdown; the batch then stays uncommitted.
  pool_.Submit([this, batch] { Consume(batch); });
}

void ConsumeService::Shutdown() { pool_.Shutdown(); }

void ConsumeService::Consume(const std::shared_ptr<Batch>& batch) {
  if (batch->pq->dropped()) return;  // the queue went to another consumer meanwhile
  ConsumeStatus status = RECONSUME_LATER;
  try {
    status = listener_->consumeMessage(batch->msgs);
  } catch (const std::exception& e) {
    Log().warn("listener threw on {} ({} messages): {}", batch->mq.toString(), batch->msgs.size(),
               e.what());
  } catch (...) {
    Log().warn("listener threw on {} ({} messages)", batch->mq.toString(), batch->msgs.size());
  }
  if (batch->pq->dropped()) return;
  OnResult(batch, status);
}

void ConsumeService::OnResult(const std::shared_ptr<Batch>& batch, ConsumeStatus status) {
  std::vector<MessageExt> done;
  std::vector<MessageExt> failed;
  if (status == CONSUME_SUCCESS) {
    done = std::move(batch->msgs);
  } else if (ctx_->config.message_model == BROADCASTING) {
    // No retry topic in broadcasting (every member would get the retry); RocketMQ drops
    // the message with a warning, and so do we.
    for (const auto& msg : batch->msgs) {
      Log().warn("broadcasting consumer {}: RECONSUME_LATER for {} on {}: dropped (no retry in "
                 "broadcasting mode)",
                 ctx_->config.group, msg.getMsgId(), batch->mq.toString());
    }
    done = std::move(batch->msgs);
  } else {
    for (auto& msg : batch->msgs) {
      if (SendBack(msg, batch->mq)) {
        done.push_back(std::move(msg));
      } else {
        // The broker could not take it back: keep it in flight (its offset is not
        // committed) and try the listener again here in a while.
        msg.setReconsumeTimes(msg.getReconsumeTimes() + 1);
        failed.push_back(std::move(msg));
      }
    }
  }
  if (!done.empty()) {
    int64_t offset = batch->pq->RemoveMessages(done);
    if (!batch->pq->dropped()) ctx_->offsets->Update(batch->mq, offset, /*increase_only=*/true);
  }
  if (!failed.empty() && !ctx_->stopping) {
    auto retry = std::make_shared<Batch>();
    retry->pq = batch->pq;
    retry->mq = batch->mq;
    retry->msgs = std::move(failed);
    ctx_->client->scheduler().Schedule(ctx_->config.reconsume_local_delay,
                                       [this, retry] { Enqueue(retry); });
  }
}

bool ConsumeService::SendBack(const MessageExt& msg, const MessageQueue& mq) {
  auto addr = ctx_->client->FindMasterAddr(mq.getBrokerName());
  if (!addr) {
    Log().warn("send back {}: no master for broker {}", msg.getMsgId(), mq.getBrokerName());
    return false;
  }
  SendBackHeader h;
  h.commit_log_offset = msg.getCommitLogOffset();
  h.group = ctx_->config.group;
  h.delay_level = 0;  // the broker picks 3 + reconsumeTimes (10 s, 30 s, 1 min, ...)
  h.origin_msg_id = msg.getMsgId();
  h.origin_topic = msg.getTopic();
  h.max_reconsume_times = ctx_->config.max_reconsume_times;
  auto response = ctx_->client->Invoke(*addr, BuildConsumerSendMsgBackRequest(h),
                                       ctx_->config.send_back_timeout);
  if (!response.ok()) {
    Log().warn("send back {} to {} failed: {}", msg.getMsgId(), *addr, response.status().ToString());
    return false;
  }
  if (response->code != protocol::ResponseCode::kSuccess) {
    Log().warn("send back {} to {} refused: {}", msg.getMsgId(), *addr, DescribeResponse(*response));
    return false;
  }
  return true;
}

}  // namespace sprocket::sdk
