// The memory storage plugin's exports (abi.h): a manifest and a factory. A plugin needs
// nothing else to be found and loaded as <pluginDir>/storage_memory.so.
#include <charconv>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "memory_store.h"
#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/host.h"

namespace {

using sprocket::Result;
using sprocket::Status;

// Config keys this plugin reads besides the kernel's (flushDiskType, maxMessageSize): the
// broker's config check accepts them because they are listed here.
const char* const kOptionKeys[] = {"mappedFileSizeCommitLog", "mapedFileSizeCommitLog", nullptr};

// Reads an integer option into *out, leaving it alone when unset.
Status ReadInt(const sprocket::PluginHost& host, const char* key, int64_t min, int64_t* out) {
  std::optional<std::string> v = host.Option(key);
  if (!v) return Status::OK();
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < min)
    return Status::InvalidArgument(std::string(key) + "=" + *v +
                                   ": expected an integer >= " + std::to_string(min));
  *out = n;
  return Status::OK();
}

Result<std::unique_ptr<sprocket::MessageStore>> CreateMemoryStore(sprocket::PluginHost& host) {
  // No exception may cross the plugin boundary (status.h): catch everything here.
  try {
    // The honest answer to SYNC_FLUSH is no: an acknowledgement would promise a durability
    // this store cannot give.
    if (host.Option("flushDiskType").value_or("ASYNC_FLUSH") == "SYNC_FLUSH")
      return Status::InvalidArgument(
          "memory: flushDiskType=SYNC_FLUSH cannot be honoured: this store keeps messages in memory "
          "only and loses them on restart; use ASYNC_FLUSH or a persistent store (filelog, leveldb)");
    sprocket::memory::MemoryOptions o;
    int64_t max_message_size = 4 * 1024 * 1024;
    Status s = ReadInt(host, "maxMessageSize", 1, &max_message_size);
    // Both spellings RocketMQ has used; the newer one wins when both are set.
    if (s.ok()) s = ReadInt(host, "mapedFileSizeCommitLog", 4096, &o.unit_size);
    if (s.ok()) s = ReadInt(host, "mappedFileSizeCommitLog", 4096, &o.unit_size);
    if (!s.ok()) return s;
    o.max_record_size = max_message_size + 64 * 1024;
    return std::unique_ptr<sprocket::MessageStore>(std::make_unique<sprocket::memory::MemoryStore>(o));
  } catch (const std::exception& e) {
    return Status::IOError(std::string("memory: open failed: ") + e.what());
  }
}

}  // namespace

// name "memory" must match the file name storage_memory.so; the version is the plugin's own.
SPROCKET_PLUGIN(storage, "memory", "1.0.0", kOptionKeys, CreateMemoryStore)
