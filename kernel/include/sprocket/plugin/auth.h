// Auth plugins decide whether a request may run. The kernel works out the resource and
// action of each request (PROTOCOL.md §9) and asks the configured plugin before the
// handler runs. `none` allows everything; `acl` implements RocketMQ's plain_acl.yml.
//
// Decisions follow mosquitto's plugin model: Allow, Deny(reason) or Abstain ("not mine to
// judge"). The kernel treats Abstain as Allow when only one plugin is configured.
//
// Thread-safety: Check may be called from every io thread at once; it must not block.
//
// Part of the plugin ABI: see abi.h before changing anything here.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "sprocket/plugin/status.h"

namespace sprocket {

class PluginHost;

enum class AuthAction : uint8_t { kNone = 0, kPub = 1, kSub = 2, kAdmin = 3 };

struct AuthResource {
  std::string_view name;    // a topic, or "%RETRY%<group>" for a group
  AuthAction action = AuthAction::kNone;
};

struct AuthRequest {
  int32_t code = 0;                        // RocketMQ request code
  std::string_view peer;                   // "ip:port"
  std::string_view access_key;             // extFields AccessKey, empty if absent
  std::string_view signature;              // extFields Signature, empty if absent
  // Every extField except Signature, sorted by key (RocketMQ signs the values in key order
  // followed by the body).
  std::span<const std::pair<std::string_view, std::string_view>> signed_fields;
  std::string_view body;
  std::span<const AuthResource> resources;  // what this request touches
};

struct AuthDecision {
  enum class Verdict : uint8_t { kAllow, kDeny, kAbstain };
  Verdict verdict = Verdict::kAbstain;
  std::string reason;  // for kDeny: sent to the client as the error remark
  static AuthDecision Allow() { return {Verdict::kAllow, {}}; }
  static AuthDecision Abstain() { return {Verdict::kAbstain, {}}; }
  static AuthDecision Deny(std::string why) { return {Verdict::kDeny, std::move(why)}; }
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual AuthDecision Check(const AuthRequest& request) = 0;
};

using auth_factory_t = Result<std::unique_ptr<Authorizer>>(PluginHost& host);

}  // namespace sprocket
