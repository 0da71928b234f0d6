// PluginHost: the services the kernel lends to a plugin. Passed to every factory.
//
// A plugin never touches process-wide registries (spdlog's registry, signal handlers,
// global thread pools): it asks the host. The host outlives every plugin object it
// created, so a plugin may keep the reference it was given.
//
// Thread-safety: every method may be called from any thread.
//
// Part of the plugin ABI: see abi.h before changing anything here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}
namespace boost::asio {
class io_context;
}

namespace sprocket {

class PluginHost {
 public:
  virtual ~PluginHost() = default;

  // A named logger ("store", "tcp", ...). Lines carry the process's prefix and level.
  virtual std::shared_ptr<spdlog::logger> Logger(std::string_view subsystem) = 0;

  // The value of a config key from broker.conf / namesrv.conf, or nullopt when unset.
  // Kernel keys (storePathRootDir, flushDiskType, listenPort, maxMessageSize, ...) and the
  // plugin's own keys (declared in its manifest's option_keys) are both answered here.
  // A plugin applies its own default when nullopt comes back.
  virtual std::optional<std::string> Option(std::string_view key) const = 0;

  // The root data directory (storePathRootDir), already created. A storage plugin keeps
  // its files below it; the kernel keeps its JSON metadata under <root>/config/.
  virtual std::string DataDir() const = 0;

  // The kernel's I/O pool: IoThreads() io_contexts, each run by exactly one thread.
  // A transport spreads its sessions over them; everything a session does runs on the
  // io_context it was given. Valid from creation until the host is destroyed.
  virtual size_t IoThreads() const = 0;
  virtual boost::asio::io_context& IoContext(size_t index) = 0;

  // Largest frame a transport may accept, in bytes, counting the 4-byte length prefix
  // (RocketMQ's com.rocketmq.remoting.frameMaxLength, 16 MiB by default). A transport checks
  // the announced length against it before allocating anything.
  virtual size_t MaxFrameBytes() const = 0;

  // A new session id, unique across every transport of the process and never reused.
  // Transports take Session::Id() from here so the kernel can key sessions by id even with
  // several transports loaded.
  virtual uint64_t NewSessionId() = 0;
};

}  // namespace sprocket
