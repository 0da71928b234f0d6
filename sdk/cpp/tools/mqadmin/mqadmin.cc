// mqadmin: Sprocket's operator CLI, with RocketMQ's command names, flags and output
// (RocketMQ's tools/…/MQAdminStartup and its SubCommands; /work/shared/compat/mqadmin.md).
//
//   mqadmin <command> -n host:port[;host:port] [options]
//   mqadmin -h | mqadmin help <command> | mqadmin <command> -h
//
// Exit status: 0 on success (and for help), 1 when the command failed (the reason on
// stderr), 2 on bad usage (the reason and the usage on stderr). NAMESRV_ADDR is used when
// -n is absent.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "commands.h"

namespace sprocket::mqadmin {

std::string Context::namesrv_list() const {
  std::string out;
  for (const auto& a : namesrvs_) {
    if (!out.empty()) out += ";";
    out += a;
  }
  return out;
}

AdminClient& Context::admin() {
  if (!admin_) admin_ = std::make_unique<AdminClient>(namesrvs_, std::chrono::milliseconds(5000));
  return *admin_;
}

std::string Format(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list copy;
  va_copy(copy, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string out(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, fmt, ap);
  va_end(ap);
  return out;
}

std::string Front(const std::string& s, size_t size) { return s.size() > size ? s.substr(0, size) : s; }

namespace {

std::tm LocalTm(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

}  // namespace

std::string FormatDate(int64_t ms) {
  std::tm tm = LocalTm(ms);
  return Format("%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
}

std::string FormatDateMillis(int64_t ms) {
  std::tm tm = LocalTm(ms);
  return Format("%04d-%02d-%02d %02d:%02d:%02d,%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RetryTopic(const std::string& group) { return "%RETRY%" + group; }

namespace {

std::vector<OptionSpec> GlobalOptions() {
  return {
      {'h', "help", false, false, "Print help"},
      {'n', "namesrvAddr", true, false, "Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'"}};
}

std::vector<OptionSpec> AllOptions(const Command& c) {
  std::vector<OptionSpec> all = GlobalOptions();
  all.insert(all.end(), c.options.begin(), c.options.end());
  return all;
}

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto group :
       {TopicCommands(), ClusterCommands(), ConsumerCommands(), MessageCommands(), QueryCommands()}) {
    for (auto& c : group) all.push_back(std::move(c));
  }
  return all;
}

void PrintCommandList(FILE* out, const std::vector<Command>& commands) {
  std::fprintf(out, "The most commonly used mqadmin commands are:\n");
  for (const auto& c : commands) std::fprintf(out, "   %-20s %s\n", c.name.c_str(), c.description.c_str());
  std::fprintf(out, "\nSee 'mqadmin help <command>' for more information on a specific command.\n");
}

std::vector<std::string> SplitNamesrvs(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(';', start);
    if (end == std::string::npos) end = list.size();
    std::string item = list.substr(start, end - start);
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    start = end + 1;
  }
  return out;
}

int Run(int argc, char** argv) {
  std::vector<Command> commands = AllCommands();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    PrintCommandList(stderr, commands);
    return 2;
  }
  const std::string& name = args[0];
  if (name == "-h" || name == "--help") {
    PrintCommandList(stdout, commands);
    return 0;
  }
  auto find = [&](const std::string& n) -> const Command* {
    for (const auto& c : commands)
      if (c.name == n) return &c;
    return nullptr;
  };
  if (name == "help") {
    if (args.size() < 2) {
      PrintCommandList(stdout, commands);
      return 0;
    }
    const Command* c = find(args[1]);
    if (c == nullptr) {
      std::fprintf(stderr, "The sub command %s not exist.\n", args[1].c_str());
      PrintCommandList(stderr, commands);
      return 2;
    }
    std::fputs(Usage(c->name, AllOptions(*c)).c_str(), stdout);
    return 0;
  }
  const Command* cmd = find(name);
  if (cmd == nullptr) {
    std::fprintf(stderr, "The sub command %s not exist.\n", name.c_str());
    PrintCommandList(stderr, commands);
    return 2;
  }
  std::vector<OptionSpec> options = AllOptions(*cmd);
  std::vector<std::string> rest(args.begin() + 1, args.end());
  // -h anywhere prints the help, whatever else is wrong with the line.
  for (const auto& a : rest) {
    if (a == "-h" || a == "--help") {
      std::fputs(Usage(cmd->name, options).c_str(), stdout);
      return 0;
    }
  }
  CommandLine cl;
  try {
    cl = CommandLine::Parse(rest, options);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s\n%s", e.what(), Usage(cmd->name, options).c_str());
    return 2;
  }
  std::string namesrv = cl.Value('n');
  if (namesrv.empty()) {
    const char* env = std::getenv("NAMESRV_ADDR");
    if (env != nullptr) namesrv = env;
  }
  Context ctx(SplitNamesrvs(namesrv));
  try {
    cmd->run(cl, ctx);
  } catch (const UsageError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n%s", e.what(), Usage(cmd->name, options).c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    // RocketMQ prints SubCommandException("<Class> command failed") caused by the reason.
    std::fprintf(stderr, "%s command failed\nCaused by: %s\n", cmd->class_name.c_str(), e.what());
    return 1;
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace sprocket::mqadmin

int main(int argc, char** argv) {
  // The SDK logs to stderr at info; an operator tool wants only its own output.
  ::setenv("SPROCKET_SDK_LOG_LEVEL", "warn", /*overwrite=*/0);
  return sprocket::mqadmin::Run(argc, argv);
}
