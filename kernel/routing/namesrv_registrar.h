// NamesrvRegistrar: keeps every nameserver told about this broker (PROTOCOL.md §3.8, §8.1).
// REGISTER_BROKER to each nameserver at start, every registerNameServerPeriod, and at
// once after any topic change; UNREGISTER_BROKER to each on a clean shutdown.
// Nameservers are independent: one being down delays nobody (calls run in parallel).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "routing/topic_config_manager.h"
#include "sprocket/remoting/client.h"

namespace sprocket::broker {

struct RegistrarConfig {
  std::string cluster_name;
  std::string broker_name;
  std::string broker_addr;     // ip:listenPort
  std::string ha_server_addr;  // ip:haPort
  int64_t broker_id = 0;
  std::vector<std::string> namesrv_addrs;
  int64_t period_ms = 30000;
  int64_t timeout_ms = 6000;
};

class NamesrvRegistrar {
 public:
  NamesrvRegistrar(RegistrarConfig config, const TopicConfigManager& topics,
                   remoting::RemotingClient& client);
  ~NamesrvRegistrar();

  void Start();
  // Asks for a registration round as soon as possible (coalesces bursts).
  void TriggerNow();
  // Stops the thread; with `unregister`, tells every nameserver we are leaving.
  void Stop(bool unregister);

  // Registers with every nameserver now, in parallel; returns how many accepted.
  int RegisterAll();

 private:
  void Run();
  // A request carrying the four fields that name this broker.
  protocol::RemotingCommand BrokerRequest(int32_t code) const;

  RegistrarConfig config_;
  const TopicConfigManager& topics_;
  remoting::RemotingClient& client_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool triggered_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sprocket::broker
