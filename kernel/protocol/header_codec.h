// The two RemotingCommand header encodings (PROTOCOL.md §1.2, §1.3). Private to
// kernel/protocol; remoting_command.cc puts them into frames.
#pragma once

#include <string>
#include <string_view>

#include "sprocket/protocol/remoting_command.h"

namespace sprocket::protocol::detail {

// fastjson-style JSON header appended to `out`.
void AppendJsonHeader(const RemotingCommand& cmd, std::string* out);
// Fills the header fields of `cmd` (which the caller has reset) from a JSON header.
Status DecodeJsonHeader(std::string_view header, RemotingCommand* cmd);

void AppendBinaryHeader(const RemotingCommand& cmd, std::string* out);
Status DecodeBinaryHeader(std::string_view header, RemotingCommand* cmd);

}  // namespace sprocket::protocol::detail
