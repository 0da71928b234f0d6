// mqnamesrv: the route registry. main() only wires parts together.
#include <cstdio>
#include <cstdlib>

#include "common/logging.h"
#include "namesrv/namesrv_controller.h"
#include "server/program_main.h"
#include "server/server_runtime.h"

using namespace sprocket;

int main(int argc, char** argv) {
  ServerRuntime::BlockSignals();
  InitLogging("mqnamesrv");
  auto args = ParseProgramArgs(argc, argv, /*accepts_namesrv_flag=*/false);
  if (!args.ok()) {
    std::fprintf(stderr, "mqnamesrv: %s\n", args.status().message().c_str());
    return 2;
  }
  if (args->help) {
    std::printf("usage: mqnamesrv [-c namesrv.conf] [-D key=value]...\n");
    return 0;
  }
  auto config = LoadProgramConfig(*args);
  if (!config.ok()) {
    std::fprintf(stderr, "mqnamesrv: %s\n", config.status().message().c_str());
    return 1;
  }
  if (!config->Has("listenPort")) config->Set("listenPort", "9876");
  auto options = namesrv::NamesrvOptionsFrom(*config);
  if (!options.ok()) {
    std::fprintf(stderr, "mqnamesrv: %s\n", options.status().message().c_str());
    return 1;
  }
  RuntimeSpec spec;
  spec.program = "mqnamesrv";
  spec.keys = namesrv::NamesrvKeyRules();
  std::string kv_dir = options->kv_config_path;
  kv_dir = kv_dir.substr(0, kv_dir.find_last_of('/') == std::string::npos ? 0 : kv_dir.find_last_of('/'));
  spec.data_dir = kv_dir.empty() ? "." : kv_dir;
  spec.wants_auth = false;

  ServerRuntime runtime(std::move(*config), std::move(spec));
  if (Status s = runtime.Load(); !s.ok()) {
    std::fprintf(stderr, "mqnamesrv: %s\n", s.message().c_str());
    return 1;
  }
  // Like RocketMQ 4.x, the nameserver checks no credentials; authPlugin is the broker's.
  namesrv::NamesrvController controller(runtime, *options);
  if (Status s = controller.Start(); !s.ok()) {
    std::fprintf(stderr, "mqnamesrv: %s\n", s.message().c_str());
    return 1;
  }
  if (Status s = runtime.StartTransports(); !s.ok()) {
    std::fprintf(stderr, "mqnamesrv: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("The Name Server boot success. serializeType=JSON\n");
  PrintEndpoints(runtime);
  int sig = ServerRuntime::WaitForSignal();
  GetLogger("mqnamesrv")->info("signal {}: shutting down", sig);
  runtime.StopTransports();
  controller.Stop();
  runtime.Shutdown();
  return 0;
}
