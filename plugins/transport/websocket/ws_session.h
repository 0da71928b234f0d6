// WsSession: one connection of the websocket transport, from the HTTP upgrade request to the
// close; WsRegistry: the live sessions that Stop() closes and waits for.
//
// The Beast implementation lives in ws_session.cc only, so that the transport's own code
// (and anything else) compiles without Beast: this header names just the interface the
// transport needs and a factory.
//
// Threads: everything touching the socket runs on the session's io_context (one thread,
// PluginHost::IoContext). Send, PauseReading, Close and Abort may be called from any thread.
//
// Private to the websocket plugin.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "../common/session_registry.h"
#include "sprocket/plugin/transport.h"

namespace spdlog {
class logger;
}

namespace sprocket::ws {

class WsSession;
// The transport's live sessions (../common/session_registry.h).
using WsRegistry = transport_common::SessionRegistry<WsSession>;

// What every session of one transport shares. Copied into each session.
struct SessionConfig {
  FrameSink* sink = nullptr;
  std::shared_ptr<spdlog::logger> log;
  std::string label;            // Session::Listener() and the endpoint label ("ws")
  std::string path;             // the request path accepted for the upgrade ("/")
  size_t max_frame_bytes = 0;   // PluginHost::MaxFrameBytes(), prefix included
  size_t max_queued_bytes = 0;  // Send() beyond this closes the session: the peer is not reading
};

class WsSession : public Session {
 public:
  // Reads the HTTP upgrade request on the session's io_context. Call once, after
  // WsRegistry::Add. OnOpen comes only once the WebSocket handshake has completed; a
  // connection refused before that never reaches the sink.
  virtual void Start() = 0;
  // Closes at once: queued frames are dropped and the TCP connection is closed without a
  // WebSocket close handshake (one already running is cut short). OnClose(why) follows on the
  // session's thread if OnOpen was called. Any thread; idempotent.
  virtual void Abort(std::string why) = 0;
};

// `socket` is connected and belongs to the io_context the session will live on.
std::shared_ptr<WsSession> NewWsSession(uint64_t id, std::string peer, boost::asio::ip::tcp::socket socket,
                                        SessionConfig config, std::shared_ptr<WsRegistry> registry);

}  // namespace sprocket::ws
