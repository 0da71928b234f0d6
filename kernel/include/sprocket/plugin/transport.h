// Transport plugins move whole RocketMQ remoting frames between peers and the kernel.
// They know nothing of what a frame means: the kernel decodes it.
//
// A frame on the wire is `int32 length | length bytes` (big-endian, RocketMQ's framing,
// PROTOCOL.md §1.1). A stream transport (tcp) splits the byte stream on that prefix; a
// message transport (websocket) carries exactly one frame per binary message.
//
// Threads: each Session lives on one io_context of the host's pool (PluginHost::IoContext).
// FrameSink callbacks for a session are made on that io_context's thread, one at a time
// and in order: OnOpen, then OnFrame*, then OnClose exactly once.
//
// Part of the plugin ABI: see abi.h before changing anything here.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sprocket/plugin/status.h"
#include "sprocket/plugin/types.h"

namespace sprocket {

class PluginHost;

// One connection. Shared between the transport and the kernel; the transport keeps it
// alive until OnClose has returned, the kernel may keep it longer (calls then do nothing).
class Session {
 public:
  virtual ~Session() = default;

  // Unique within the process, across transports; never reused (PluginHost::NewSessionId).
  virtual uint64_t Id() const = 0;

  // The remote peer as "a.b.c.d:port" (IPv4) or "[v6]:port"; fixed at accept time.
  virtual const std::string& Peer() const = 0;

  // Which listener accepted it: "main", "vip" (the broker's listenPort-2) or a
  // transport-specific label such as "ws" (the websocket plugin). The kernel refuses PULL_MESSAGE on "vip".
  virtual const std::string& Listener() const = 0;

  // Queues one complete frame, *including* its 4-byte length prefix, for sending.
  // Thread-safe; may be called from any thread. Frames go out whole and in call order.
  // After Close (or once the peer is gone) the frame is dropped silently.
  virtual void Send(std::string frame) = 0;

  // Queues one frame made of `head` (the length prefix, the header and possibly the start
  // of the body) followed by `parts`, which stay valid while `hold` is alive: a pull
  // response can then go out straight from a store's mapped segment (writev) instead of
  // being copied into one buffer. Same ordering and thread-safety as Send; the transport
  // drops `hold` once the bytes are written or dropped. The default joins the pieces and
  // calls Send.
  virtual void SendParts(std::string head, std::span<const ByteView> parts,
                         std::shared_ptr<const void> hold) {
    size_t total = head.size();
    for (const ByteView& p : parts) total += p.size;
    head.reserve(total);
    for (const ByteView& p : parts) head.append(p.data, p.size);
    hold.reset();
    Send(std::move(head));
  }

  // Stops (true) or resumes (false) reading from the peer: back-pressure for the kernel.
  // Thread-safe.
  virtual void PauseReading(bool paused) = 0;

  // Closes the connection after frames already queued have been written or dropped.
  // Thread-safe and idempotent; OnClose follows on the session's thread.
  virtual void Close() = 0;
};

// Implemented by the kernel.
class FrameSink {
 public:
  virtual ~FrameSink() = default;

  virtual void OnOpen(const std::shared_ptr<Session>& session) = 0;

  // One frame *without* its 4-byte length prefix (serialize-type/header-length word first).
  // The bytes are valid only during the call. The length was already checked against
  // PluginHost::MaxFrameBytes(); a longer frame never reaches the sink: the transport
  // logs it and closes the session.
  virtual void OnFrame(const std::shared_ptr<Session>& session, std::string_view frame) = 0;

  // The session is gone (peer closed, error, oversize frame, Close(), Stop()). `why` is a
  // short human-readable reason for logs.
  virtual void OnClose(const std::shared_ptr<Session>& session, std::string_view why) = 0;
};

struct Endpoint {
  std::string label;    // same as Session::Listener() for sessions it accepts
  std::string address;  // the bound address, e.g. "127.0.0.1"
  uint16_t port = 0;    // the bound port: the real one when 0 was asked for
};

// Config keys a transport reads through PluginHost::Option (missing means "not wanted"):
//   bindAddress        address to bind (default "0.0.0.0")
//   listenPort         the main port (RocketMQ key); "0" binds an ephemeral port
//   vipListenPort      tcp only: the broker's VIP port (the kernel derives listenPort-2)
//   websocketListenPort  websocket only
class Transport {
 public:
  virtual ~Transport() = default;

  // Binds and starts accepting. Frames are delivered to `sink`, which outlives the
  // transport's Stop(). Fails (e.g. port in use) with IOError naming the address.
  virtual Status Start(FrameSink* sink) = 0;

  // What Start bound, with real port numbers. Empty before Start.
  virtual std::vector<Endpoint> BoundEndpoints() const = 0;

  // Stops accepting and closes every session (each gets OnClose). Blocks until no
  // callback is running or will run. Idempotent. Must not be called from an io thread.
  virtual void Stop() = 0;
};

using transport_factory_t = Result<std::unique_ptr<Transport>>(PluginHost& host);

}  // namespace sprocket
