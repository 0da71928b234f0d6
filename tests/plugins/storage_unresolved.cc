// Calls a function no library defines. Linking a module leaves it undefined; the loader
// opens with RTLD_NOW, so dlopen fails and its dlerror text must reach the message.
#include <memory>

#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/storage.h"

extern "C" int sprocket_test_symbol_that_does_not_exist();

namespace {
sprocket::Result<std::unique_ptr<sprocket::MessageStore>> Create(sprocket::PluginHost&) {
  return sprocket::Status::NotSupported("answer " +
                                        std::to_string(sprocket_test_symbol_that_does_not_exist()));
}
const char* const kKeys[] = {nullptr};
}  // namespace

SPROCKET_PLUGIN(storage, "unresolved", "0.0.1", kKeys, Create)
