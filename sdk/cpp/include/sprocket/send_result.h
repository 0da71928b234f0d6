// The outcome of a successful synchronous send.
#pragma once

#include <cstdint>
#include <string>

#include "sprocket/message.h"

namespace sprocket {

// Every status means the message is stored on the master; the last three say that a
// SYNC_FLUSH flush or SYNC_MASTER replication did not complete in time.
enum SendStatus { SEND_OK, FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE };

// "SEND_OK", "FLUSH_DISK_TIMEOUT", ...
const char* SendStatusName(SendStatus status);

class SendResult {
 public:
  SendResult() = default;
  SendResult(SendStatus status, std::string msgId, std::string offsetMsgId,
             MessageQueue messageQueue, int64_t queueOffset)
      : status_(status),
        msg_id_(std::move(msgId)),
        offset_msg_id_(std::move(offsetMsgId)),
        queue_(std::move(messageQueue)),
        queue_offset_(queueOffset) {}

  SendStatus getSendStatus() const { return status_; }
  // The UNIQ_KEY the producer put on the message; consumers see it as getMsgId().
  const std::string& getMsgId() const { return msg_id_; }
  // The broker's id for the stored copy (store host + commit-log offset).
  const std::string& getOffsetMsgId() const { return offset_msg_id_; }
  const MessageQueue& getMessageQueue() const { return queue_; }
  int64_t getQueueOffset() const { return queue_offset_; }

  // "SendResult [sendStatus=SEND_OK, msgId=..., offsetMsgId=..., messageQueue=..., queueOffset=3]"
  std::string toString() const;

 private:
  SendStatus status_ = SEND_OK;
  std::string msg_id_;
  std::string offset_msg_id_;
  MessageQueue queue_;
  int64_t queue_offset_ = 0;
};

}  // namespace sprocket
