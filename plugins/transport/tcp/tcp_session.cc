#include "tcp_session.h"
#include "../common/transport_util.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/logger.h>

namespace sprocket::tcp {

using transport_common::ReadBigEndian32;

namespace {

namespace asio = boost::asio;

// Read buffer sizing. A read asks for everything that fits, so with small frames one
// syscall brings in many of them. A buffer grown for a big frame is given back once it
// drains, so an idle connection does not pin MaxFrameBytes of memory.
constexpr size_t kInitialBuffer = 64 * 1024;
constexpr size_t kMinReadSpace = 16 * 1024;
constexpr size_t kShrinkAbove = 1024 * 1024;

// Frames below kCoalesceBelow bytes are copied into shared buffers of up to kChunkBytes;
// at most kMaxSpare written buffers of at most kMaxSpareCapacity are kept for reuse (so a
// session holds at most 128 KiB for this, and only if it sent bursts that large).
constexpr size_t kCoalesceBelow = 16 * 1024;
constexpr size_t kChunkBytes = 64 * 1024;
constexpr size_t kMaxSpare = 2;
constexpr size_t kMaxSpareCapacity = 64 * 1024;

// How long Close() waits for queued frames to be written before closing anyway.
constexpr auto kCloseDrainTimeout = std::chrono::seconds(5);


// asio copies the buffer sequence into the write operation; a std::vector would be copied
// (one allocation per write). This view lets the operation use the session's vector in place.
class BufferList {
 public:
  using value_type = asio::const_buffer;
  using const_iterator = std::vector<asio::const_buffer>::const_iterator;
  explicit BufferList(const std::vector<asio::const_buffer>& v) : v_(&v) {}
  const_iterator begin() const { return v_->begin(); }
  const_iterator end() const { return v_->end(); }

 private:
  const std::vector<asio::const_buffer>* v_;
};


// Sink callbacks are kernel code; an exception from one must not unwind through the host's
// io_context::run (it would stop an io thread). It is logged and the session closed.
template <typename Fn>
bool CallSink(const SessionConfig& config, uint64_t id, const std::string& peer,
              const char* callback, Fn&& fn) noexcept {
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

}  // namespace

// ---- TcpSession: cross-thread entry points ----

TcpSession::TcpSession(uint64_t id, std::string peer, std::string listener,
                       asio::ip::tcp::socket socket, SessionConfig config,
                       std::shared_ptr<SessionRegistry> registry)
    : id_(id),
      peer_(std::move(peer)),
      listener_(std::move(listener)),
      config_(std::move(config)),
      registry_(std::move(registry)),
      socket_(std::move(socket)),
      close_timer_(socket_.get_executor()) {}

TcpSession::~TcpSession() = default;

void TcpSession::Start() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->DoStart(); });
}

void TcpSession::Send(std::string frame) {
  // A frame whose prefix disagrees with its size would desynchronise the peer's stream for
  // good; that is a kernel bug, so refuse it loudly here rather than corrupt the connection.
  if (frame.size() < 4 || ReadBigEndian32(frame.data()) != frame.size() - 4) {
    config_.log->error("session {} {}: dropped a malformed outgoing frame of {} bytes", id_,
                       peer_, frame.size());
    return;
  }
  bool post = false;
  bool overflow = false;
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    if (send_closed_) return;
    overflow = !EnqueueLocked(std::move(frame));
    // One post per burst: while a write is scheduled or running, it picks up the queue.
    post = !overflow && !write_scheduled_;
    if (post) write_scheduled_ = true;
  }
  AfterEnqueue(post, overflow);
}

// The parts go out as they are (writev straight from the caller's memory, e.g. a mapped
// commit-log segment): no copy of the records into a frame buffer.
void TcpSession::SendParts(std::string head, std::span<const ByteView> parts,
                           std::shared_ptr<const void> hold) {
  size_t total = head.size();
  for (const ByteView& p : parts) total += p.size;
  if (head.size() < 4 || ReadBigEndian32(head.data()) != total - 4) {
    config_.log->error("session {} {}: dropped a malformed outgoing frame of {} bytes", id_,
                       peer_, total);
    return;
  }
  bool post = false;
  bool overflow = false;
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    if (send_closed_) return;
    if (queued_bytes_ + total > config_.max_queued_bytes) {
      send_closed_ = true;
      overflow = true;
    } else {
      EnqueueLocked(std::move(head));
      for (const ByteView& p : parts) {
        if (p.size == 0) continue;
        OutBuf b;
        b.view = p;
        queue_.push_back(std::move(b));
        queued_bytes_ += p.size;
      }
      // Every piece queued under one lock goes out in the same write (StartWrite takes the
      // whole queue), so the last piece may carry the hold for all of them.
      if (!queue_.empty()) queue_.back().hold = std::move(hold);
      tail_open_ = false;
      post = !write_scheduled_;
      write_scheduled_ = true;
    }
  }
  AfterEnqueue(post, overflow);
}

bool TcpSession::EnqueueLocked(std::string bytes) {
  if (queued_bytes_ + bytes.size() > config_.max_queued_bytes) {
    send_closed_ = true;
    return false;
  }
  queued_bytes_ += bytes.size();
  if (bytes.size() >= kCoalesceBelow) {
    queue_.push_back(OutBuf{std::move(bytes), {}, {}});
    tail_open_ = false;
    return true;
  }
  if (!tail_open_ || queue_.back().owned.size() + bytes.size() > kChunkBytes) {
    if (spare_.empty()) {
      queue_.emplace_back();
    } else {
      queue_.push_back(OutBuf{std::move(spare_.back()), {}, {}});
      spare_.pop_back();
    }
    tail_open_ = true;
  }
  queue_.back().owned.append(bytes);
  return true;
}

void TcpSession::AfterEnqueue(bool post, bool overflow) {
  if (overflow) {
    config_.log->warn("session {} {}: more than {} bytes queued for sending, peer not reading",
                      id_, peer_, config_.max_queued_bytes);
    Abort("send queue full");
  } else if (post) {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->StartWrite(); });
  }
}

void TcpSession::PauseReading(bool paused) {
  // The flag takes effect at once, even between two frames of one read; resuming needs the
  // io thread to deliver what is buffered and to read again.
  paused_.store(paused);
  if (!paused) {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Resume(); });
  }
}

void TcpSession::Close() {
  if (close_requested_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    send_closed_ = true;
  }
  // Never finish inline: Close may be called from inside OnFrame, and OnClose must not run
  // while another callback of this session is still on the stack.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->DoClose(); });
}

void TcpSession::Abort(std::string why) {
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    send_closed_ = true;
  }
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), why = std::move(why)] { self->Finish(why); });
}

// ---- io thread ----

void TcpSession::DoStart() {
  if (finished_) return;  // aborted (Stop) before it ever started: the kernel never saw it
  opened_ = true;
  if (!CallSink(config_, id_, peer_, "OnOpen",
                [&] { config_.sink->OnOpen(shared_from_this()); })) {
    Finish("OnOpen threw");
    return;
  }
  StartRead();
}

void TcpSession::Resume() {
  if (finished_ || paused_.load()) return;
  if (!DeliverFrames()) return;
  StartRead();
}

void TcpSession::StartRead() {
  if (finished_ || reading_ || paused_.load() || close_requested_.load()) return;
  PrepareBuffer();
  reading_ = true;
  socket_.async_read_some(
      asio::buffer(buf_.get() + end_, cap_ - end_),
      [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
        self->OnRead(ec, n);
      });
}

void TcpSession::OnRead(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (finished_) {
    buf_.reset();  // Finish kept it while this read could still write into it
    return;
  }
  if (ec) {
    if (ec == asio::error::eof) {
      Finish("peer closed the connection");
    } else {
      Finish("read: " + ec.message());
    }
    return;
  }
  end_ += n;
  if (!DeliverFrames()) return;
  StartRead();
}

// Delivers every complete frame in the buffer. False when the session was finished because
// of a bad length. Stops early (keeping the rest buffered) on PauseReading or Close.
bool TcpSession::DeliverFrames() {
  std::shared_ptr<Session> self = shared_from_this();
  while (!finished_ && !paused_.load() && !close_requested_.load()) {
    const size_t avail = end_ - begin_;
    if (avail < 4) break;
    const uint32_t len = ReadBigEndian32(buf_.get() + begin_);
    // length counts the header-length word, so less than 4 cannot be a RocketMQ frame.
    // The check comes before any allocation: a hostile length costs nothing.
    if (len < 4 || uint64_t{len} + 4 > config_.max_frame_bytes) {
      config_.log->warn("session {} {}: frame length {} outside [4, {}], closing", id_, peer_,
                        len, config_.max_frame_bytes - 4);
      Finish(len < 4 ? "frame length below 4" : "frame larger than the maximum");
      return false;
    }
    if (avail - 4 < len) break;  // incomplete; PrepareBuffer makes room for all of it
    const std::string_view frame(buf_.get() + begin_ + 4, len);
    if (!CallSink(config_, id_, peer_, "OnFrame", [&] { config_.sink->OnFrame(self, frame); })) {
      Finish("OnFrame threw");
      return false;
    }
    begin_ += 4 + size_t{len};
  }
  return !finished_;
}

// Makes room after end_ for the next read: at least kMinReadSpace, and enough for the whole
// frame whose header is buffered, so a big frame arrives in as few reads as the kernel can.
void TcpSession::PrepareBuffer() {
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
    // DeliverFrames normally validated this header, but it may have stopped early (pause)
    // before looking at it, so only a valid length may size the buffer.
    const uint32_t len = ReadBigEndian32(buf_.get() + begin_);
    if (len >= 4 && uint64_t{len} + 4 <= config_.max_frame_bytes) {
      want = std::max(want, size_t{len} + 4);
    }
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

// Writes everything queued so far with one gather write (asio issues writev with up to 64
// buffers per call). Frames queued meanwhile go in the next batch.
void TcpSession::StartWrite() {
  if (finished_ || writing_) return;
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    if (queue_.empty()) {
      write_scheduled_ = false;
      return;
    }
    inflight_.swap(queue_);  // queue_ gets the drained vector back, keeping its capacity
    tail_open_ = false;
  }
  iov_.clear();
  for (const OutBuf& f : inflight_) iov_.emplace_back(f.data(), f.size());
  writing_ = true;
  asio::async_write(socket_, BufferList(iov_),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->OnWritten(ec);
                    });
}

void TcpSession::OnWritten(const boost::system::error_code& ec) {
  writing_ = false;
  size_t written = 0;
  for (const OutBuf& f : inflight_) written += f.size();
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    queued_bytes_ -= written;
    for (OutBuf& f : inflight_) {
      if (spare_.size() >= kMaxSpare) break;
      if (!f.view.data && f.owned.capacity() <= kMaxSpareCapacity) {
        f.owned.clear();
        spare_.push_back(std::move(f.owned));
      }
    }
  }
  inflight_.clear();
  if (finished_) return;
  if (ec) {
    Finish("write: " + ec.message());
    return;
  }
  StartWrite();
  if (closing_ && !writing_) Finish("closed by the server");
}

void TcpSession::DoClose() {
  if (finished_ || closing_) return;
  closing_ = true;
  bool queued;
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    queued = !queue_.empty();
  }
  // With nothing in flight, close now. Otherwise the write path finishes once the queue is
  // empty (Send accepts nothing new after Close); the timer covers a peer that never reads.
  if (!writing_ && !queued) {
    Finish("closed by the server");
    return;
  }
  close_timer_.expires_after(kCloseDrainTimeout);
  close_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->Finish("closed by the server (send queue not drained in time)");
  });
}

// The single exit: closes the socket, tells the sink once, leaves the registry. Outstanding
// read/write handlers still run afterwards (with operation_aborted) and only see finished_.
void TcpSession::Finish(std::string_view why) {
  if (finished_) return;
  finished_ = true;
  {
    std::lock_guard<std::mutex> lock(send_mu_);
    send_closed_ = true;
    queue_.clear();
    spare_.clear();
    tail_open_ = false;
  }
  boost::system::error_code ignored;
  close_timer_.cancel();
  socket_.close(ignored);
  if (!reading_) buf_.reset();
  if (opened_) {
    CallSink(config_, id_, peer_, "OnClose",
             [&] { config_.sink->OnClose(shared_from_this(), why); });
  }
  config_.log->debug("session {} {} ({}) closed: {}", id_, peer_, listener_, why);
  // Last: Stop() returns once every session is removed, i.e. after every OnClose returned.
  registry_->Remove(id_);
}

}  // namespace sprocket::tcp
