// mqadmin's commands: each has RocketMQ's name, options and output, and a run function.
// The table lives in mqadmin.cc; the commands are grouped by subject in *_commands.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "admin_client.h"
#include "command_line.h"

namespace sprocket::mqadmin {

// Shared by the commands of one invocation.
class Context {
 public:
  explicit Context(std::vector<std::string> namesrvs) : namesrvs_(std::move(namesrvs)) {}

  const std::vector<std::string>& namesrvs() const { return namesrvs_; }
  // "a;b", the form the SDK's setNamesrvAddr takes.
  std::string namesrv_list() const;
  // Created on first use (it owns a connection thread).
  AdminClient& admin();

 private:
  std::vector<std::string> namesrvs_;
  std::unique_ptr<AdminClient> admin_;
};

struct Command {
  std::string name;
  std::string description;
  // RocketMQ's class name, for "<class> command failed" (what operators grep logs for).
  std::string class_name;
  std::vector<OptionSpec> options;  // the command's own; main adds -h and -n
  void (*run)(const CommandLine& cl, Context& ctx);
};

std::vector<Command> TopicCommands();     // updateTopic deleteTopic topicList topicRoute topicStatus
std::vector<Command> ClusterCommands();   // clusterList
std::vector<Command> ConsumerCommands();  // consumerProgress consumerConnection
std::vector<Command> MessageCommands();   // sendMessage consumeMessage
std::vector<Command> QueryCommands();     // queryMsgById queryMsgByKey queryMsgByUniqueKey printMsg

// --- output helpers, RocketMQ's formats ----------------------------------------------------
// printf into a std::string.
std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// UtilAll.frontStringAtLeast: at most `size` characters.
std::string Front(const std::string& s, size_t size);
// Local time "yyyy-MM-dd HH:mm:ss" (UtilAll.YYYY_MM_DD_HH_MM_SS).
std::string FormatDate(int64_t ms);
// Local time "yyyy-MM-dd HH:mm:ss,SSS" (UtilAll.timeMillisToHumanString2).
std::string FormatDateMillis(int64_t ms);
int64_t NowMillis();
// "%RETRY%" + group.
std::string RetryTopic(const std::string& group);

}  // namespace sprocket::mqadmin
