// PluginLoader: finds, checks and instantiates plugins with Boost.DLL.
//
// One rule finds a plugin: <pluginDir>/<kind>_<name>.so, e.g. lib/sprocket/storage_filelog.so.
// The default pluginDir is <directory of the running executable>/../lib/sprocket, which is
// right both in the build tree and in an install.
//
// Every refusal is one line naming the file and the reason, e.g.
//   plugin /opt/sprocket/lib/sprocket/storage_foo.so: file not found
//   plugin .../transport_tcp.so: is a transport plugin, storage was asked for
//   plugin .../storage_old.so: plugin ABI version 0, this host speaks 1
//   plugin .../storage_x.so: manifest names "y", file is named for "x"
//   plugin .../storage_x.so: cannot load: <dlerror text>
// and is returned as Status::InvalidArgument (IOError when dlopen fails or a factory throws;
// a factory's own error Status keeps its code and gains the "plugin <path>: " prefix).
// Names are letters, digits, '_' and '-' only, so a name cannot point outside pluginDir.
//
// Libraries are opened RTLD_NOW, so a missing dependency fails at load. Once a factory is
// called, its library is pinned (RTLD_NODELETE) and never unmapped: plugin code ends up in
// host-owned objects such as Asio services registered in the host's io_contexts. A program that loads plugins must be linked with
// ENABLE_EXPORTS (-rdynamic) so that plugins share its Boost.Asio thread-local state; see
// plugins/transport/tcp/README.md.
//
// Thread-safety: all methods are const after construction and may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/auth.h"
#include "sprocket/plugin/host.h"
#include "sprocket/plugin/status.h"
#include "sprocket/plugin/storage.h"
#include "sprocket/plugin/transport.h"

namespace sprocket {

// A copy of a plugin's manifest, safe to keep after the library is gone.
struct PluginInfo {
  std::string path;
  PluginKind kind = PluginKind::kStorage;
  std::string name;
  std::string version;
  uint32_t abi_version = 0;
  std::vector<std::string> option_keys;
};

class PluginLoader {
 public:
  explicit PluginLoader(std::string plugin_dir);

  // <dir of /proc/self/exe>/../lib/sprocket
  static std::string DefaultPluginDir();

  const std::string& plugin_dir() const { return dir_; }
  std::string PathFor(PluginKind kind, std::string_view name) const;

  // Loads the library and checks its manifest (ABI version, kind, name) without creating
  // anything. Used to learn option_keys before the config is validated.
  Result<PluginInfo> Inspect(PluginKind kind, std::string_view name) const;

  // Inspect, then call the factory. The returned object keeps its library loaded.
  Result<std::shared_ptr<MessageStore>> CreateStorage(std::string_view name, PluginHost& host) const;
  Result<std::shared_ptr<Transport>> CreateTransport(std::string_view name, PluginHost& host) const;
  Result<std::shared_ptr<Authorizer>> CreateAuth(std::string_view name, PluginHost& host) const;

 private:
  std::string dir_;
};

}  // namespace sprocket
