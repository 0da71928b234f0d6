// The leveldb storage plugin's exports: its manifest and factory (see abi.h).
#include "leveldb_store.h"
#include "options.h"
#include "sprocket/plugin/abi.h"

namespace {

sprocket::Result<std::unique_ptr<sprocket::MessageStore>> CreateLevelDbStore(sprocket::PluginHost& host) {
  // No exception may cross the plugin boundary.
  try {
    return sprocket::leveldb_store::LevelDbStore::Open(host);
  } catch (const std::exception& e) {
    return sprocket::Status::IOError(std::string("leveldb: open failed: ") + e.what());
  } catch (...) {
    return sprocket::Status::IOError("leveldb: open failed");
  }
}

const char* const* const kOptionKeys = sprocket::leveldb_store::kOptionKeys;

}  // namespace

SPROCKET_PLUGIN(storage, "leveldb", "0.1.0", kOptionKeys, CreateLevelDbStore)
