// How RocketMQ's query commands show one message: the detail block of
// QueryMsgByIdSubCommand.printMsg / QueryMsgByUniqueKeySubCommand.queryById, with the
// body written to /tmp/rocketmq/msgbodys/<msgId> and the consumer groups' progress on it
// (DefaultMQAdminExt.messageTrackDetail).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands.h"
#include "sprocket/protocol/message.h"

namespace sprocket::mqadmin {

struct DetailOptions {
  bool offset_id_line = true;          // queryMsgById prints "OffsetID:"; queryMsgByUniqueKey does not
  std::optional<std::string> charset;  // -f: also print the body decoded from this charset
};

// Prints the block, then the message tracks ("WARN: No Consumer" when no group consumes the
// topic). CommandError when the body file cannot be written or the charset is unknown.
void PrintMessageDetail(Context& ctx, const protocol::MessageExt& msg, const DetailOptions& options);

// The message's body as the application sent it (inflated when stored compressed).
std::string BodyOf(const protocol::MessageExt& msg);

// `bytes` decoded from `charset` (a Java charset name: UTF-8, GBK, ISO-8859-1, ...) into
// UTF-8 for printing; malformed input becomes U+FFFD. InvalidArgument for an unknown charset.
Result<std::string> DecodeCharset(std::string_view bytes, const std::string& charset);

// Java's HashMap<String,String>.toString(): "{k=v, k2=v2}" in HashMap iteration order
// (a default HashMap filled in the given order), which is how RocketMQ prints properties.
std::string JavaMapString(const std::vector<std::pair<std::string, std::string>>& items);
// The iteration order of a default Java HashMap/HashSet holding `keys` (inserted in order).
std::vector<std::string> JavaHashOrder(std::vector<std::string> keys);

// MessageClientIDSetter.getNearlyTimeFromID: roughly when a UNIQ_KEY was made (its
// ms-since-month-start field, local time); 0 when `id` is not such an id.
int64_t NearlyTimeFromUniqKey(std::string_view id);

}  // namespace sprocket::mqadmin
