#include "sprocket/remoting/client.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "remoting/connection.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::remoting {

using internal::Connection;
namespace asio = boost::asio;

namespace {

// A callback's exception must not unwind into the caller (or end io.run()).
void CallSafely(RemotingClient::ResponseCallback& f, Status status) {
  if (!f) return;
  try {
    f(Result<RemotingCommand>(std::move(status)));
  } catch (...) {
  }
}

}  // namespace

// All connection state lives on the I/O thread; public calls post work to it. The only
// cross-thread state is `running_` (guarded by mu_, so that nothing is posted after the
// shutdown task) and the two handlers.
class RemotingClient::Impl : public internal::ConnectionOwner {
 public:
  explicit Impl(Options options)
      : options_(options), work_(asio::make_work_guard(io_)) {
    thread_ = std::thread([this] {
      io_thread_id_ = std::this_thread::get_id();
      started_.set_value();
      io_.run();
    });
    started_.get_future().wait();
  }

  ~Impl() override {
    Shutdown();
    // Only reachable when the last reference is dropped inside a callback; the thread is
    // the one running us and cannot be joined.
    if (thread_.joinable()) thread_.detach();
  }

  bool OnIoThread() const { return std::this_thread::get_id() == io_thread_id_; }

  int32_t NextOpaque() {
    // Non-negative like the cpp client, so ids never look like errors in logs.
    return next_opaque_.fetch_add(1, std::memory_order_relaxed) & 0x7FFFFFFF;
  }

  // Posts `task` unless the client is shut down; false if it was not posted.
  template <typename F>
  bool Post(F&& task) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return false;
    asio::post(io_, std::forward<F>(task));
    return true;
  }

  // Runs `done` with `status` on the I/O thread, or right here once shut down.
  void Complete(ResponseCallback done, Status status) {
    auto shared = std::make_shared<ResponseCallback>(std::move(done));
    auto st = std::make_shared<Status>(std::move(status));
    auto run = [shared, st] {
      try {
        (*shared)(*st);
      } catch (...) {
      }
    };
    if (!Post(run)) run();
  }

  void InvokeAsync(const std::string& addr, RemotingCommand request, std::string_view body,
                   std::chrono::milliseconds timeout, ResponseCallback done) {
    request.opaque = NextOpaque();
    request.flag &= ~(protocol::kFlagResponse | protocol::kFlagOneway);
    // The deadline counts from the call, so time spent connecting is part of the timeout.
    const auto deadline = Connection::Clock::now() + timeout;
    bool post = false;
    bool queued = false;
    // The header is encoded into this thread's scratch buffer (no allocation once it has
    // grown); then header and body are copied behind the frames of other requests waiting
    // for the I/O thread, under the lock only for the copy: the I/O thread takes the same
    // lock to collect them. So the body is copied once.
    thread_local std::string scratch;
    scratch.clear();
    protocol::EncodeFrame(request, std::string_view(), &scratch);
    protocol::ExtendFrameLength(&scratch, body.size());
    const size_t frame_size = scratch.size() + body.size();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (running_) {
        if (frame_size <= options_.max_frame_bytes) {
          Staging& st = StagingFor(addr);
          st.frames.append(scratch);
          st.frames.append(body);
          queued = true;
          st.requests.push_back(Staged{request.opaque, request.code, deadline, timeout, std::move(done)});
          // One post (and wake-up of the I/O thread) per burst: requests staged while a
          // drain is pending ride along with it.
          post = !drain_posted_;
          drain_posted_ = true;
        }
      }
    }
    if (scratch.capacity() > kKeepStagingBytes) std::string().swap(scratch);  // after a huge header
    if (post) {
      asio::post(io_, [this] { DrainSubmitted(); });
    } else if (!queued && frame_size > options_.max_frame_bytes) {
      Complete(std::move(done),
               Status::InvalidArgument("request code " + std::to_string(request.code) + " to " +
                                       addr + ": frame of " + std::to_string(frame_size) +
                                       " bytes exceeds the maximum of " +
                                       std::to_string(options_.max_frame_bytes)));
    } else if (!queued) {
      CallSafely(done, Status::Aborted("remoting client is shut down"));
    }
  }

  // I/O thread: registers and queues every staged request. Each is registered before its
  // frame is queued, so even an instant answer finds its pending entry.
  void DrainSubmitted() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      draining_.swap(staging_);
      drain_posted_ = false;
    }
    for (Staging& st : draining_) {
      if (st.requests.empty()) continue;
      auto conn = GetOrConnect(st.addr);
      for (Staged& r : st.requests) {
        conn->AddPending(r.opaque, r.code, r.deadline, r.timeout, std::move(r.done));
      }
      conn->Take(&st.frames);
      st.requests.clear();
      if (st.frames.capacity() > kKeepStagingBytes) {
        std::string().swap(st.frames);
      } else {
        st.frames.clear();
      }
    }
    // The emptied buffers go back for reuse (for at most kMaxStagingAddrs addresses).
    std::lock_guard<std::mutex> lock(mu_);
    for (Staging& st : draining_) {
      if (staging_.size() >= kMaxStagingAddrs) break;
      bool present = false;
      for (const Staging& s : staging_) present = present || s.addr == st.addr;
      if (!present) staging_.push_back(std::move(st));
    }
    draining_.clear();
  }

  Status InvokeOneway(const std::string& addr, RemotingCommand request,
                      std::chrono::milliseconds timeout) {
    request.opaque = NextOpaque();
    request.flag = (request.flag & ~protocol::kFlagResponse) | protocol::kFlagOneway;
    std::string frame = protocol::EncodeFrame(request);
    if (frame.size() > options_.max_frame_bytes) {
      return Status::InvalidArgument("oneway request code " + std::to_string(request.code) +
                                     " to " + addr + ": frame too large");
    }
    if (OnIoThread()) {
      // A callback cannot wait for the connection; queue and report success.
      Post([this, addr, frame = std::move(frame)]() mutable {
        GetOrConnect(addr)->Send(std::move(frame));
      });
      return Status::OK();
    }
    // "OK" promises the frame sits on an open socket, so a dead broker is reported here
    // (IOError) rather than lost silently.
    auto promise = std::make_shared<std::promise<Status>>();
    auto future = promise->get_future();
    bool posted = Post([this, addr, frame = std::move(frame), promise]() mutable {
      auto conn = GetOrConnect(addr);
      conn->Send(std::move(frame));
      conn->WhenConnected([promise](const Status& s) { promise->set_value(s); });
    });
    if (!posted) return Status::Aborted("remoting client is shut down");
    if (future.wait_for(timeout) != std::future_status::ready) {
      return Status::Timeout("oneway request code " + std::to_string(request.code) + " to " +
                             addr + ": not connected within " + std::to_string(timeout.count()) +
                             " ms");
    }
    return future.get();
  }

  void CloseConnection(const std::string& addr) {
    Post([this, addr] {
      auto it = connections_.find(addr);
      if (it == connections_.end()) return;
      auto conn = it->second;
      conn->Close(Status::IOError("connection to " + addr + " closed by the client"));
    });
  }

  void SetRequestHandler(RequestHandler handler) {
    std::lock_guard<std::mutex> lock(handler_mu_);
    request_handler_ = std::make_shared<RequestHandler>(std::move(handler));
  }

  void SetCloseHandler(std::function<void(const std::string&)> handler) {
    std::lock_guard<std::mutex> lock(handler_mu_);
    close_handler_ = std::make_shared<std::function<void(const std::string&)>>(std::move(handler));
  }

  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (running_) {
        running_ = false;
        // Tasks posted before this one run first (one thread, FIFO), so every request
        // that made it past Post() is registered before we fail them all.
        asio::post(io_, [this] {
          DrainSubmitted();  // requests submitted before shutdown get registered, then failed
          shutting_down_ = true;
          auto conns = std::move(connections_);
          connections_.clear();
          for (auto& [addr, conn] : conns) {
            conn->Close(Status::Aborted("remoting client shut down; request to " + addr +
                                        " abandoned"));
          }
          work_.reset();
          io_.stop();
        });
      }
    }
    // Outside the lock: callbacks run by the shutdown task may call Post().
    JoinIoThread();
  }

  // Joins once, whichever thread gets here first; the others wait for it. A call on the
  // I/O thread itself cannot join and leaves it to a later Shutdown() or the destructor.
  void JoinIoThread() {
    if (OnIoThread()) return;
    std::call_once(joined_, [this] {
      if (thread_.joinable()) thread_.join();
    });
  }

  // ConnectionOwner
  void OnServerRequest(const std::shared_ptr<Connection>& conn, RemotingCommand request) override {
    std::shared_ptr<RequestHandler> handler;
    {
      std::lock_guard<std::mutex> lock(handler_mu_);
      handler = request_handler_;
    }
    std::optional<RemotingCommand> response;
    if (handler && *handler) {
      // A throwing handler is answered like Java's remoting layer does: SYSTEM_ERROR with
      // the exception text, and the connection stays up.
      try {
        response = (*handler)(conn->addr(), request);
      } catch (const std::exception& e) {
        response = RemotingCommand::ResponseTo(request, protocol::ResponseCode::kSystemError,
                                               std::string("request handler failed: ") + e.what());
      } catch (...) {
        response = RemotingCommand::ResponseTo(request, protocol::ResponseCode::kSystemError,
                                               "request handler failed");
      }
    } else {
      response = RemotingCommand::ResponseTo(
          request, protocol::ResponseCode::kRequestCodeNotSupported,
          " request type " + std::to_string(request.code) + " not supported");
    }
    if (!response || request.IsOneway()) return;  // oneway requests never get an answer
    response->opaque = request.opaque;
    response->flag = (response->flag | protocol::kFlagResponse) & ~protocol::kFlagOneway;
    conn->Send(protocol::EncodeFrame(*response));
  }

  void OnConnectionClosed(const std::shared_ptr<Connection>& conn, bool was_open) override {
    // Only forget the map entry if it is this connection: a replacement may already be
    // connecting under the same address.
    auto it = connections_.find(conn->addr());
    if (it != connections_.end() && it->second == conn) connections_.erase(it);
    if (!was_open) return;
    std::shared_ptr<std::function<void(const std::string&)>> handler;
    {
      std::lock_guard<std::mutex> lock(handler_mu_);
      handler = close_handler_;
    }
    if (handler && *handler) {
      try {
        (*handler)(conn->addr());
      } catch (...) {
      }
    }
  }

 private:
  // I/O thread only.
  std::shared_ptr<Connection> GetOrConnect(const std::string& addr) {
    auto it = connections_.find(addr);
    if (it != connections_.end()) return it->second;
    auto conn = std::make_shared<Connection>(io_, addr, options_, this);
    // A callback run by the shutdown task may send again; it gets a closed connection
    // (Aborted) instead of a socket nobody will ever close.
    if (shutting_down_) {
      conn->Close(Status::Aborted("remoting client shut down"));
      return conn;
    }
    connections_.emplace(addr, conn);
    conn->Start();
    return conn;
  }

  const Options options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::thread::id io_thread_id_;
  std::promise<void> started_;
  std::atomic<int32_t> next_opaque_{0};

  std::once_flag joined_;

  // Requests on their way from callers' threads to the I/O thread, per address: their
  // frames back to back, and what the pending table needs for each.
  struct Staged {
    int32_t opaque;
    int32_t code;
    Connection::Clock::time_point deadline;
    std::chrono::milliseconds timeout;
    ResponseCallback done;
  };
  struct Staging {
    std::string addr;
    std::string frames;
    std::vector<Staged> requests;
  };
  static constexpr size_t kKeepStagingBytes = 4 * 1024 * 1024;
  static constexpr size_t kMaxStagingAddrs = 16;

  // mu_ held.
  Staging& StagingFor(const std::string& addr) {
    for (Staging& st : staging_) {
      if (st.addr == addr) return st;
    }
    Staging& st = staging_.emplace_back();
    st.addr = addr;
    return st;
  }

  std::mutex mu_;
  bool running_ = true;
  std::vector<Staging> staging_;  // mu_
  bool drain_posted_ = false;     // mu_: a DrainSubmitted is posted and has not swapped yet
  std::vector<Staging> draining_;  // I/O thread

  std::mutex handler_mu_;
  std::shared_ptr<RequestHandler> request_handler_;
  std::shared_ptr<std::function<void(const std::string&)>> close_handler_;

  // I/O thread only.
  std::unordered_map<std::string, std::shared_ptr<Connection>> connections_;
  bool shutting_down_ = false;
};

RemotingClient::RemotingClient() : RemotingClient(Options{}) {}

RemotingClient::RemotingClient(Options options) : impl_(std::make_shared<Impl>(options)) {}

RemotingClient::~RemotingClient() { impl_->Shutdown(); }

Result<RemotingCommand> RemotingClient::Invoke(const std::string& addr, RemotingCommand request,
                                               std::chrono::milliseconds timeout) {
  if (impl_->OnIoThread()) {
    return Status::InvalidArgument("RemotingClient::Invoke called on the I/O thread (would deadlock)");
  }
  auto promise = std::make_shared<std::promise<Result<RemotingCommand>>>();
  auto future = promise->get_future();
  std::string body = std::move(request.body);
  impl_->InvokeAsync(addr, std::move(request), body, timeout,
                     [promise](Result<RemotingCommand> r) { promise->set_value(std::move(r)); });
  // The request's own timer always completes the promise; the extra margin only guards
  // against a bug leaving the caller blocked for ever.
  if (future.wait_for(timeout + std::chrono::seconds(5)) != std::future_status::ready) {
    return Status::Timeout("request to " + addr + " got no completion");
  }
  return future.get();
}

void RemotingClient::InvokeAsync(const std::string& addr, RemotingCommand request,
                                 std::chrono::milliseconds timeout, ResponseCallback done) {
  std::string body = std::move(request.body);
  impl_->InvokeAsync(addr, std::move(request), body, timeout, std::move(done));
}

void RemotingClient::InvokeAsync(const std::string& addr, RemotingCommand request, std::string_view body,
                                 std::chrono::milliseconds timeout, ResponseCallback done) {
  impl_->InvokeAsync(addr, std::move(request), body, timeout, std::move(done));
}

Status RemotingClient::InvokeOneway(const std::string& addr, RemotingCommand request,
                                    std::chrono::milliseconds timeout) {
  return impl_->InvokeOneway(addr, std::move(request), timeout);
}

void RemotingClient::SetRequestHandler(RequestHandler handler) {
  impl_->SetRequestHandler(std::move(handler));
}

void RemotingClient::SetCloseHandler(std::function<void(const std::string& addr)> handler) {
  impl_->SetCloseHandler(std::move(handler));
}

void RemotingClient::CloseConnection(const std::string& addr) { impl_->CloseConnection(addr); }

void RemotingClient::Shutdown() { impl_->Shutdown(); }

}  // namespace sprocket::remoting
