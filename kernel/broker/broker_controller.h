// BrokerController: builds the broker from its parts and runs its lifecycle.
//
// Start: load metadata (topics, offsets, groups) -> register handlers -> (runtime binds
// the transports) -> Go live: learn the bound address, register with every nameserver,
// start housekeeping. Stop: unregister, stop holds and timers, persist offsets.
#pragma once

#include <memory>

#include "broker/broker_context.h"
#include "broker/retention_service.h"
#include "server/periodic_task.h"
#include "sprocket/remoting/client.h"

namespace sprocket::broker {

class BrokerController {
 public:
  BrokerController(BrokerConfig config, ServerRuntime& runtime);
  ~BrokerController();

  Status Initialize();  // before transports start
  Status GoLive();      // after transports started
  void Shutdown();      // before the runtime shuts down

  BrokerContext& context() { return *ctx_; }

 private:
  std::unique_ptr<BrokerContext> ctx_;
  std::unique_ptr<remoting::RemotingClient> client_;
  std::unique_ptr<NamesrvRegistrar> registrar_;
  std::vector<std::unique_ptr<PeriodicTask>> tasks_;
  std::unique_ptr<RetentionService> retention_;
  bool live_ = false;
};

}  // namespace sprocket::broker
