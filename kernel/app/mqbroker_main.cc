// mqbroker: stores and serves messages. main() only wires parts together.
#include <cstdio>

#include "broker/broker_config.h"
#include "broker/broker_controller.h"
#include "common/logging.h"
#include "server/program_main.h"
#include "server/server_runtime.h"

using namespace sprocket;

namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "mqbroker: %s\n", s.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  ServerRuntime::BlockSignals();
  InitLogging("mqbroker");
  auto args = ParseProgramArgs(argc, argv, /*accepts_namesrv_flag=*/true);
  if (!args.ok()) {
    std::fprintf(stderr, "mqbroker: %s\n", args.status().message().c_str());
    return 2;
  }
  if (args->help) {
    std::printf("usage: mqbroker [-c broker.conf] [-n namesrvAddr] [-D key=value]...\n");
    return 0;
  }
  auto config = LoadProgramConfig(*args);
  if (!config.ok()) return Fail(config.status());
  if (!config->Has("listenPort")) config->Set("listenPort", "10911");
  auto broker_config = broker::BrokerConfigFrom(*config);
  if (!broker_config.ok()) return Fail(broker_config.status());

  RuntimeSpec spec;
  spec.program = "mqbroker";
  spec.keys = broker::BrokerKeyRules();
  spec.data_dir = broker_config->store_path_root_dir;
  spec.wants_storage = true;
  // The VIP port (listenPort-2) serves everything but pulls; ephemeral when listenPort is.
  int32_t port = broker_config->listen_port;
  spec.derived_options["vipListenPort"] = std::to_string(port == 0 ? 0 : port - 2);

  ServerRuntime runtime(std::move(*config), std::move(spec));
  if (Status s = runtime.Load(); !s.ok()) return Fail(s);
  // `none` allows everything: skip the per-request auth work instead of asking it.
  if (runtime.config().GetString("authPlugin", "none") != "none") {
    runtime.server().SetAuthorizer(runtime.authorizer(), broker::ResolveAuthResources);
  }

  broker::BrokerController controller(std::move(*broker_config), runtime);
  if (Status s = controller.Initialize(); !s.ok()) return Fail(s);
  if (Status s = runtime.StartTransports(); !s.ok()) return Fail(s);
  if (Status s = controller.GoLive(); !s.ok()) return Fail(s);
  std::printf("The broker[%s, %s] boot success. serializeType=JSON and name server is %s\n",
              controller.context().config.broker_name.c_str(), controller.context().broker_addr.c_str(),
              runtime.config().GetString("namesrvAddr", "").c_str());
  PrintEndpoints(runtime);

  int sig = ServerRuntime::WaitForSignal();
  GetLogger("mqbroker")->info("signal {}: shutting down", sig);
  // Unregister first so clients stop routing here, then close connections.
  controller.Shutdown();
  runtime.StopTransports();
  runtime.Shutdown();
  return 0;
}
