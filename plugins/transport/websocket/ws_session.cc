// The Beast side of a websocket session: HTTP upgrade, one RocketMQ frame per binary
// message, ordered writes, close handshakes. See README.md for the behaviour table.
#include "ws_session.h"
#include "../common/transport_util.h"

#include <atomic>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <spdlog/logger.h>

namespace sprocket::ws {

using transport_common::ReadBigEndian32;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using websocket::close_code;

// The HTTP request and the upgrade response must complete within this; a connection that
// opens and says nothing is dropped after it.
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
// The WebSocket close handshake, and how long Close() waits for queued frames.
constexpr auto kCloseTimeout = std::chrono::seconds(5);
// After a refusal (400/404) is written, unread request bytes are drained for at most this
// long, so that closing does not turn into a TCP reset that destroys the response.
constexpr auto kLingerTimeout = std::chrono::seconds(1);
// An upgrade request is a few hundred bytes; anything near this is not a WebSocket client.
constexpr uint32_t kMaxRequestHeaderBytes = 8 * 1024;
// A read buffer grown for a big message is given back afterwards, so an idle connection does
// not pin MaxFrameBytes of memory.
constexpr size_t kShrinkAbove = 1024 * 1024;


// Sink callbacks are kernel code; an exception from one must not unwind through the host's
// io_context::run (it would stop an io thread). It is logged and the session closed.
template <typename Fn>
bool CallSink(const SessionConfig& config, uint64_t id, const std::string& peer, const char* callback,
              Fn&& fn) noexcept {
  try {
    fn();
    return true;
  } catch (const std::exception& e) {
    config.log->error("session {} {}: {} threw: {}", id, peer, callback, e.what());
  } catch (...) {
    config.log->error("session {} {}: {} threw", id, peer, callback);
  }
  return false;
}

bool IsDisconnect(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe;
}

class BeastSession final : public WsSession, public std::enable_shared_from_this<BeastSession> {
 public:
  BeastSession(uint64_t id, std::string peer, asio::ip::tcp::socket socket, SessionConfig config,
               std::shared_ptr<WsRegistry> registry)
      : id_(id),
        peer_(std::move(peer)),
        config_(std::move(config)),
        registry_(std::move(registry)),
        ws_(std::move(socket)),
        close_timer_(ws_.get_executor()) {}

  uint64_t Id() const override { return id_; }
  const std::string& Peer() const override { return peer_; }
  const std::string& Listener() const override { return config_.label; }
  void Send(std::string frame) override;
  void PauseReading(bool paused) override;
  void Close() override;
  void Start() override;
  void Abort(std::string why) override;

 private:
  using Stream = websocket::stream<beast::tcp_stream>;

  // Everything below runs on the session's io thread.
  void ReadRequest();
  void OnRequest(const boost::system::error_code& ec);
  void Refuse(http::status status, const std::string& why);
  void Linger();
  void DrainMore();
  void Accept();
  void OnAccepted(const boost::system::error_code& ec);
  void StartRead();
  void OnRead(const boost::system::error_code& ec);
  bool Deliver();
  void StartWrite();
  void OnWritten(const boost::system::error_code& ec);
  void DoClose();
  // The single exit: tells the sink once, then closes the WebSocket with `code` (a close
  // handshake, bounded by kCloseTimeout) or, without a code or when the WebSocket is not
  // open, closes the TCP connection at once.
  void Finish(const std::string& why, std::optional<close_code> code = std::nullopt);
  void CloseSocket();
  // Leaves the registry once finished and no operation of ours is outstanding.
  void MaybeRemove();
  // Wraps a completion handler: counts the operation as outstanding until it has run.
  template <typename Fn>
  auto Op(Fn fn) {
    ++ops_;
    return [self = shared_from_this(), fn = std::move(fn)](auto&&... args) mutable {
      --self->ops_;
      fn(*self, std::forward<decltype(args)>(args)...);
      self->MaybeRemove();
    };
  }

  const uint64_t id_;
  const std::string peer_;
  const SessionConfig config_;
  const std::shared_ptr<WsRegistry> registry_;
  Stream ws_;
  asio::steady_timer close_timer_;  // bounds how long Close waits for the queue

  // Io-thread state.
  int ops_ = 0;                // asynchronous operations started and not yet completed
  bool opened_ = false;        // OnOpen was called, so OnClose is owed
  bool finished_ = false;      // OnClose called (or never opened): nothing more is delivered
  bool removed_ = false;       // left the registry
  bool reading_ = false;       // an async_read is outstanding
  bool writing_ = false;       // an async_write is outstanding
  bool closing_ = false;       // Close() seen: write what is queued, then close
  beast::flat_buffer buffer_;  // the HTTP request, then one WebSocket message at a time
  std::optional<http::request_parser<http::empty_body>> parser_;  // the upgrade request
  std::optional<http::response<http::string_body>> refusal_;      // a 400/404 being written
  std::string drain_;                                             // scratch for Linger
  std::string inflight_;                                          // the frame being written

  // Shared with other threads.
  std::atomic<bool> paused_{false};
  std::atomic<bool> close_requested_{false};
  std::atomic<bool> ended_{false};  // finished: cross-thread calls need not post anything
  std::mutex send_mu_;
  std::deque<std::string> queue_;  // frames waiting to be written (send_mu_)
  size_t queued_bytes_ = 0;        // bytes in queue_ and inflight_ (send_mu_)
  bool write_scheduled_ = false;   // a StartWrite is posted or a write is running (send_mu_)
  bool send_closed_ = false;       // Send drops frames from now on (send_mu_)
};

// ---- cross-thread entry points ----

void BeastSession::Start() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] { self->ReadRequest(); });
}

void BeastSession::Send(std::string frame) {
  // A frame whose prefix disagrees with its size is a kernel bug; a WebSocket peer would see a
  // message it must reject, so refuse it loudly here.
  if (frame.size() < 4 || ReadBigEndian32(frame.data()) != frame.size() - 4) {
    config_.log->error("session {} {}: dropped a malformed outgoing frame of {} bytes", id_, peer_,
                       frame.size());
    return;
  }
  bool post = false;
  bool overflow = false;
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    if (send_closed_) return;
    if (queued_bytes_ + frame.size() > config_.max_queued_bytes) {
      send_closed_ = true;
      overflow = true;
    } else {
      queued_bytes_ += frame.size();
      queue_.push_back(std::move(frame));
      post = !write_scheduled_;  // one post per burst: a running write picks up the queue
      write_scheduled_ = true;
    }
  }
  if (overflow) {
    config_.log->warn("session {} {}: more than {} bytes queued for sending, peer not reading", id_, peer_,
                      config_.max_queued_bytes);
    // A close frame would wait behind the queue the peer is not reading: cut the connection.
    Abort("send queue full");
  } else if (post) {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->StartWrite(); });
  }
}

void BeastSession::PauseReading(bool paused) {
  // Takes effect before the next message; a read already waiting still delivers its message.
  paused_.store(paused);
  if (!paused && !ended_.load()) {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->StartRead(); });
  }
}

void BeastSession::Close() {
  if (close_requested_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    send_closed_ = true;
  }
  // Never finish inline: Close may be called from inside OnFrame, and OnClose must not run
  // while another callback of this session is on the stack.
  if (!ended_.load()) {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->DoClose(); });
  }
}

void BeastSession::Abort(std::string why) {
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    send_closed_ = true;
  }
  asio::post(ws_.get_executor(), [self = shared_from_this(), why = std::move(why)] {
    if (!self->finished_) {
      self->Finish(why);
    } else {
      self->CloseSocket();  // cuts a close handshake or a linger short
    }
    self->MaybeRemove();
  });
}

// ---- the HTTP upgrade ----

void BeastSession::ReadRequest() {
  if (finished_) {  // aborted (Stop) before it started: the kernel never saw it
    MaybeRemove();
    return;
  }
  parser_.emplace();
  parser_->header_limit(kMaxRequestHeaderBytes);
  beast::get_lowest_layer(ws_).expires_after(kHandshakeTimeout);
  http::async_read(ws_.next_layer(), buffer_, *parser_,
                   Op([](BeastSession& s, const boost::system::error_code& ec, size_t) { s.OnRequest(ec); }));
}

void BeastSession::OnRequest(const boost::system::error_code& ec) {
  if (finished_) return;
  if (ec) {
    if (IsDisconnect(ec)) {
      Finish("peer left before the WebSocket handshake");
    } else if (ec == beast::error::timeout) {
      config_.log->info("session {} {}: no HTTP upgrade request within {} s, closing", id_, peer_,
                        kHandshakeTimeout.count());
      Finish("no WebSocket handshake in time");
    } else {
      Refuse(http::status::bad_request, "bad HTTP request: " + ec.message());
    }
    return;
  }
  const auto& req = parser_->get();
  std::string_view target(req.target().data(), req.target().size());
  target = target.substr(0, target.find('?'));  // a query string does not change the path
  if (target != config_.path) {
    Refuse(http::status::not_found,
           "no WebSocket endpoint at \"" + std::string(target) + "\" (serving \"" + config_.path + "\")");
  } else if (!websocket::is_upgrade(req)) {
    Refuse(http::status::bad_request, "not a WebSocket upgrade request");
  } else if (buffer_.size() != 0) {
    // A client must wait for the 101 response before sending frames (RFC 6455 §4.1).
    Refuse(http::status::bad_request, "data sent before the WebSocket handshake completed");
  } else {
    Accept();
  }
}

void BeastSession::Refuse(http::status status, const std::string& why) {
  config_.log->info("session {} {}: refused the upgrade with HTTP {}: {}", id_, peer_,
                    static_cast<unsigned>(status), why);
  refusal_.emplace(status, 11);
  refusal_->set(http::field::server, "sprocket");
  refusal_->set(http::field::content_type, "text/plain");
  refusal_->keep_alive(false);
  refusal_->body() = why + "\n";
  refusal_->prepare_payload();
  beast::get_lowest_layer(ws_).expires_after(kHandshakeTimeout);
  http::async_write(ws_.next_layer(), *refusal_,
                    Op([why](BeastSession& s, const boost::system::error_code& ec, size_t) {
                      s.refusal_.reset();
                      if (s.finished_) return;
                      if (ec) {
                        s.Finish("refused (" + why + "); writing the response: " + ec.message());
                        return;
                      }
                      s.Linger();
                    }));
}

// Half-closes, then reads and drops whatever the client still sends until it closes too (or
// kLingerTimeout passes). Closing with unread bytes would send a reset, and a reset can
// destroy the response in the client's receive buffer before it is read.
void BeastSession::Linger() {
  if (finished_) return;
  boost::system::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  drain_.resize(4096);
  // One deadline for the whole drain: a client that keeps sending is cut off all the same.
  beast::get_lowest_layer(ws_).expires_after(kLingerTimeout);
  DrainMore();
}

void BeastSession::DrainMore() {
  ws_.next_layer().async_read_some(asio::buffer(drain_),
                                   Op([](BeastSession& s, const boost::system::error_code& ec, size_t) {
                                     if (s.finished_) return;
                                     if (!ec) {
                                       s.DrainMore();
                                     } else {
                                       s.Finish("refused before the WebSocket handshake");
                                     }
                                   }));
}

void BeastSession::Accept() {
  // From here on the WebSocket layer keeps time itself; the TCP layer's deadline must be off.
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = kHandshakeTimeout;
  timeouts.idle_timeout = websocket::stream_base::none();  // idle clients: the kernel decides
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "sprocket"); }));
  ws_.read_message_max(config_.max_frame_bytes);  // Beast answers a longer message with 1009
  ws_.auto_fragment(false);                       // one frame per message: cheaper for the peer to reassemble
  ws_.binary(true);
  ws_.async_accept(parser_->get(),
                   Op([](BeastSession& s, const boost::system::error_code& ec) { s.OnAccepted(ec); }));
}

void BeastSession::OnAccepted(const boost::system::error_code& ec) {
  parser_.reset();
  if (finished_) return;
  if (ec) {
    // Beast has already answered a malformed upgrade (bad key or version) with 400/426.
    config_.log->info("session {} {}: WebSocket handshake failed: {}", id_, peer_, ec.message());
    Finish("WebSocket handshake failed: " + ec.message());
    return;
  }
  // From now on the handshake timeout bounds the close handshake.
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = kCloseTimeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  buffer_ = beast::flat_buffer();  // drop what the HTTP request used
  opened_ = true;
  if (!CallSink(config_, id_, peer_, "OnOpen", [&] { config_.sink->OnOpen(shared_from_this()); })) {
    Finish("OnOpen threw", close_code::internal_error);
    return;
  }
  StartRead();
}

// ---- messages ----

void BeastSession::StartRead() {
  if (finished_ || !opened_ || reading_ || paused_.load() || close_requested_.load()) return;
  reading_ = true;
  ws_.async_read(buffer_, Op([](BeastSession& s, const boost::system::error_code& ec, size_t) {
                   s.reading_ = false;
                   s.OnRead(ec);
                 }));
}

void BeastSession::OnRead(const boost::system::error_code& ec) {
  if (finished_) return;
  if (ec) {
    // Beast has already answered a protocol violation (1002), an oversize message (1009) or
    // the peer's close frame, and closed the connection; only the session is left to end.
    if (ec == websocket::error::closed) {
      Finish("peer closed the WebSocket (code " + std::to_string(ws_.reason().code) + ")");
    } else if (ec == websocket::error::message_too_big) {
      config_.log->warn("session {} {}: message larger than {} bytes, closed with 1009", id_, peer_,
                        config_.max_frame_bytes);
      Finish("frame larger than the maximum");
    } else if (IsDisconnect(ec)) {
      Finish("peer closed the connection");
    } else {
      config_.log->warn("session {} {}: WebSocket read: {}, closing", id_, peer_, ec.message());
      Finish("read: " + ec.message());
    }
    return;
  }
  if (close_requested_.load()) {  // Close() came while this read waited: deliver no more
    buffer_.consume(buffer_.size());
    return;
  }
  if (!ws_.got_binary()) {
    config_.log->warn(
        "session {} {}: text message of {} bytes (frames travel in binary "
        "messages), closing with 1003",
        id_, peer_, buffer_.size());
    Finish("text message", close_code::unknown_data);
    return;
  }
  if (!Deliver()) return;
  StartRead();
}

// Checks that the message is exactly one frame and hands it to the sink. False when the
// session was finished.
bool BeastSession::Deliver() {
  const size_t size = buffer_.size();
  const char* p = static_cast<const char*>(buffer_.data().data());
  // read_message_max already bounds size by MaxFrameBytes; what is left to check is that the
  // prefix describes this very message, as a TCP peer's stream would.
  const char* problem = nullptr;
  uint32_t len = 0;
  if (size < 4) {
    problem = "message shorter than a length prefix";
  } else if (len = ReadBigEndian32(p); len != size - 4) {
    problem = "frame length does not match the message size";
  } else if (len < 4) {
    problem = "frame length below 4";
  }
  if (problem != nullptr) {
    config_.log->warn("session {} {}: {} (message {} bytes, prefix {}), closing with 1002", id_, peer_,
                      problem, size, len);
    Finish(problem, close_code::protocol_error);
    return false;
  }
  std::shared_ptr<Session> self = shared_from_this();
  const std::string_view frame(p + 4, len);
  if (!CallSink(config_, id_, peer_, "OnFrame", [&] { config_.sink->OnFrame(self, frame); })) {
    Finish("OnFrame threw", close_code::internal_error);
    return false;
  }
  buffer_.consume(size);
  if (buffer_.capacity() > kShrinkAbove) buffer_.shrink_to_fit();
  return !finished_;
}

// One frame per binary message, in queue order. Beast writes the header and the payload with
// one gather write, without copying the payload.
void BeastSession::StartWrite() {
  if (finished_ || writing_) return;
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    if (queue_.empty()) {
      write_scheduled_ = false;
      return;
    }
    inflight_ = std::move(queue_.front());
    queue_.pop_front();
  }
  writing_ = true;
  ws_.async_write(asio::buffer(inflight_),
                  Op([](BeastSession& s, const boost::system::error_code& ec, size_t) {
                    s.writing_ = false;
                    s.OnWritten(ec);
                  }));
}

void BeastSession::OnWritten(const boost::system::error_code& ec) {
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    queued_bytes_ -= inflight_.size();
  }
  inflight_ = std::string();  // a big frame's memory goes back now, not at the next write
  if (finished_) return;
  if (ec) {
    Finish("write: " + ec.message());
    return;
  }
  StartWrite();
  if (closing_ && !writing_) Finish("closed by the server", close_code::normal);
}

// ---- closing ----

void BeastSession::DoClose() {
  if (finished_ || closing_) return;
  closing_ = true;
  bool queued;
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    queued = !queue_.empty();
  }
  // With nothing to write, close now. Otherwise the write path closes once the queue is empty
  // (Send accepts nothing new after Close); the timer covers a peer that never reads.
  if (!writing_ && !queued) {
    Finish("closed by the server", close_code::normal);
    return;
  }
  close_timer_.expires_after(kCloseTimeout);
  close_timer_.async_wait(Op([](BeastSession& s, const boost::system::error_code& ec) {
    if (!ec && !s.finished_) s.Finish("closed by the server (send queue not drained in time)");
  }));
}

void BeastSession::Finish(const std::string& why, std::optional<close_code> code) {
  if (finished_) return;
  finished_ = true;
  ended_.store(true);
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    send_closed_ = true;
    queue_.clear();
  }
  close_timer_.cancel();
  if (opened_) {
    CallSink(config_, id_, peer_, "OnClose", [&] { config_.sink->OnClose(shared_from_this(), why); });
  }
  config_.log->debug("session {} {} ({}) closed: {}", id_, peer_, config_.label, why);
  if (code && ws_.is_open()) {
    // Sends the close frame (after a write in flight) and waits for the peer's, at most
    // kCloseTimeout; a pending read sees the peer's close frame and ends with it.
    ws_.async_close(websocket::close_reason(*code),
                    Op([](BeastSession& s, const boost::system::error_code&) { s.CloseSocket(); }));
  } else {
    CloseSocket();
  }
}

void BeastSession::CloseSocket() {
  // Closing the socket ends every outstanding operation with operation_aborted; the TCP
  // layer's deadline timer goes with it, and dropping the timeouts disarms Beast's own timer.
  beast::get_lowest_layer(ws_).close();
  websocket::stream_base::timeout off;
  off.handshake_timeout = websocket::stream_base::none();
  off.idle_timeout = websocket::stream_base::none();
  off.keep_alive_pings = false;
  ws_.set_option(off);
}

void BeastSession::MaybeRemove() {
  if (!finished_ || ops_ > 0 || removed_) return;
  removed_ = true;
  CloseSocket();
  // Last: Stop() returns once every session is removed, i.e. after every OnClose returned and
  // with no handler of this session left to run.
  registry_->Remove(id_);
}

}  // namespace

std::shared_ptr<WsSession> NewWsSession(uint64_t id, std::string peer, asio::ip::tcp::socket socket,
                                        SessionConfig config, std::shared_ptr<WsRegistry> registry) {
  return std::make_shared<BeastSession>(id, std::move(peer), std::move(socket), std::move(config),
                                        std::move(registry));
}

}  // namespace sprocket::ws
