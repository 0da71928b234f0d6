#include "remoting/connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstring>
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

uint32_t ReadBigEndian32(const char* b) {
  return (uint32_t(uint8_t(b[0])) << 24) | (uint32_t(uint8_t(b[1])) << 16) |
         (uint32_t(uint8_t(b[2])) << 8) | uint32_t(uint8_t(b[3]));
}

// Read buffer sizing (as in the tcp transport): a read takes whatever fits, so with many
// responses in flight one syscall brings in dozens of them. A buffer grown for a big frame
// (a pull response) is given back once it drains.
constexpr size_t kInitialBuffer = 64 * 1024;
constexpr size_t kMinReadSpace = 16 * 1024;
constexpr size_t kShrinkAbove = 1024 * 1024;

// A write buffer grown by a burst of big frames is released once written.
constexpr size_t kKeepWriteBuffer = 4 * 1024 * 1024;

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
      connect_timer_(io),
      deadline_timer_(io) {}

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
  StartRead();
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
  Pending& p = pending_[opaque];
  p.code = code;
  p.timeout = timeout;
  p.deadline = deadline;
  p.done = std::move(done);
  // Answered requests leave stale heap entries behind; rebuild once they dominate, so the
  // heap stays proportional to what is really pending.
  if (deadlines_.size() > 64 && deadlines_.size() > 4 * pending_.size()) {
    deadlines_.clear();
    for (const auto& [op, pend] : pending_) deadlines_.push_back(Deadline{pend.deadline, op});
    std::make_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
  } else {
    deadlines_.push_back(Deadline{deadline, opaque});
    std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
  }
  ArmTimer();
}

void Connection::RemovePending(int32_t opaque) { pending_.erase(opaque); }

void Connection::ArmTimer() {
  // Requests usually share one timeout, so later ones have later deadlines and the timer
  // armed for the earliest one stays as it is: no timer operation per request.
  if (deadlines_.empty() || closed_) return;
  const Clock::time_point earliest = deadlines_.front().at;
  if (earliest >= timer_at_) return;
  timer_at_ = earliest;
  deadline_timer_.expires_at(earliest);
  std::weak_ptr<Connection> weak = shared_from_this();  // must not keep a closed connection alive
  deadline_timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed earlier, or closed
    if (auto self = weak.lock()) self->OnTimer();
  });
}

void Connection::OnTimer() {
  timer_at_ = Clock::time_point::max();
  const Clock::time_point now = Clock::now();
  std::vector<Pending> expired;
  while (!deadlines_.empty() && deadlines_.front().at <= now) {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
    const Deadline d = deadlines_.back();
    deadlines_.pop_back();
    auto it = pending_.find(d.opaque);
    // Skip answered requests, and a reused opaque registered later with another deadline.
    if (it == pending_.end() || it->second.deadline != d.at) continue;
    expired.push_back(std::move(it->second));
    pending_.erase(it);
  }
  ArmTimer();
  // A late response for these opaques is dropped when it arrives (PROTOCOL.md §1.4).
  for (Pending& p : expired) {
    CallSafely(p.done, Result<RemotingCommand>(Status::Timeout(
                           "request code " + std::to_string(p.code) + " to " + addr_ +
                           " timed out after " + std::to_string(p.timeout.count()) + " ms")));
  }
}

void Connection::Send(std::string_view frames) {
  if (closed_) return;
  out_buf_.append(frames);
  if (open_) StartWrite();
}

void Connection::Take(std::string* frames) {
  if (!closed_) {
    if (out_buf_.empty()) {
      out_buf_.swap(*frames);
    } else {
      out_buf_.append(*frames);
    }
  }
  frames->clear();
  if (open_ && !closed_) StartWrite();
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
  if (write_in_progress_ || out_buf_.empty() || closed_) return;
  // Everything queued goes out in one write: many requests per syscall.
  write_buf_.swap(out_buf_);
  write_in_progress_ = true;
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(write_buf_), [self](const boost::system::error_code& ec, size_t) {
    self->write_in_progress_ = false;
    if (self->write_buf_.capacity() > kKeepWriteBuffer) {
      std::string().swap(self->write_buf_);
    } else {
      self->write_buf_.clear();
    }
    if (self->closed_) return;
    if (ec) {
      self->Close(self->LostStatus("write failed: " + ec.message()));
      return;
    }
    self->StartWrite();
  });
}

void Connection::StartRead() {
  if (closed_) return;
  PrepareBuffer();
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(buf_.get() + end_, cap_ - end_),
                          [self](const boost::system::error_code& ec, size_t n) { self->OnRead(ec, n); });
}

void Connection::OnRead(const boost::system::error_code& ec, size_t n) {
  if (closed_) return;
  if (ec) {
    Close(LostStatus(ec == asio::error::eof ? "closed by peer" : ec.message()));
    return;
  }
  end_ += n;
  if (DeliverFrames()) StartRead();
}

bool Connection::DeliverFrames() {
  while (!closed_) {
    const size_t avail = end_ - begin_;
    if (avail < 4) break;
    const uint32_t length = ReadBigEndian32(buf_.get() + begin_);
    // Checked before allocating: a bad length must not make us reserve gigabytes.
    if (length < 4) {
      Close(LostStatus("bad frame length " + std::to_string(length)));
      return false;
    }
    if (uint64_t(length) + 4 > options_.max_frame_bytes) {
      Close(LostStatus("frame of " + std::to_string(uint64_t(length) + 4) +
                       " bytes exceeds the maximum of " + std::to_string(options_.max_frame_bytes)));
      return false;
    }
    if (avail - 4 < length) break;
    const size_t at = begin_ + 4;
    begin_ += 4 + size_t{length};
    // The frame stays valid during the call: reads only append after end_, and only
    // PrepareBuffer (called from StartRead, after this loop) moves bytes.
    OnFrame(std::string_view(buf_.get() + at, length));
  }
  return !closed_;
}

void Connection::PrepareBuffer() {
  const size_t avail = end_ - begin_;
  if (avail == 0) {
    begin_ = end_ = 0;
    if (cap_ > kShrinkAbove) {
      buf_.reset();
      cap_ = 0;
    }
  }
  size_t want = avail + kMinReadSpace;
  if (avail >= 4) {
    // DeliverFrames validated this length.
    want = std::max(want, size_t{ReadBigEndian32(buf_.get() + begin_)} + 4);
  }
  if (want > cap_) {
    const size_t cap = std::max(want, kInitialBuffer);
    std::unique_ptr<char[]> grown(new char[cap]);  // uninitialised on purpose
    if (avail > 0) std::memcpy(grown.get(), buf_.get() + begin_, avail);
    buf_ = std::move(grown);
    cap_ = cap;
    begin_ = 0;
    end_ = avail;
  } else if (cap_ - begin_ < want) {
    std::memmove(buf_.get(), buf_.get() + begin_, avail);
    begin_ = 0;
    end_ = avail;
  }
}

void Connection::OnFrame(std::string_view frame) {
  Result<RemotingCommand> decoded = protocol::DecodeFrame(frame);
  if (!decoded.ok()) {
    // Like Netty's decoder: an undecodable frame closes the channel.
    Close(LostStatus("undecodable frame: " + decoded.status().ToString()));
    return;
  }
  RemotingCommand cmd = std::move(decoded).value();
  if (cmd.IsResponse()) {
    auto it = pending_.find(cmd.opaque);
    if (it != pending_.end()) {
      ResponseCallback done = std::move(it->second.done);
      pending_.erase(it);  // its heap entry goes stale and is skipped
      CallSafely(done, Result<RemotingCommand>(std::move(cmd)));
    }
    // else: the request already timed out; drop the late response.
  } else {
    owner_->OnServerRequest(shared_from_this(), std::move(cmd));
  }
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
  deadline_timer_.cancel();
  deadlines_.clear();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  out_buf_.clear();

  auto pending = std::move(pending_);
  pending_.clear();
  auto waiters = std::move(connect_waiters_);
  connect_waiters_.clear();

  // The owner forgets us first, so callbacks that send again get a fresh connection.
  auto self = shared_from_this();
  owner_->OnConnectionClosed(self, was_open);
  for (auto& cb : waiters) CallSafely(cb, why);
  for (auto& [opaque, p] : pending) {
    CallSafely(p.done, Result<RemotingCommand>(why));
  }
}

}  // namespace sprocket::remoting::internal
