// NamesrvController: mqnamesrv's request handlers and housekeeping.
//
//   103 REGISTER_BROKER        104 UNREGISTER_BROKER         105 GET_ROUTEINFO_BY_TOPIC
//   106 GET_BROKER_CLUSTER_INFO 206 GET_ALL_TOPIC_LIST_FROM_NAMESERVER
//   100/101/102 PUT/GET/DELETE_KV_CONFIG  219 GET_KVLIST_BY_NAMESPACE
//   224 GET_TOPICS_BY_CLUSTER  216 DELETE_TOPIC_IN_NAMESRV   322 QUERY_DATA_VERSION
//   205/327 WIPE/ADD_WRITE_PERM_OF_BROKER
// Every other code is answered REQUEST_CODE_NOT_SUPPORTED (the 4.9.8 namesrv stays silent;
// answering is kinder to clients, PROTOCOL.md §1.4).
//
// Housekeeping: every scan interval (10 s) brokers not heard from for the expiry time
// (120 s) are dropped and their connections closed; a broker's routes go at once when
// the connection it registered on closes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "namesrv/kv_config_manager.h"
#include "namesrv/route_info_manager.h"
#include "server/periodic_task.h"
#include "server/server_runtime.h"

namespace sprocket::namesrv {

struct NamesrvOptions {
  int64_t broker_expired_ms = 120000;
  int64_t scan_interval_ms = 10000;
  std::string kv_config_path;
};

// The namesrv.conf keys mqnamesrv acts on, and the RocketMQ ones it ignores.
KeyRules NamesrvKeyRules();
// Reads NamesrvOptions from the config (defaults as RocketMQ).
Result<NamesrvOptions> NamesrvOptionsFrom(const Config& config);

class NamesrvController {
 public:
  NamesrvController(ServerRuntime& runtime, NamesrvOptions options);
  ~NamesrvController();

  Status Start();  // loads KV config, registers handlers, starts the scan
  void Stop();     // stops the scan; call before the runtime shuts down

  RouteInfoManager& routes() { return routes_; }

 private:
  ServerRuntime& runtime_;
  NamesrvOptions options_;
  RouteInfoManager routes_;
  KvConfigManager kv_;
  std::unique_ptr<PeriodicTask> scanner_;
};

}  // namespace sprocket::namesrv
