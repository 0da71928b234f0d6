// Its factory fails the way a real plugin fails on bad settings: with a Status. The loader
// must pass the code through and add the file name.
#include <memory>

#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/storage.h"

namespace {
sprocket::Result<std::unique_ptr<sprocket::MessageStore>> Create(sprocket::PluginHost&) {
  return sprocket::Status::IOError("cannot open /nonexistent/store: No such file or directory");
}
const char* const kKeys[] = {nullptr};
}  // namespace

SPROCKET_PLUGIN(storage, "failing", "0.0.1", kKeys, Create)
