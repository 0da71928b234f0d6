#include "ws_transport.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include "sprocket/plugin/host.h"
#include "../common/asio_export_check.h"
#include "../common/transport_util.h"
#include "ws_session.h"

namespace sprocket::ws {

namespace asio = boost::asio;
using asio::ip::tcp;

// The listening socket and what its accept loop needs. Shared by the transport and the
// pending accept handler, so a handler that runs after Stop still finds it (and finds it
// closed).
struct WsListener {
  WsListener(asio::io_context& ctx_in, PluginHost& host_in, SessionConfig config_in,
             std::shared_ptr<WsRegistry> registry_in)
      : ctx(ctx_in),
        acceptor(ctx_in),
        retry(ctx_in),
        host(host_in),
        config(std::move(config_in)),
        registry(std::move(registry_in)) {}

  asio::io_context& ctx;
  tcp::acceptor acceptor;  // used only on its io thread once accepting has started
  asio::steady_timer retry;
  PluginHost& host;  // outlives every handler: it owns the io_contexts they run on
  const SessionConfig config;
  const std::shared_ptr<WsRegistry> registry;
};

using transport_common::AsioIsShared;
using transport_common::FormatPeer;
using transport_common::kAcceptRetryDelay;
using transport_common::kMinQueuedBytes;
using transport_common::kStopWaitLog;

namespace {

std::atomic<size_t> g_next_io_context{0};



void AcceptNext(const std::shared_ptr<WsListener>& l);

// Runs on the listener's io thread. The new socket already belongs to the io_context the
// session will live on, picked round-robin when the accept was started.
void Adopt(const std::shared_ptr<WsListener>& l, tcp::socket socket) {
  boost::system::error_code ec;
  // Every message is written whole in one go; Nagle would only delay it.
  socket.set_option(tcp::no_delay(true), ec);
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return;  // the peer is already gone; the socket closes with this scope
  auto session =
      NewWsSession(l->host.NewSessionId(), FormatPeer(remote), std::move(socket), l->config, l->registry);
  if (!l->registry->Add(session)) return;  // Stop began: drop it unstarted
  l->config.log->debug("session {} {} accepted on {}", session->Id(), session->Peer(), l->config.label);
  session->Start();
}

void OnAccept(const std::shared_ptr<WsListener>& l, const boost::system::error_code& ec, tcp::socket socket) {
  if (!l->acceptor.is_open()) return;  // Stop closed it; a socket accepted just before is dropped
  if (ec) {
    l->config.log->warn("websocket: accept: {}; retrying in {} ms", ec.message(), kAcceptRetryDelay.count());
    l->retry.expires_after(kAcceptRetryDelay);
    l->retry.async_wait([l](const boost::system::error_code& timer_ec) {
      if (!timer_ec && l->acceptor.is_open()) AcceptNext(l);
    });
    return;
  }
  Adopt(l, std::move(socket));
  AcceptNext(l);
}


void AcceptNext(const std::shared_ptr<WsListener>& l) {
  if (!AsioIsShared(l->ctx)) {
    // Accepting would crash this process on the first connection; refuse to serve instead.
    l->config.log->error("{}; not accepting", transport_common::AsioNotSharedMessage("websocket"));
    boost::system::error_code ignored;
    l->acceptor.close(ignored);
    return;
  }
  const size_t index = g_next_io_context.fetch_add(1) % l->host.IoThreads();
  l->acceptor.async_accept(
      l->host.IoContext(index),
      [l](const boost::system::error_code& ec, tcp::socket socket) { OnAccept(l, ec, std::move(socket)); });
}

}  // namespace

// ---- WsTransport ----

WsTransport::WsTransport(PluginHost& host, WsOptions options)
    : host_(host), log_(host.Logger("websocket")), options_(std::move(options)) {}

WsTransport::~WsTransport() { Stop(); }

Status WsTransport::Start(FrameSink* sink) {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return Status::InvalidArgument("websocket: Start called twice");
  if (sink == nullptr) return Status::InvalidArgument("websocket: Start needs a FrameSink");
  if (host_.IoThreads() == 0) return Status::InvalidArgument("websocket: the host has no io threads");
  if (Status s = transport_common::CheckAsioIsShared(host_, *log_, "websocket"); !s.ok()) return s;

  SessionConfig config;
  config.sink = sink;
  config.log = log_;
  config.label = options_.label;
  config.path = options_.path;
  config.max_frame_bytes = host_.MaxFrameBytes();
  config.max_queued_bytes = std::max(kMinQueuedBytes, 4 * config.max_frame_bytes);
  auto registry = std::make_shared<WsRegistry>();
  auto l = std::make_shared<WsListener>(host_.IoContext(0), host_, config, registry);

  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options_.address, ec);
  const tcp::endpoint wanted(address, options_.port);
  tcp::endpoint bound;
  if (!ec) l->acceptor.open(wanted.protocol(), ec);
  // SO_REUSEADDR: a restarted broker can bind while old connections sit in TIME_WAIT.
  if (!ec) l->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) l->acceptor.bind(wanted, ec);
  if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) bound = l->acceptor.local_endpoint(ec);
  if (ec) {
    return Status::IOError("websocket: listen on " + options_.address + ":" + std::to_string(options_.port) +
                           " (" + options_.label + "): " + ec.message());
  }
  endpoints_ = {Endpoint{options_.label, bound.address().to_string(), bound.port()}};
  log_->info("websocket: listening on {}:{} path {} ({})", endpoints_[0].address, bound.port(), options_.path,
             options_.label);
  asio::post(l->acceptor.get_executor(), [l] { AcceptNext(l); });
  started_ = true;
  listener_ = std::move(l);
  registry_ = std::move(registry);
  return Status::OK();
}

std::vector<Endpoint> WsTransport::BoundEndpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return endpoints_;
}

void WsTransport::Stop() {
  std::shared_ptr<WsListener> l;
  std::shared_ptr<WsRegistry> registry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
    l = listener_;
    registry = registry_;
  }
  // Waiting below on an io thread would wait for that very thread: close everything, but
  // return without waiting (the contract forbids this call; do not deadlock over it).
  bool on_io_thread = false;
  for (size_t i = 0; i < host_.IoThreads(); ++i) on_io_thread |= AsioIsShared(host_.IoContext(i));
  if (on_io_thread) log_->error("websocket: Stop called on an io thread; not waiting for sessions");

  // 1. Close the listening socket on its own thread (an acceptor is not thread-safe) and
  //    wait, so the port is free and no session can be added once Stop returns.
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> closed = done->get_future();
  asio::post(l->acceptor.get_executor(), [l, done] {
    boost::system::error_code ignored;
    l->acceptor.close(ignored);
    l->retry.cancel();
    done->set_value();
  });
  while (!on_io_thread && closed.wait_for(kStopWaitLog) != std::future_status::ready) {
    log_->warn("websocket: Stop is waiting for an io thread to close the listener");
  }

  // 2. Abort every session: no close handshake, the TCP connection is closed at once. Each
  //    finishes on its own thread (OnClose if it was opened) and leaves the registry once no
  //    operation of it is outstanding.
  for (const auto& s : registry->BeginStop()) s->Abort("transport stopped");
  while (!on_io_thread && !registry->WaitEmpty(kStopWaitLog)) {
    log_->warn("websocket: Stop is waiting for {} sessions to close", registry->Size());
  }

  // 3. Cancelled timers (Beast's and Asio's) complete through handlers already queued on the
  //    io_contexts; one round through each queue runs them, so none of this plugin's code is
  //    left waiting in the host's io_contexts when Stop returns.
  if (!on_io_thread) {
    std::vector<std::future<void>> rounds;
    for (size_t i = 0; i < host_.IoThreads(); ++i) {
      auto round = std::make_shared<std::promise<void>>();
      rounds.push_back(round->get_future());
      asio::post(host_.IoContext(i), [round] { round->set_value(); });
    }
    for (auto& r : rounds) {
      while (r.wait_for(kStopWaitLog) != std::future_status::ready) {
        log_->warn("websocket: Stop is waiting for an io thread");
      }
    }
  }
  log_->info("websocket: stopped");
}

}  // namespace sprocket::ws
