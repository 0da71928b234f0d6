// Named storage_wrongkind.so but declares itself a transport: the loader must refuse it when
// asked for storage "wrongkind", naming both kinds.
#include <memory>

#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/transport.h"

namespace {
sprocket::Result<std::unique_ptr<sprocket::Transport>> Create(sprocket::PluginHost&) {
  return sprocket::Status::NotSupported("test plugin: never created");
}
const char* const kKeys[] = {nullptr};
}  // namespace

SPROCKET_PLUGIN(transport, "wrongkind", "0.0.1", kKeys, Create)
