// RemotingServer: the kernel side of every transport. Decodes frames, asks the auth plugin,
// dispatches by request code to one handler table, and encodes responses.
//
// "Where is PULL_MESSAGE handled?" -> the Register(RequestCode::kPullMessage, ...) call in
// the program's setup (broker/broker_controller.cc, namesrv/namesrv_controller.cc).
//
// Bad input never takes the process down (STYLE.md, Envoy): a frame that does not decode
// closes that session only; an unknown code gets REQUEST_CODE_NOT_SUPPORTED; a handler
// that throws gets SYSTEM_ERROR with the exception text.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sprocket/plugin/auth.h"
#include "sprocket/plugin/transport.h"
#include "sprocket/plugin/types.h"
#include "sprocket/protocol/remoting_command.h"

namespace spdlog {
class logger;
}

namespace sprocket {

using protocol::RemotingCommand;

// A copyable handle for answering one request, now or later (long polls, store appends).
class Exchange {
 public:
  Exchange(std::shared_ptr<Session> session, const RemotingCommand& request)
      : session_(std::move(session)),
        opaque_(request.opaque),
        code_(request.code),
        serialize_type_(request.serialize_type),
        oneway_(request.IsOneway()) {}

  const std::shared_ptr<Session>& session() const { return session_; }
  int32_t request_code() const { return code_; }
  bool oneway() const { return oneway_; }

  // Sends `response` (its opaque, flag and serialize type are set here) with `body`
  // (or response.body when empty). Does nothing for oneway requests.
  void Reply(RemotingCommand response, std::string_view body = {}) const;
  // Same, with a body made of several pieces (pull responses: records back to back).
  // Replies with `parts` as the body, sent from where they are; `hold` keeps them alive
  // until the transport has written them.
  void ReplyParts(RemotingCommand response, std::span<const ByteView> parts,
                  std::shared_ptr<const void> hold) const;
  // Shorthand for an error/plain response with a remark.
  void ReplyCode(int32_t code, std::string remark = {}) const;

 private:
  void Prepare(RemotingCommand& response) const;
  std::shared_ptr<Session> session_;
  int32_t opaque_;
  int32_t code_;
  protocol::SerializeType serialize_type_;
  bool oneway_;
};

// `body` is valid only during the call: copy what a deferred reply needs.
using RequestHandler =
    std::function<void(const Exchange& exchange, RemotingCommand& request, std::string_view body)>;

// Works out which resources a request touches, for the auth plugin (PROTOCOL.md §9).
using ResourceResolver = std::function<std::vector<std::pair<std::string, AuthAction>>(
    const RemotingCommand& request, std::string_view body)>;

class RemotingServer : public FrameSink {
 public:
  explicit RemotingServer(std::string name);

  // Not thread-safe: register every handler before transports start.
  void Register(int32_t code, RequestHandler handler);
  // A handler refused on one listener (the broker's VIP port refuses PULL_MESSAGE).
  void RefuseOnListener(int32_t code, std::string listener);
  void SetAuthorizer(std::shared_ptr<Authorizer> auth, ResourceResolver resolver);
  // Called (on the session's io thread) when any session closes.
  void AddCloseListener(std::function<void(const std::shared_ptr<Session>&)> listener);

  // Sends a request we originate (e.g. NOTIFY_CONSUMER_IDS_CHANGED) on `session`.
  // Oneway only for now: responses to server-originated requests are not awaited.
  void SendOneway(const std::shared_ptr<Session>& session, RemotingCommand request);

  // FrameSink
  void OnOpen(const std::shared_ptr<Session>& session) override;
  void OnFrame(const std::shared_ptr<Session>& session, std::string_view frame) override;
  void OnClose(const std::shared_ptr<Session>& session, std::string_view why) override;

  size_t SessionCount() const;
  // Closes a session by id (no-op when gone). Thread-safe.
  void CloseSession(uint64_t id);

 private:
  bool Authorize(const Exchange& ex, const RemotingCommand& request, std::string_view body);

  std::string name_;
  std::shared_ptr<spdlog::logger> log_;
  std::unordered_map<int32_t, RequestHandler> handlers_;
  std::vector<std::pair<int32_t, std::string>> refused_;
  std::shared_ptr<Authorizer> auth_;
  ResourceResolver resolver_;
  std::vector<std::function<void(const std::shared_ptr<Session>&)>> close_listeners_;
  std::atomic<int32_t> next_opaque_{0};
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions_;
};

}  // namespace sprocket
