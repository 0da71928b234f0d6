// Raw RocketMQ requests for broker tests, built the way third-party clients build them
// (ali-ons' SEND_MESSAGE_V2 letters, the Java client's pull flags), so tests check the
// broker itself rather than our SDK's view of it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/message.h"
#include "sprocket/protocol/remoting_command.h"
#include "sprocket/remoting/client.h"

namespace sprocket::testing {

using protocol::RemotingCommand;

RemotingCommand SendV2Request(const std::string& topic, int32_t queue_id, const std::string& tags,
                              const std::string& keys, const std::string& body,
                              const std::string& producer_group = "PG");

struct PullArgs {
  std::string group = "CG";
  std::string topic;
  int32_t queue_id = 0;
  int64_t offset = 0;
  int32_t max_msgs = 32;
  std::string subscription = "*";
  bool suspend = false;
  int64_t suspend_ms = 1000;
  int64_t commit_offset = -1;  // >0 sets COMMIT_OFFSET
};
RemotingCommand PullRequest(const PullArgs& args);

RemotingCommand CreateTopicRequest(const std::string& topic, int32_t queues, int32_t perm = 6);

// A HEART_BEAT registering one push consumer of `group` subscribed to `topic` with `expr`.
RemotingCommand HeartbeatRequest(const std::string& client_id, const std::string& group,
                                 const std::string& topic, const std::string& expr);

// Creates `topic` on the broker and waits until the nameserver serves its route (the
// broker re-registers at once after a topic change). False when either step fails.
bool CreateTopicAndWait(const std::string& broker_addr, const std::string& namesrv_addr, const std::string& topic,
                        int32_t queues);

Result<RemotingCommand> Call(remoting::RemotingClient& client, const std::string& addr, RemotingCommand req,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Decoded messages of a pull response body (empty on error).
std::vector<protocol::MessageExt> Messages(const RemotingCommand& pull_response);

}  // namespace sprocket::testing
