#include "tcp_transport.h"

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
#include "tcp_session.h"

namespace sprocket::tcp {

namespace asio = boost::asio;
using asio::ip::tcp;

// A listening socket and what its accept loop needs. Shared by the transport and the pending
// accept handler, so a handler that runs after Stop still finds it (and finds it closed).
struct Listener {
  Listener(asio::io_context& ctx_in, std::string label_in, PluginHost& host_in,
           SessionConfig config_in, std::shared_ptr<SessionRegistry> registry_in)
      : ctx(ctx_in),
        acceptor(ctx_in),
        retry(ctx_in),
        label(std::move(label_in)),
        host(host_in),
        config(std::move(config_in)),
        registry(std::move(registry_in)) {}

  asio::io_context& ctx;
  tcp::acceptor acceptor;  // used only on its io thread once accepting has started
  asio::steady_timer retry;
  const std::string label;
  PluginHost& host;  // outlives every handler: it owns the io_contexts they run on
  const SessionConfig config;
  const std::shared_ptr<SessionRegistry> registry;
};

using transport_common::AsioIsShared;
using transport_common::FormatPeer;
using transport_common::kAcceptRetryDelay;
using transport_common::kMinQueuedBytes;
using transport_common::kStopWaitLog;

namespace {

std::atomic<size_t> g_next_io_context{0};



void AcceptNext(const std::shared_ptr<Listener>& l);

// Runs on the listener's io thread. The new socket already belongs to the io_context the
// session will live on, picked round-robin when the accept was started.
void Adopt(const std::shared_ptr<Listener>& l, tcp::socket socket) {
  boost::system::error_code ec;
  // Responses are whole frames written in one go; Nagle would only delay them.
  socket.set_option(tcp::no_delay(true), ec);
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return;  // the peer is already gone; the socket closes with this scope
  auto session = std::make_shared<TcpSession>(l->host.NewSessionId(), FormatPeer(remote),
                                              l->label, std::move(socket), l->config, l->registry);
  if (!l->registry->Add(session)) return;  // Stop began: drop it unopened
  l->config.log->debug("session {} {} accepted on {}", session->Id(), session->Peer(), l->label);
  session->Start();
}

void OnAccept(const std::shared_ptr<Listener>& l, const boost::system::error_code& ec,
              tcp::socket socket) {
  if (!l->acceptor.is_open()) return;  // Stop closed it; a socket accepted just before is dropped
  if (ec) {
    l->config.log->warn("tcp {}: accept: {}; retrying in {} ms", l->label, ec.message(),
                        kAcceptRetryDelay.count());
    l->retry.expires_after(kAcceptRetryDelay);
    l->retry.async_wait([l](const boost::system::error_code& timer_ec) {
      if (!timer_ec && l->acceptor.is_open()) AcceptNext(l);
    });
    return;
  }
  Adopt(l, std::move(socket));
  AcceptNext(l);
}


void AcceptNext(const std::shared_ptr<Listener>& l) {
  if (!AsioIsShared(l->ctx)) {
    // Accepting would crash this process on the first connection; refuse to serve instead.
    l->config.log->error("{}; not accepting on {}", transport_common::AsioNotSharedMessage("tcp"), l->label);
    boost::system::error_code ignored;
    l->acceptor.close(ignored);
    return;
  }
  const size_t index = g_next_io_context.fetch_add(1) % l->host.IoThreads();
  l->acceptor.async_accept(l->host.IoContext(index),
                           [l](const boost::system::error_code& ec, tcp::socket socket) {
                             OnAccept(l, ec, std::move(socket));
                           });
}

}  // namespace

TcpTransport::TcpTransport(PluginHost& host, std::vector<ListenSpec> specs)
    : host_(host), log_(host.Logger("tcp")), specs_(std::move(specs)) {}

TcpTransport::~TcpTransport() { Stop(); }

Status TcpTransport::Start(FrameSink* sink) {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return Status::InvalidArgument("tcp: Start called twice");
  if (sink == nullptr) return Status::InvalidArgument("tcp: Start needs a FrameSink");
  const size_t threads = host_.IoThreads();
  if (threads == 0) return Status::InvalidArgument("tcp: the host has no io threads");
  if (Status s = transport_common::CheckAsioIsShared(host_, *log_, "tcp"); !s.ok()) return s;

  SessionConfig config;
  config.sink = sink;
  config.log = log_;
  config.max_frame_bytes = host_.MaxFrameBytes();
  config.max_queued_bytes = std::max(kMinQueuedBytes, 4 * config.max_frame_bytes);
  auto registry = std::make_shared<SessionRegistry>();

  // Bind everything before accepting anything, so a failure leaves nothing half-started.
  std::vector<std::shared_ptr<Listener>> listeners;
  std::vector<Endpoint> endpoints;
  for (size_t i = 0; i < specs_.size(); ++i) {
    const ListenSpec& spec = specs_[i];
    auto l = std::make_shared<Listener>(host_.IoContext(i % threads), spec.label, host_, config,
                                        registry);
    boost::system::error_code ec;
    const asio::ip::address address = asio::ip::make_address(spec.address, ec);
    tcp::endpoint bound;
    if (!ec) l->acceptor.open(tcp::endpoint(address, spec.port).protocol(), ec);
    // SO_REUSEADDR: a restarted broker can bind while old connections sit in TIME_WAIT.
    if (!ec) l->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) l->acceptor.bind(tcp::endpoint(address, spec.port), ec);
    if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) bound = l->acceptor.local_endpoint(ec);
    if (ec) {
      return Status::IOError("tcp: listen on " + spec.address + ":" + std::to_string(spec.port) +
                             " (" + spec.label + "): " + ec.message());
    }
    endpoints.push_back(Endpoint{spec.label, bound.address().to_string(), bound.port()});
    listeners.push_back(std::move(l));
    log_->info("tcp: listening on {}:{} ({})", endpoints.back().address, bound.port(),
               spec.label);
  }
  for (const auto& l : listeners) {
    asio::post(l->acceptor.get_executor(), [l] { AcceptNext(l); });
  }
  started_ = true;
  endpoints_ = std::move(endpoints);
  listeners_ = std::move(listeners);
  registry_ = std::move(registry);
  return Status::OK();
}

std::vector<Endpoint> TcpTransport::BoundEndpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return endpoints_;
}

void TcpTransport::Stop() {
  std::vector<std::shared_ptr<Listener>> listeners;
  std::shared_ptr<SessionRegistry> registry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
    listeners = listeners_;
    registry = registry_;
  }
  // Waiting below on an io thread would wait for that very thread: close everything, but
  // return without waiting (the contract forbids this call; do not deadlock over it).
  bool on_io_thread = false;
  for (size_t i = 0; i < host_.IoThreads(); ++i) on_io_thread |= AsioIsShared(host_.IoContext(i));
  if (on_io_thread) log_->error("tcp: Stop called on an io thread; not waiting for sessions");

  // 1. Close the listening sockets on their own threads (an acceptor is not thread-safe)
  //    and wait, so the ports are free and no session can be added once Stop returns.
  std::vector<std::future<void>> closed;
  for (const auto& l : listeners) {
    auto done = std::make_shared<std::promise<void>>();
    closed.push_back(done->get_future());
    asio::post(l->acceptor.get_executor(), [l, done] {
      boost::system::error_code ignored;
      l->acceptor.close(ignored);
      l->retry.cancel();
      done->set_value();
    });
  }
  for (auto& f : closed) {
    while (!on_io_thread && f.wait_for(kStopWaitLog) != std::future_status::ready) {
      log_->warn("tcp: Stop is waiting for an io thread to close a listener");
    }
  }

  // 2. Close every session. Each finishes on its own thread: OnClose, then it leaves the
  //    registry. Sessions that were accepted but not yet opened end without callbacks.
  for (const auto& s : registry->BeginStop()) s->Abort("transport stopped");

  // 3. An empty registry means every OnClose has returned and, every session being
  //    finished, no callback can follow.
  while (!on_io_thread && !registry->WaitEmpty(kStopWaitLog)) {
    log_->warn("tcp: Stop is waiting for {} sessions to close", registry->Size());
  }
  log_->info("tcp: stopped");
}

}  // namespace sprocket::tcp
