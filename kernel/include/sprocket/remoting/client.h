// RemotingClient: the client side of RocketMQ remoting over TCP, shared by mqbroker
// (broker -> nameserver registration), mqadmin and sdk/cpp.
//
// One TCP connection per address, opened on first use and reopened on the next call after
// it drops. Requests are matched to responses by opaque; each side of a connection keeps
// its own opaque counter (PROTOCOL.md §1.4). Requests the server sends to us (e.g.
// NOTIFY_CONSUMER_IDS_CHANGED) go to the request handler.
//
// Threads: the client owns one I/O thread. Callbacks (async completions, the request
// handler, the close handler) run on it and must not block. Invoke() blocks the calling
// thread and must not be called from a callback.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sprocket/plugin/status.h"
#include "sprocket/protocol/remoting_command.h"

namespace sprocket::remoting {

using protocol::RemotingCommand;

class RemotingClient {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{3000};
    size_t max_frame_bytes = protocol::kDefaultMaxFrameBytes;
  };
  // Server -> client request. Return a response to send it back (its opaque is set for
  // you), or nullopt to send nothing (oneway requests never get an answer anyway).
  using RequestHandler =
      std::function<std::optional<RemotingCommand>(const std::string& addr, const RemotingCommand&)>;
  using ResponseCallback = std::function<void(Result<RemotingCommand>)>;

  RemotingClient();
  explicit RemotingClient(Options options);
  ~RemotingClient();  // Shutdown()
  RemotingClient(const RemotingClient&) = delete;
  RemotingClient& operator=(const RemotingClient&) = delete;

  // Sends `request` to "host:port" and waits for its response. Errors: IOError (connect or
  // write failed, connection lost; the message names the address), Timeout.
  Result<RemotingCommand> Invoke(const std::string& addr, RemotingCommand request,
                                 std::chrono::milliseconds timeout);

  // Same, completing `done` exactly once on the I/O thread.
  void InvokeAsync(const std::string& addr, RemotingCommand request,
                   std::chrono::milliseconds timeout, ResponseCallback done);
  // Same, with the body passed apart (request.body is ignored): the frame is encoded
  // straight from `body`, which need only live during the call. For senders that keep
  // the body for retries and must not copy it into every try's command.
  void InvokeAsync(const std::string& addr, RemotingCommand request, std::string_view body,
                   std::chrono::milliseconds timeout, ResponseCallback done);

  // Marks the request oneway and sends it; OK once it is queued on a connected socket.
  Status InvokeOneway(const std::string& addr, RemotingCommand request,
                      std::chrono::milliseconds timeout);

  void SetRequestHandler(RequestHandler handler);
  // Called on the I/O thread when a connection to `addr` closes.
  void SetCloseHandler(std::function<void(const std::string& addr)> handler);

  // Closes the connection to `addr` (pending requests fail with IOError).
  void CloseConnection(const std::string& addr);

  // Fails pending requests with Aborted, closes every connection and joins the thread.
  // Idempotent.
  void Shutdown();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sprocket::remoting
