#include "server/program_main.h"

#include <cstdio>
#include <cstring>

#include "server/server_runtime.h"

namespace sprocket {

Result<ProgramArgs> ParseProgramArgs(int argc, char** argv, bool accepts_namesrv_flag) {
  ProgramArgs args;
  std::string usage = std::string("usage: ") + (argc > 0 ? argv[0] : "prog") + " [-c config]" +
                      (accepts_namesrv_flag ? " [-n namesrvAddr]" : "") + " [-D key=value]...";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto need = [&](const char* flag) -> Result<std::string> {
      if (i + 1 >= argc) return Status::InvalidArgument(std::string(flag) + " needs a value; " + usage);
      return std::string(argv[++i]);
    };
    if (a == "-h" || a == "--help") {
      args.help = true;
    } else if (a == "-c") {
      auto v = need("-c");
      if (!v.ok()) return v.status();
      args.config_file = *v;
    } else if (a == "-n" && accepts_namesrv_flag) {
      auto v = need("-n");
      if (!v.ok()) return v.status();
      args.overrides.Set("namesrvAddr", *v);
    } else if (a == "-D") {
      auto v = need("-D");
      if (!v.ok()) return v.status();
      auto eq = v->find('=');
      if (eq == std::string::npos || eq == 0) return Status::InvalidArgument("-D needs key=value, got '" + *v + "'");
      args.overrides.Set(v->substr(0, eq), v->substr(eq + 1));
    } else {
      return Status::InvalidArgument("unknown option '" + a + "'; " + usage);
    }
  }
  return args;
}

Result<Config> LoadProgramConfig(const ProgramArgs& args) {
  Config config;
  if (!args.config_file.empty()) {
    auto loaded = Config::LoadFile(args.config_file);
    if (!loaded.ok()) return loaded.status();
    config = std::move(*loaded);
  }
  for (const auto& [k, v] : args.overrides.entries()) {
    config.Set(k, v);
    config.SetOrigin(k, "command line");
  }
  return config;
}

void PrintEndpoints(const ServerRuntime& runtime) {
  std::string line = "Sprocket endpoints:";
  for (const auto& e : runtime.Endpoints()) {
    line += " " + e.label + "=" + e.address + ":" + std::to_string(e.port);
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace sprocket
