// Built against "another" plugin ABI: abi_version is kPluginAbiVersion+100 and the rest of the
// manifest has a layout this host does not know (no valid pointers at all). The loader must
// read abi_version only, refuse with both versions, and never touch the rest.
#include <cstdint>
#include <memory>

#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/storage.h"

namespace {

struct FutureManifest {
  uint32_t abi_version;
  uint32_t flags;
  uint64_t poison[4];  // read as kind/name pointers by a careless host: it would crash
};

const FutureManifest future_manifest = {
    ::sprocket::kPluginAbiVersion + 100,
    0xFFFFFFFFu,
    {0xDEADBEEFDEADBEEFull, 0xDEADBEEFDEADBEEFull, 0xDEADBEEFDEADBEEFull, 0xDEADBEEFDEADBEEFull}};

sprocket::Result<std::unique_ptr<sprocket::MessageStore>> Create(sprocket::PluginHost&) {
  return sprocket::Status::NotSupported("test plugin: never created");
}
sprocket::storage_factory_t* const factory = &Create;

}  // namespace

BOOST_DLL_ALIAS(future_manifest, sprocket_plugin_manifest)
BOOST_DLL_ALIAS(factory, sprocket_create_storage)
