// WsTransport: listens on websocketListenPort and hands each accepted connection to a
// WsSession on one of the host's io_contexts, round-robin.
//
// Private to the websocket plugin; the kernel sees it only as a sprocket::Transport. Free of
// Beast and Asio: only ws_session.cc compiles Beast.
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

namespace sprocket::ws {

class WsSession;
struct WsListener;

// The options, already validated by the factory.
struct WsOptions {
  std::string label = "ws";  // Session::Listener() and the endpoint label
  std::string address;       // an IP literal: "0.0.0.0", "127.0.0.1", "::"
  uint16_t port = 0;         // 0: ephemeral
  std::string path = "/";    // the only request path upgraded
};

class WsTransport final : public Transport {
 public:
  WsTransport(PluginHost& host, WsOptions options);
  ~WsTransport() override;  // Stop()

  Status Start(FrameSink* sink) override;
  std::vector<Endpoint> BoundEndpoints() const override;
  void Stop() override;

 private:
  PluginHost& host_;
  const std::shared_ptr<spdlog::logger> log_;
  const WsOptions options_;

  mutable std::mutex mu_;  // guards everything below
  bool started_ = false;
  bool stopped_ = false;
  std::vector<Endpoint> endpoints_;
  std::shared_ptr<WsListener> listener_;
  std::shared_ptr<transport_common::SessionRegistry<WsSession>> registry_;
};

}  // namespace sprocket::ws
