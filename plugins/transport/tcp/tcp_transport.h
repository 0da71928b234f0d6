// TcpTransport: listens on the main port (and optionally the VIP port), hands each accepted
// connection to a TcpSession on one of the host's io_contexts, round-robin.
//
// Private to the tcp plugin; the kernel sees it only as a sprocket::Transport.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../common/session_registry.h"
#include "sprocket/plugin/transport.h"

namespace spdlog {
class logger;
}

namespace sprocket::tcp {

class TcpSession;
struct Listener;

// One socket to listen on, already validated by the factory.
struct ListenSpec {
  std::string label;    // "main" or "vip": becomes Session::Listener()
  std::string address;  // an IP literal: "0.0.0.0", "127.0.0.1", "::"
  uint16_t port = 0;    // 0: ephemeral
};

class TcpTransport final : public Transport {
 public:
  TcpTransport(PluginHost& host, std::vector<ListenSpec> specs);
  ~TcpTransport() override;  // Stop()

  Status Start(FrameSink* sink) override;
  std::vector<Endpoint> BoundEndpoints() const override;
  void Stop() override;

 private:
  PluginHost& host_;
  const std::shared_ptr<spdlog::logger> log_;
  const std::vector<ListenSpec> specs_;

  mutable std::mutex mu_;  // guards everything below
  bool started_ = false;
  bool stopped_ = false;
  std::vector<Endpoint> endpoints_;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::shared_ptr<transport_common::SessionRegistry<TcpSession>> registry_;
};

}  // namespace sprocket::tcp
