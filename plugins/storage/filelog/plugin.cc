// The filelog storage plugin's exports: its manifest and factory (see abi.h).
#include "filelog_store.h"
#include "options.h"
#include "sprocket/plugin/abi.h"

namespace {

sprocket::Result<std::unique_ptr<sprocket::MessageStore>> CreateFileLogStore(sprocket::PluginHost& host) {
  // No exception may cross the plugin boundary.
  try {
    return sprocket::filelog::FileLogStore::Open(host);
  } catch (const std::exception& e) {
    return sprocket::Status::IOError(std::string("filelog: open failed: ") + e.what());
  } catch (...) {
    return sprocket::Status::IOError("filelog: open failed");
  }
}

const char* const* const kOptionKeys = sprocket::filelog::kOptionKeys;

}  // namespace

SPROCKET_PLUGIN(storage, "filelog", "0.1.0", kOptionKeys, CreateFileLogStore)
