// Conversions and checks between the public message types and the wire (protocol::)
// types. Pure logic, no I/O.
#pragma once

#include <string>
#include <vector>

#include "sprocket/message.h"
#include "sprocket/plugin/status.h"
#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/message.h"

namespace sprocket::sdk {

// A decoded record as the application sees it: body inflated when the COMPRESSED flag is
// set (left as stored, with a warning, if it does not inflate).
MessageExt ToMessageExt(protocol::MessageExt&& record);

// Messages redelivered through %RETRY%<group> carry their original topic in RETRY_TOPIC;
// the listener sees that topic, as with RocketMQ's resetRetryAndNamespace.
void RestoreRetryTopic(MessageExt* msg, const std::string& group);

// The client-side tag check RocketMQ repeats after the broker's hash filter: a
// subscription with tags keeps only messages whose TAGS string is one of them.
bool MatchesSubscription(const MessageExt& msg, const protocol::SubscriptionData& sub);

// What the producer checks before sending (RocketMQ's Validators.checkMessage):
// topic name and length, body present and not larger than `max_body_bytes`.
// InvalidArgument / MessageIllegal with the reason.
Status CheckMessage(const Message& msg, int max_body_bytes);

// "%RETRY%" + group.
std::string RetryTopic(const std::string& group);

}  // namespace sprocket::sdk
