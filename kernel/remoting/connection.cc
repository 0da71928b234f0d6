#include "remoting/connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <utility>

namespace sprocket::remoting::internal {

namespace {

// User callbacks run on the I/O thread; an exception escaping one would end io.run() and
// with it every connection, so it is swallowed here.
template <typename F, typename... Args>
void CallSafely(F& f, Args&&... args) {
  if (!f) return;
  try {
    f(std::forward<Args>(args)...);
  } catch (...) {
  }
}

uint32_t ReadBigEndian32(const std::array<char, 4>& b) {
  return (uint32_t(uint8_t(b[0])) << 24) | (uint32_t(uint8_t(b[1])) << 16) |
         (uint32_t(uint8_t(b[2])) << 8) | uint32_t(uint8_t(b[3]));
}

}  // namespace

bool SplitHostPort(const std::string& addr, std::string* host, std::string* port) {
  size_t colon;
  if (!addr.empty() && addr.front() == '[') {
    size_t close = addr.find(']');
    if (close == std::string::npos || close + 1 >= addr.size() || addr[close + 1] != ':') {
      return false;
    }
    *host = addr.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = addr.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    *host = addr.substr(0, colon);
  }
  *port = addr.substr(colon + 1);
  if (port->empty() || port->size() > 5) return false;
  for (char c : *port) {
    if (c < '0' || c > '9') return false;
  }
  return std::stoi(*port) <= 65535;
}

Connection::Connection(asio::io_context& io, std::string addr,
                       const RemotingClient::Options& options, ConnectionOwner* owner)
    : io_(io),
      addr_(std::move(addr)),
      options_(options),
      owner_(owner),
      resolver_(io),
      socket_(io),
      connect_timer_(io) {}

void Connection::Start() {
  std::string host, port;
  if (!SplitHostPort(addr_, &host, &port)) {
    Close(Status::InvalidArgument("invalid address '" + addr_ + "' (want host:port)"));
    return;
  }
  // Handlers hold `self`: a connection lives while any of its operations is in flight,
  // even after the client dropped it from its table.
  auto self = shared_from_this();
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([self](const boost::system::error_code& ec) {
    if (ec || self->open_ || self->closed_) return;
    self->Close(Status::IOError("connect to " + self->addr_ + " timed out after " +
                                std::to_string(self->options_.connect_timeout.count()) + " ms"));
  });
  // Numeric addresses (what routes contain) resolve without a lookup; names go through
  // Asio's resolver thread and count against the same connect timeout.
  resolver_.async_resolve(
      host, port,
      [self](const boost::system::error_code& ec, asio::ip::tcp::resolver::results_type results) {
        if (self->closed_) return;
        if (ec) {
          self->Close(Status::IOError("connect to " + self->addr_ + " failed: resolve: " +
                                      ec.message()));
          return;
        }
        asio::async_connect(self->socket_, results,
                            [self](const boost::system::error_code& ec, const auto&) {
                              if (self->closed_) return;
                              if (ec) {
                                self->Close(Status::IOError("connect to " + self->addr_ +
                                                            " failed: " + ec.message()));
                                return;
                              }
                              self->OnConnected();
                            });
      });
}

void Connection::OnConnected() {
  open_ = true;
  connect_timer_.cancel();
  boost::system::error_code ignored;
  // Requests are small and latency matters more than packet count.
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);

  auto waiters = std::move(connect_waiters_);
  connect_waiters_.clear();
  for (auto& cb : waiters) CallSafely(cb, Status::OK());
  if (closed_) return;  // a waiter may have closed us
  ReadLength();
  StartWrite();
}

void Connection::AddPending(int32_t opaque, int32_t code, Clock::time_point deadline,
                            std::chrono::milliseconds timeout, ResponseCallback done) {
  if (closed_) {
    // Closed before the request got here (e.g. connecting failed at once): same outcome
    // as if it had been pending.
    CallSafely(done, Result<RemotingCommand>(close_status_));
    return;
  }
  Pending p;
  p.code = code;
  p.timeout = timeout;
  p.done = std::move(done);
  // One timer per request: cheap in Asio (a heap entry), and it fires exactly at the
  // request's own deadline instead of at the next tick of a sweeping scan.
  p.timer = std::make_unique<asio::steady_timer>(io_, deadline);
  // Weak: a pending timer must not keep a closed connection alive.
  std::weak_ptr<Connection> weak = shared_from_this();
  p.timer->async_wait([weak, opaque](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: answered or closed
    if (auto self = weak.lock()) self->OnPendingTimeout(opaque);
  });
  pending_[opaque] = std::move(p);
}

void Connection::RemovePending(int32_t opaque) {
  auto it = pending_.find(opaque);
  if (it == pending_.end()) return;
  it->second.timer->cancel();
  pending_.erase(it);
}

void Connection::OnPendingTimeout(int32_t opaque) {
  auto it = pending_.find(opaque);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  // A late response for this opaque is dropped when it arrives (PROTOCOL.md §1.4).
  CallSafely(p.done, Result<RemotingCommand>(Status::Timeout(
                         "request code " + std::to_string(p.code) + " to " + addr_ +
                         " timed out after " + std::to_string(p.timeout.count()) + " ms")));
}

void Connection::Send(std::string frame) {
  if (closed_) return;
  out_queue_.push_back(std::move(frame));
  if (open_) StartWrite();
}

void Connection::WhenConnected(std::function<void(const Status&)> cb) {
  if (open_) {
    CallSafely(cb, Status::OK());
  } else if (closed_) {
    CallSafely(cb, close_status_);
  } else {
    connect_waiters_.push_back(std::move(cb));
  }
}

void Connection::StartWrite() {
  if (write_in_progress_ || out_queue_.empty() || closed_) return;
  // Everything queued goes out in one gathered write: producers sending from several
  // threads get one syscall per batch instead of one per frame.
  writing_.clear();
  std::vector<asio::const_buffer> buffers;
  while (!out_queue_.empty()) {
    writing_.push_back(std::move(out_queue_.front()));
    out_queue_.pop_front();
  }
  buffers.reserve(writing_.size());
  for (const auto& f : writing_) buffers.emplace_back(asio::buffer(f));
  write_in_progress_ = true;
  auto self = shared_from_this();
  asio::async_write(socket_, buffers, [self](const boost::system::error_code& ec, size_t) {
    self->write_in_progress_ = false;
    self->writing_.clear();
    if (self->closed_) return;
    if (ec) {
      self->Close(self->LostStatus("write failed: " + ec.message()));
      return;
    }
    self->StartWrite();
  });
}

bool Connection::ReadFailed(const boost::system::error_code& ec) {
  if (closed_) return true;
  if (!ec) return false;
  Close(LostStatus(ec == asio::error::eof ? "closed by peer" : ec.message()));
  return true;
}

void Connection::ReadLength() {
  auto self = shared_from_this();
  asio::async_read(socket_, asio::buffer(length_buf_),
                   [self](const boost::system::error_code& ec, size_t) {
                     if (self->ReadFailed(ec)) return;
                     self->ReadFrame(ReadBigEndian32(self->length_buf_));
                   });
}

void Connection::ReadFrame(uint32_t length) {
  // Checked before allocating: a bad length must not make us reserve gigabytes.
  if (length < 4) {
    Close(LostStatus("bad frame length " + std::to_string(length)));
    return;
  }
  if (uint64_t(length) + 4 > options_.max_frame_bytes) {
    Close(LostStatus("frame of " + std::to_string(uint64_t(length) + 4) +
                     " bytes exceeds the maximum of " + std::to_string(options_.max_frame_bytes)));
    return;
  }
  frame_.resize(length);
  auto self = shared_from_this();
  asio::async_read(socket_, asio::buffer(frame_),
                   [self](const boost::system::error_code& ec, size_t) {
                     if (self->ReadFailed(ec)) return;
                     self->OnFrame();
                   });
}

void Connection::OnFrame() {
  Result<RemotingCommand> decoded = protocol::DecodeFrame(frame_);
  if (!decoded.ok()) {
    // Like Netty's decoder: an undecodable frame closes the channel.
    Close(LostStatus("undecodable frame: " + decoded.status().ToString()));
    return;
  }
  RemotingCommand cmd = std::move(decoded).value();
  auto self = shared_from_this();
  if (cmd.IsResponse()) {
    auto it = pending_.find(cmd.opaque);
    if (it != pending_.end()) {
      Pending p = std::move(it->second);
      pending_.erase(it);
      p.timer->cancel();
      CallSafely(p.done, Result<RemotingCommand>(std::move(cmd)));
    }
    // else: the request already timed out; drop the late response.
  } else {
    owner_->OnServerRequest(self, std::move(cmd));
  }
  if (!closed_) ReadLength();
}

Status Connection::LostStatus(const std::string& what) const {
  return Status::IOError("connection to " + addr_ + " lost: " + what);
}

void Connection::Close(const Status& why) {
  if (closed_) return;
  closed_ = true;
  close_status_ = why;
  bool was_open = open_;
  open_ = false;
  boost::system::error_code ignored;
  resolver_.cancel();
  connect_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  out_queue_.clear();

  auto pending = std::move(pending_);
  pending_.clear();
  auto waiters = std::move(connect_waiters_);
  connect_waiters_.clear();

  // The owner forgets us first, so callbacks that send again get a fresh connection.
  auto self = shared_from_this();
  owner_->OnConnectionClosed(self, was_open);
  for (auto& cb : waiters) CallSafely(cb, why);
  for (auto& [opaque, p] : pending) {
    p.timer->cancel();
    CallSafely(p.done, Result<RemotingCommand>(why));
  }
}

}  // namespace sprocket::remoting::internal
