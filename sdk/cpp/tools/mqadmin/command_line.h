// Command-line parsing for mqadmin, shaped like the Apache Commons CLI that RocketMQ's
// mqadmin uses: short options (-t T), long options (--topic T, --topic=T), required
// options, "Missing required option: t" / "Unrecognized option: -x" messages, and a
// "usage: mqadmin <command> ..." help text with one line per option.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace sprocket::mqadmin {

struct OptionSpec {
  char short_name;
  std::string long_name;
  bool has_arg = true;
  bool required = false;
  std::string description;
};

// Bad command line: the message, then the command's usage, go to stderr (exit 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A command that ran and failed (exit 1). The message is what RocketMQ's exception chain
// would say, e.g. "CODE: 17  DESC: No topic route info in name server for the topic: T".
class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CommandLine {
 public:
  // Parses `args` (what follows the command name) against `options`. Throws UsageError.
  static CommandLine Parse(const std::vector<std::string>& args, const std::vector<OptionSpec>& options);

  bool Has(char opt) const { return values_.count(opt) != 0; }
  // The value, trimmed like Java's String.trim; `fallback` when absent.
  std::string Value(char opt, const std::string& fallback = "") const;
  // A decimal integer value; UsageError naming the option when it is not one.
  int64_t IntValue(char opt, int64_t fallback) const;
  // "true"/"false" (case-insensitive, like Boolean.parseBoolean: anything else is false).
  bool BoolValue(char opt, bool fallback) const;

 private:
  std::map<char, std::string> values_;
  std::map<char, std::string> long_names_;
};

// "usage: mqadmin <command> [-h] ..." followed by one line per option.
std::string Usage(const std::string& command, const std::vector<OptionSpec>& options);

}  // namespace sprocket::mqadmin
