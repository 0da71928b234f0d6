// The file is storage_misnamed.so but the manifest says "something_else".
#include <memory>

#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/storage.h"

namespace {
sprocket::Result<std::unique_ptr<sprocket::MessageStore>> Create(sprocket::PluginHost&) {
  return sprocket::Status::NotSupported("test plugin: never created");
}
const char* const kKeys[] = {nullptr};
}  // namespace

SPROCKET_PLUGIN(storage, "something_else", "0.0.1", kKeys, Create)
