// Breaks the contract: its factory throws. The loader must not let the exception escape.
#include <memory>
#include <stdexcept>

#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/storage.h"

namespace {
sprocket::Result<std::unique_ptr<sprocket::MessageStore>> Create(sprocket::PluginHost&) {
  throw std::runtime_error("factory exploded");
}
const char* const kKeys[] = {nullptr};
}  // namespace

SPROCKET_PLUGIN(storage, "throwing", "0.0.1", kKeys, Create)
