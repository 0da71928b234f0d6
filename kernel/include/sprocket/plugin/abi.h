// The plugin ABI: what a shared object must export to be loaded as a Sprocket plugin.
//
// The ABI is the set of headers in this folder (abi.h, status.h, types.h, host.h,
// storage.h, transport.h, auth.h). They are the only kernel headers a plugin includes.
// kPluginAbiVersion names one exact state of them: any change to those headers that can
// alter layout or meaning bumps it. tests/unit/plugin_abi_guard_test.cc hashes the headers
// and fails when they change without a bump, so the bump cannot be forgotten.
//
// Every plugin exports two symbols (SPROCKET_PLUGIN does both):
//   sprocket_plugin_manifest  - a PluginManifest, read before anything else is called;
//   sprocket_create_<kind>    - the factory for its kind (storage, transport, auth).
// The host checks the manifest's abi_version, kind and name against what the config asked
// for and refuses a mismatch with one line naming the file and both values.
//
// Ownership: the host keeps the library loaded for as long as any object it created lives
// (the object's deleter holds a reference to the library). Factories and every virtual
// call across the boundary are noexcept in spirit: errors are returned as Status.
#pragma once

#include <cstdint>

#include <boost/dll/alias.hpp>

namespace sprocket {

// Bumped on every change to the headers listed above. See the guard test.
inline constexpr uint32_t kPluginAbiVersion = 3;

enum class PluginKind : uint32_t { kStorage = 1, kTransport = 2, kAuth = 3 };

inline const char* PluginKindName(PluginKind k) {
  switch (k) {
    case PluginKind::kStorage: return "storage";
    case PluginKind::kTransport: return "transport";
    case PluginKind::kAuth: return "auth";
  }
  return "unknown";
}

// The first field is abi_version and stays first forever, so that a host can read it from
// a plugin built against any other version and refuse it cleanly.
struct PluginManifest {
  uint32_t abi_version;
  PluginKind kind;
  const char* name;     // "filelog", "tcp", "none": must equal the file name's <name>
  const char* version;  // the plugin's own version, free-form ("0.1.0")
  // Config keys this plugin reads through PluginHost::Option, NULL-terminated (may be just
  // {nullptr}). The broker's config check accepts them; any other unknown key is an error.
  const char* const* option_keys;
};

}  // namespace sprocket

// SPROCKET_PLUGIN(kind_token, Name, Version, OptionKeys, Factory)
//   kind_token: storage | transport | auth
//   Factory:    a free function with the signature of that kind's factory
//               (storage_factory_t in storage.h, transport_factory_t, auth_factory_t).
// Use it once, at namespace scope (outside any namespace), in one .cc file of the plugin.
// Both symbols are exported with BOOST_DLL_ALIAS; the host reads them with get_alias.
#define SPROCKET_PLUGIN_KIND_storage ::sprocket::PluginKind::kStorage
#define SPROCKET_PLUGIN_KIND_transport ::sprocket::PluginKind::kTransport
#define SPROCKET_PLUGIN_KIND_auth ::sprocket::PluginKind::kAuth

#define SPROCKET_PLUGIN(kind_token, Name, Version, OptionKeys, Factory)                   \
  namespace sprocket_plugin_exports {                                                     \
  const ::sprocket::PluginManifest manifest = {::sprocket::kPluginAbiVersion,             \
                                               SPROCKET_PLUGIN_KIND_##kind_token, Name,   \
                                               Version, OptionKeys};                      \
  ::sprocket::kind_token##_factory_t* const factory = &Factory;                           \
  }                                                                                       \
  BOOST_DLL_ALIAS(sprocket_plugin_exports::manifest, sprocket_plugin_manifest)            \
  BOOST_DLL_ALIAS(sprocket_plugin_exports::factory, sprocket_create_##kind_token)
