#include "server/remoting_server.h"

#include <algorithm>
#include <exception>

#include "common/logging.h"
#include "sprocket/protocol/codes.h"

namespace sprocket {

using protocol::ResponseCode::kRequestCodeNotSupported;
using protocol::ResponseCode::kSystemError;

void Exchange::Prepare(RemotingCommand& response) const {
  response.opaque = opaque_;
  response.flag = protocol::kFlagResponse;
  response.serialize_type = serialize_type_;
  response.version = protocol::kSprocketVersion;
  response.language = protocol::LanguageCode::kJava;
}

void Exchange::Reply(RemotingCommand response, std::string_view body) const {
  if (oneway_) return;
  Prepare(response);
  std::string frame;
  if (body.empty()) {
    protocol::EncodeFrame(response, &frame);
  } else {
    protocol::EncodeFrame(response, body, &frame);
  }
  session_->Send(std::move(frame));
}

void Exchange::ReplyParts(RemotingCommand response, std::span<const ByteView> parts,
                          std::shared_ptr<const void> hold) const {
  if (oneway_) return;
  Prepare(response);
  size_t body_size = 0;
  for (const auto& p : parts) body_size += p.size;
  // Encode the header with an empty body, then make the length prefix cover the parts.
  // The transport writes the parts from where they are (SendParts): a pull response goes
  // out of the store's mapped segment without being copied into a frame.
  std::string head;
  protocol::EncodeFrame(response, std::string_view(), &head);
  protocol::ExtendFrameLength(&head, body_size);
  session_->SendParts(std::move(head), parts, std::move(hold));
}

void Exchange::ReplyCode(int32_t code, std::string remark) const {
  RemotingCommand response;
  response.code = code;
  if (!remark.empty()) response.remark = std::move(remark);
  Reply(std::move(response));
}

RemotingServer::RemotingServer(std::string name) : name_(std::move(name)), log_(GetLogger("remoting")) {}

void RemotingServer::Register(int32_t code, RequestHandler handler) {
  handlers_[code] = std::move(handler);
}

void RemotingServer::RefuseOnListener(int32_t code, std::string listener) {
  refused_.emplace_back(code, std::move(listener));
}

void RemotingServer::SetAuthorizer(std::shared_ptr<Authorizer> auth, ResourceResolver resolver) {
  auth_ = std::move(auth);
  resolver_ = std::move(resolver);
}

void RemotingServer::AddCloseListener(std::function<void(const std::shared_ptr<Session>&)> listener) {
  close_listeners_.push_back(std::move(listener));
}

void RemotingServer::SendOneway(const std::shared_ptr<Session>& session, RemotingCommand request) {
  request.flag = protocol::kFlagOneway;
  request.opaque = next_opaque_.fetch_add(1, std::memory_order_relaxed);
  request.version = protocol::kSprocketVersion;
  request.language = protocol::LanguageCode::kJava;
  // Third-party clients read only JSON headers (PROTOCOL.md §1.1).
  request.serialize_type = protocol::SerializeType::kJson;
  session->Send(protocol::EncodeFrame(request));
}

void RemotingServer::OnOpen(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mu_);
  sessions_[session->Id()] = session;
}

void RemotingServer::OnClose(const std::shared_ptr<Session>& session, std::string_view why) {
  {
    std::lock_guard lock(mu_);
    sessions_.erase(session->Id());
  }
  log_->debug("{}: session {} from {} closed: {}", name_, session->Id(), session->Peer(), why);
  for (auto& listener : close_listeners_) listener(session);
}

size_t RemotingServer::SessionCount() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

void RemotingServer::CloseSession(uint64_t id) {
  std::shared_ptr<Session> s;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(id);
    if (it != sessions_.end()) s = it->second.lock();
  }
  if (s) s->Close();
}

bool RemotingServer::Authorize(const Exchange& ex, const RemotingCommand& request, std::string_view body) {
  if (!auth_) return true;
  std::vector<std::pair<std::string, AuthAction>> owned;
  if (resolver_) owned = resolver_(request, body);
  std::vector<AuthResource> resources;
  resources.reserve(owned.size());
  for (auto& [name, action] : owned) resources.push_back({name, action});
  AuthRequest ar;
  ar.code = request.code;
  ar.peer = ex.session()->Peer();
  ar.access_key = request.ext.Get("AccessKey");
  ar.signature = request.ext.Get("Signature");
  std::vector<std::pair<std::string_view, std::string_view>> signed_fields;
  if (!ar.access_key.empty()) {
    for (const auto& [k, v] : request.ext)
      if (k != "Signature") signed_fields.emplace_back(k, v);
    std::sort(signed_fields.begin(), signed_fields.end());
  }
  ar.signed_fields = signed_fields;
  ar.body = body;
  ar.resources = resources;
  AuthDecision d = auth_->Check(ar);
  if (d.verdict == AuthDecision::Verdict::kDeny) {
    // RocketMQ answers an ACL failure with SYSTEM_ERROR and the AclException text (§9).
    ex.ReplyCode(kSystemError, "org.apache.rocketmq.acl.common.AclException: " + d.reason);
    return false;
  }
  return true;
}

void RemotingServer::OnFrame(const std::shared_ptr<Session>& session, std::string_view frame) {
  // One command per thread, decoded into again and again: its extFields keep their string
  // buffers, so decoding a request allocates nothing once warm. Handlers get it by
  // reference for the call only (they copy what a deferred answer needs). A nested call
  // (not expected from any transport) gets a fresh one.
  thread_local RemotingCommand reused;
  thread_local bool reused_busy = false;
  RemotingCommand fresh;
  RemotingCommand& request = reused_busy ? fresh : reused;
  struct BusyMark {
    bool* flag;
    bool was;
    ~BusyMark() { *flag = was; }
  } mark{&reused_busy, reused_busy};
  reused_busy = true;
  std::string_view body;
  Status s = protocol::DecodeHeader(frame, &request, &body);
  if (!s.ok()) {
    // Like Netty's decoder failing: the peer is speaking something else; drop it.
    log_->warn("{}: closing {}: undecodable frame ({} bytes): {}", name_, session->Peer(),
               frame.size(), s.ToString());
    session->Close();
    return;
  }
  if (request.IsResponse()) {
    log_->debug("{}: dropping response opaque={} from {}: no request of ours awaits it", name_,
                request.opaque, session->Peer());
    return;
  }
  Exchange ex(session, request);
  auto it = handlers_.find(request.code);
  bool refused = std::any_of(refused_.begin(), refused_.end(), [&](const auto& r) {
    return r.first == request.code && r.second == session->Listener();
  });
  if (it == handlers_.end() || refused) {
    ex.ReplyCode(kRequestCodeNotSupported,
                 " request type " + std::to_string(request.code) + " not supported");
    return;
  }
  try {
    if (!Authorize(ex, request, body)) return;
    it->second(ex, request, body);
  } catch (const std::exception& e) {
    log_->error("{}: handler for code {} from {} failed: {}", name_, request.code, session->Peer(), e.what());
    ex.ReplyCode(kSystemError, std::string(e.what()));
  }
}

}  // namespace sprocket
