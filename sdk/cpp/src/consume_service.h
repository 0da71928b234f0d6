// Runs the listener (RocketMQ's ConsumeMessageConcurrentlyService): pulled messages are
// cut into batches of consumeMessageBatchMaxSize and run on a thread pool; each result
// advances the queue's committed offset, and RECONSUME_LATER hands the message back to
// the broker (CONSUMER_SEND_MSG_BACK) for later redelivery through the retry topic.
#pragma once

#include <memory>
#include <vector>

#include "consumer_context.h"
#include "sprocket/push_consumer.h"
#include "thread_pool.h"

namespace sprocket::sdk {

class ConsumeService {
 public:
  ConsumeService(ConsumerContext* ctx, MessageListenerConcurrently* listener);

  // Queues `msgs` (pulled from `mq`, already recorded in `pq`) for the listener. Never
  // blocks: called on the I/O thread.
  void Submit(const std::shared_ptr<ProcessQueue>& pq, const MessageQueue& mq,
              std::vector<MessageExt> msgs);

  // Drops queued batches and waits for listener calls in progress. Their messages stay
  // uncommitted, so they come again after a restart.
  void Shutdown();

 private:
  struct Batch {
    std::shared_ptr<ProcessQueue> pq;
    MessageQueue mq;
    std::vector<MessageExt> msgs;
  };

  void Enqueue(std::shared_ptr<Batch> batch);
  void Consume(const std::shared_ptr<Batch>& batch);
  void OnResult(const std::shared_ptr<Batch>& batch, ConsumeStatus status);
  // CONSUMER_SEND_MSG_BACK; false when the broker did not take it.
  bool SendBack(const MessageExt& msg, const MessageQueue& mq);

  ConsumerContext* const ctx_;
  MessageListenerConcurrently* const listener_;
  ThreadPool pool_;
};

}  // namespace sprocket::sdk
