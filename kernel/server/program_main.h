// Shared command-line handling for mqnamesrv and mqbroker: RocketMQ's flags.
//   -c <file>   config file (key=value)
//   -n <addrs>  nameserver list "host:port;host:port" (mqbroker only; overrides namesrvAddr)
//   -h          usage
// Sprocket also accepts `-D key=value` (repeatable) to set one config key from the
// command line; scripts and tests use it for ports and directories.
#pragma once

#include <string>

#include "common/config.h"

namespace sprocket {

struct ProgramArgs {
  std::string config_file;
  Config overrides;
  bool help = false;
};

// Parses argv; on a bad flag returns InvalidArgument with the usage line in the message.
Result<ProgramArgs> ParseProgramArgs(int argc, char** argv, bool accepts_namesrv_flag);

// Loads the config file (if any) and applies overrides.
Result<Config> LoadProgramConfig(const ProgramArgs& args);

// Prints the one line tests and scripts read to learn the bound ports:
//   "Sprocket endpoints: main=0.0.0.0:9876 vip=0.0.0.0:9874"
class ServerRuntime;
void PrintEndpoints(const ServerRuntime& runtime);

}  // namespace sprocket
