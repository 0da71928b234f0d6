// One TCP connection of a RemotingClient: connect (with timeout), frame reading, a write
// queue and the table of requests waiting for their response.
//
// Built for many requests in flight (an asynchronous producer keeps hundreds open): one
// read brings in as many response frames as fit a 64 KiB buffer, queued frames leave in
// one gathered write, and request deadlines share one timer (a heap of deadlines) instead
// of one timer each.
//
// Private to kernel/remoting. Every method runs on the client's I/O thread; nothing here
// is locked.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sprocket/remoting/client.h"

namespace sprocket::remoting::internal {

namespace asio = boost::asio;

class Connection;

// What a connection reports to the client that owns it.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  // A request (not a response) arrived from the server.
  virtual void OnServerRequest(const std::shared_ptr<Connection>& conn, RemotingCommand request) = 0;
  // The connection is closed for good; `was_open` tells whether it ever connected.
  virtual void OnConnectionClosed(const std::shared_ptr<Connection>& conn, bool was_open) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using ResponseCallback = RemotingClient::ResponseCallback;
  using Clock = std::chrono::steady_clock;

  Connection(asio::io_context& io, std::string addr, const RemotingClient::Options& options,
             ConnectionOwner* owner);

  const std::string& addr() const { return addr_; }
  bool open() const { return open_; }
  bool closed() const { return closed_; }

  // Resolves and connects; Close()s with IOError when that fails or takes longer than
  // the connect timeout.
  void Start();

  // Registers a request waiting for the response with `opaque`. `done` runs exactly once:
  // with the response, Timeout at `deadline`, or the status the connection closes with.
  void AddPending(int32_t opaque, int32_t code, Clock::time_point deadline,
                  std::chrono::milliseconds timeout, ResponseCallback done);
  // Drops a pending entry without running its callback (the frame could not be queued).
  void RemovePending(int32_t opaque);

  // Queues complete frames (length prefix included; any number back to back). Frames
  // queued before the connection opens are written, in order, once it does.
  void Send(std::string_view frames);
  // Same, taking the bytes out of *frames, which is left empty (holding a spare buffer):
  // swaps buffers instead of copying when nothing else is queued.
  void Take(std::string* frames);

  // Runs `cb` with OK once connected (at once if already), or with the close status.
  void WhenConnected(std::function<void(const Status&)> cb);

  // Closes the socket; every pending request and connect waiter gets `why`.
  // Idempotent; the first status wins.
  void Close(const Status& why);

 private:
  struct Pending {
    int32_t code = 0;
    std::chrono::milliseconds timeout{0};
    Clock::time_point deadline;
    ResponseCallback done;
  };
  // One entry per AddPending; entries of answered requests are skipped when they surface.
  struct Deadline {
    Clock::time_point at;
    int32_t opaque;
    bool operator>(const Deadline& o) const { return at > o.at; }
  };

  void OnConnected();
  void StartRead();
  void OnRead(const boost::system::error_code& ec, size_t n);
  // Handles every complete frame in the buffer. False when the connection closed.
  bool DeliverFrames();
  // Makes room for the next read (and for the whole of a frame whose length is buffered).
  void PrepareBuffer();
  void OnFrame(std::string_view frame);
  // Arms the deadline timer for the earliest deadline if it is not armed earlier already.
  void ArmTimer();
  void OnTimer();
  void StartWrite();
  Status LostStatus(const std::string& what) const;

  asio::io_context& io_;
  const std::string addr_;
  const RemotingClient::Options options_;
  ConnectionOwner* const owner_;

  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer connect_timer_;
  bool open_ = false;
  bool closed_ = false;
  Status close_status_;  // why we closed; given to requests that arrive afterwards

  // Read buffer: bytes [begin_, end_) are received and not yet handled.
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;

  // Frames are appended back to back to out_buf_ and written from write_buf_; the two swap
  // and keep their capacity, so queueing a frame allocates nothing in the steady state.
  std::string out_buf_;
  std::string write_buf_;
  bool write_in_progress_ = false;

  std::unordered_map<int32_t, Pending> pending_;
  std::vector<Deadline> deadlines_;  // min-heap on `at`
  asio::steady_timer deadline_timer_;
  Clock::time_point timer_at_ = Clock::time_point::max();  // when the timer fires; max = idle
  std::vector<std::function<void(const Status&)>> connect_waiters_;
};

// Splits "host:port" / "[v6]:port". False when there is no usable port.
bool SplitHostPort(const std::string& addr, std::string* host, std::string* port);

}  // namespace sprocket::remoting::internal
