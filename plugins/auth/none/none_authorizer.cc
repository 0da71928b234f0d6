// auth/none: the authorizer that allows every request (authPlugin=none, the default).
//
// It is also the smallest complete plugin, so it doubles as the template for writing your
// own. A plugin is a shared object that:
//   1. includes only headers from sprocket/plugin/ (the ABI, see abi.h);
//   2. implements the interface of its kind (here Authorizer from auth.h);
//   3. provides a factory with that kind's signature (auth_factory_t) that reports failure
//      as a Status and never throws;
//   4. exports both with SPROCKET_PLUGIN, once, at global scope.
// Build it with sprocket_add_plugin(auth <name> <sources>) so that it lands in pluginDir as
// auth_<name>.so, and select it with authPlugin=<name> in broker.conf.
#include <memory>

#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/auth.h"
#include "sprocket/plugin/host.h"

namespace {

class AllowAll final : public sprocket::Authorizer {
 public:
  // Called from every io thread at once; a real plugin must be thread-safe and must not
  // block here (no I/O: load what you need in the factory, refresh it on a timer).
  sprocket::AuthDecision Check(const sprocket::AuthRequest& /*request*/) override {
    return sprocket::AuthDecision::Allow();
  }
};

// The factory runs once, when the broker starts. A real plugin reads its settings here
// with host.Option("myKey") (declare the keys in kOptionKeys below, or the broker rejects
// them as unknown), gets its logger with host.Logger("auth"), and returns
// Status::InvalidArgument with a clear message if the settings are wrong.
sprocket::Result<std::unique_ptr<sprocket::Authorizer>> CreateNoneAuthorizer(
    sprocket::PluginHost& /*host*/) {
  return std::unique_ptr<sprocket::Authorizer>(std::make_unique<AllowAll>());
}

// Config keys this plugin reads; `none` reads nothing. The list ends with nullptr.
const char* const kOptionKeys[] = {nullptr};

}  // namespace

// kind, name (must match the file name auth_none.so), plugin version, keys, factory.
SPROCKET_PLUGIN(auth, "none", "0.1.0", kOptionKeys, CreateNoneAuthorizer)
