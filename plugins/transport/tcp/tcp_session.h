// TcpSession: one accepted connection of the tcp transport, and SessionRegistry, the set of
// live sessions that Stop() closes and waits for.
//
// Threads: everything that touches the socket or the read buffer runs on the session's
// io_context (one thread, PluginHost::IoContext). Send, PauseReading and Close may be called
// from any thread; they hand work over with asio::post, and Send's queue is under a mutex so
// that frames go out in call order whichever threads call it.
//
// Private to the tcp plugin.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "../common/session_registry.h"
#include "sprocket/plugin/transport.h"

namespace spdlog {
class logger;
}

namespace sprocket::tcp {

class TcpSession;

// What every session of one transport shares. Copied into each session.
struct SessionConfig {
  FrameSink* sink = nullptr;
  std::shared_ptr<spdlog::logger> log;
  size_t max_frame_bytes = 0;   // PluginHost::MaxFrameBytes(), prefix included
  size_t max_queued_bytes = 0;  // Send() beyond this closes the session: the peer is not reading
};

// The transport's live sessions (../common/session_registry.h).
using SessionRegistry = transport_common::SessionRegistry<TcpSession>;

class TcpSession final : public Session, public std::enable_shared_from_this<TcpSession> {
 public:
  // `socket` is connected and belongs to the io_context the session will live on.
  TcpSession(uint64_t id, std::string peer, std::string listener,
             boost::asio::ip::tcp::socket socket, SessionConfig config,
             std::shared_ptr<SessionRegistry> registry);
  ~TcpSession() override;

  uint64_t Id() const override { return id_; }
  const std::string& Peer() const override { return peer_; }
  const std::string& Listener() const override { return listener_; }
  void Send(std::string frame) override;
  void SendParts(std::string head, std::span<const ByteView> parts, std::shared_ptr<const void> hold) override;
  void PauseReading(bool paused) override;
  void Close() override;

  // Posts OnOpen and the first read to the session's io_context. Call once, after Add.
  void Start();
  // Closes at once, dropping queued frames; OnClose(why) follows on the session's thread.
  // Any thread.
  void Abort(std::string why);

 private:
  // Everything below runs on the session's io thread.
  void DoStart();
  void Resume();
  void StartRead();
  void OnRead(const boost::system::error_code& ec, size_t n);
  bool DeliverFrames();
  void PrepareBuffer();
  void StartWrite();
  void OnWritten(const boost::system::error_code& ec);
  void DoClose();
  void Finish(std::string_view why);

  const uint64_t id_;
  const std::string peer_;
  const std::string listener_;
  const SessionConfig config_;
  const std::shared_ptr<SessionRegistry> registry_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer close_timer_;  // bounds how long Close waits for the queue

  // Io-thread state.
  bool opened_ = false;    // OnOpen was called, so OnClose is owed
  bool finished_ = false;  // socket closed, OnClose called: nothing more happens
  bool reading_ = false;   // an async_read_some is outstanding
  bool writing_ = false;   // an async_write is outstanding
  bool closing_ = false;   // Close() seen: write what is queued, then Finish
  // Read buffer: bytes [begin_, end_) are received and not yet delivered. Frames are
  // delivered straight out of it; it grows only for a frame whose length was validated.
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  // One piece of outgoing bytes: an owned buffer, or a view into memory someone else owns
  // (a store's mapped segment) kept alive by `hold` until the write that carries it is done.
  struct OutBuf {
    std::string owned;
    ByteView view;
    std::shared_ptr<const void> hold;
    const char* data() const { return view.data ? view.data : owned.data(); }
    size_t size() const { return view.data ? view.size : owned.size(); }
  };
  std::vector<OutBuf> inflight_;                 // pieces of the outstanding write
  std::vector<boost::asio::const_buffer> iov_;   // their buffers, one per frame

  // Shared with other threads.
  std::atomic<bool> paused_{false};
  std::atomic<bool> close_requested_{false};
  std::mutex send_mu_;
  // Frames waiting for the next write (send_mu_). Small frames (responses) are copied back
  // to back into buffers reused from `spare_`, so sending one allocates nothing and the
  // caller's string is freed by the thread that made it; big frames (pull responses) are
  // queued as they are, without a copy.
  std::vector<OutBuf> queue_;
  bool tail_open_ = false;           // queue_.back() is a buffer small frames may join (send_mu_)
  std::vector<std::string> spare_;   // written buffers kept for reuse (send_mu_)
  size_t queued_bytes_ = 0;         // bytes in queue_ and inflight_ (send_mu_)
  bool write_scheduled_ = false;    // a StartWrite is posted or a write is running (send_mu_)
  bool send_closed_ = false;        // Send drops frames from now on (send_mu_)

  // Under send_mu_: queues owned bytes (coalescing small ones); false when the queue is full.
  bool EnqueueLocked(std::string bytes);
  // After queueing: posts StartWrite once per burst, or aborts a session whose peer stopped reading.
  void AfterEnqueue(bool post, bool overflow);
};

}  // namespace sprocket::tcp
