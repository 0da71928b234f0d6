// ServerRuntime: what mqnamesrv and mqbroker share — the config check, the I/O pool,
// plugin loading (transports, auth, and for the broker storage), the remoting server,
// and an orderly start/stop.
//
// Start order: Load (config check, plugins created) -> program registers handlers ->
// StartTransports (ports bound; endpoints known) -> program goes live -> WaitForSignal ->
// StopTransports -> program shuts down its parts -> Shutdown.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "plugin_host/plugin_loader.h"
#include "server/io_pool.h"
#include "server/remoting_server.h"
#include "server/server_host.h"

namespace sprocket {

struct RuntimeSpec {
  std::string program;  // "mqbroker", "mqnamesrv"
  KeyRules keys;        // the program's own keys; shared ones are added by the runtime
  std::string data_dir; // created if missing
  std::string default_transports = "tcp";
  bool wants_storage = false;
  bool wants_auth = true;  // the nameserver, like RocketMQ 4.x's, checks no credentials
  std::map<std::string, std::string, std::less<>> derived_options;
};

class ServerRuntime {
 public:
  ServerRuntime(Config config, RuntimeSpec spec);
  ~ServerRuntime();

  // Checks config keys (including each configured plugin's declared keys), loads and
  // creates the plugins. Errors are one line naming the file or key.
  Status Load();
  Status StartTransports();
  void StopTransports();
  void Shutdown();

  const Config& config() const { return config_; }
  RemotingServer& server() { return server_; }
  IoPool& pool() { return *pool_; }
  PluginHost& host() { return *host_; }
  const std::shared_ptr<MessageStore>& store() const { return store_; }
  const std::shared_ptr<Authorizer>& authorizer() const { return auth_; }
  // Every bound endpoint of every transport, in transport order.
  std::vector<Endpoint> Endpoints() const;
  // The first endpoint labelled `label` ("main", "vip", ...), port 0 if none.
  uint16_t PortOf(std::string_view label) const;

  // Blocks the calling thread until SIGINT or SIGTERM. Call BlockSignals() first thing
  // in main, before any thread starts, so that only this wait sees them.
  static void BlockSignals();
  static int WaitForSignal();

 private:
  Config config_;
  RuntimeSpec spec_;
  std::unique_ptr<IoPool> pool_;
  std::unique_ptr<ServerHost> host_;
  std::unique_ptr<PluginLoader> loader_;
  RemotingServer server_;
  std::vector<std::shared_ptr<Transport>> transports_;
  std::shared_ptr<Authorizer> auth_;
  std::shared_ptr<MessageStore> store_;
  bool transports_started_ = false;
};

// Splits "a,b , c" into {"a","b","c"}; also used for namesrvAddr with ';'.
std::vector<std::string> SplitList(std::string_view s, char sep);

}  // namespace sprocket
