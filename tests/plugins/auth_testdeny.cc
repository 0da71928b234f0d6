// auth/testdeny: an authorizer for tests. Denies publishing to topics named "Forbidden*"
// and every request whose AccessKey is "bad"; allows the rest. It proves that the broker
// asks the auth plugin before a handler runs, with the resources of the request, and
// answers a denial the way RocketMQ does.
#include <memory>
#include <string>

#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/auth.h"
#include "sprocket/plugin/host.h"

namespace {

class DenySome final : public sprocket::Authorizer {
 public:
  sprocket::AuthDecision Check(const sprocket::AuthRequest& request) override {
    if (request.access_key == "bad") return sprocket::AuthDecision::Deny("No acl config for bad");
    for (const auto& r : request.resources) {
      if (r.action == sprocket::AuthAction::kPub && r.name.rfind("Forbidden", 0) == 0) {
        return sprocket::AuthDecision::Deny("No permission to publish to " + std::string(r.name));
      }
    }
    return sprocket::AuthDecision::Allow();
  }
};

sprocket::Result<std::unique_ptr<sprocket::Authorizer>> Create(sprocket::PluginHost&) {
  return std::unique_ptr<sprocket::Authorizer>(std::make_unique<DenySome>());
}

const char* const kOptionKeys[] = {nullptr};

}  // namespace

SPROCKET_PLUGIN(auth, "testdeny", "0.1.0", kOptionKeys, Create)
