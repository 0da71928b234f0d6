// PluginLoader: see plugin_loader.h for the lookup rule and the refusal messages.
#include "plugin_host/plugin_loader.h"

#include <dlfcn.h>

#include <cstring>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

namespace sprocket {
namespace {

namespace dll = boost::dll;
namespace fs = std::filesystem;

constexpr const char* kManifestSymbol = "sprocket_plugin_manifest";

// A manifest lists a handful of keys; anything beyond this is a corrupt, unterminated list.
constexpr size_t kMaxOptionKeys = 1024;

// RTLD_NOW: a missing dependency or symbol is reported at load time with dlerror's text
// rather than as a crash on first call.
const dll::load_mode::type kLoadMode = dll::load_mode::rtld_now | dll::load_mode::rtld_local;

// Once a plugin creates an object, its library is never unmapped. The object's deleter holds
// a reference (the contract in abi.h), but plugin code also ends up in objects the host owns
// and destroys later: Boost.Asio services a transport registers in the host's io_contexts
// (their vtables live in the plugin), thread-local destructors. Refused libraries, and those
// only inspected, are still unloaded normally.
void PinLoaded(const std::string& path) {
  if (void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE)) ::dlclose(h);
}

// Status has no constructor taking a code, so rebuild one with extra context.
Status WithPrefix(const Status& s, const std::string& prefix) {
  std::string m = prefix + s.message();
  switch (s.code()) {
    case Status::Code::kOk: return Status::OK();
    case Status::Code::kNotFound: return Status::NotFound(std::move(m));
    case Status::Code::kCorruption: return Status::Corruption(std::move(m));
    case Status::Code::kIOError: return Status::IOError(std::move(m));
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(std::move(m));
    case Status::Code::kNotSupported: return Status::NotSupported(std::move(m));
    case Status::Code::kTimeout: return Status::Timeout(std::move(m));
    case Status::Code::kBusy: return Status::Busy(std::move(m));
    case Status::Code::kAborted: return Status::Aborted(std::move(m));
    case Status::Code::kMessageIllegal: return Status::MessageIllegal(std::move(m));
  }
  return Status::InvalidArgument(std::move(m));
}

// Names become file names, so they must not be able to leave the plugin directory.
bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool KnownKind(uint32_t raw) {
  return raw == static_cast<uint32_t>(PluginKind::kStorage) ||
         raw == static_cast<uint32_t>(PluginKind::kTransport) ||
         raw == static_cast<uint32_t>(PluginKind::kAuth);
}

// A library whose manifest passed every check.
struct CheckedPlugin {
  dll::shared_library lib;
  PluginInfo info;
};

Status Refuse(const std::string& path, const std::string& why) {
  return Status::InvalidArgument("plugin " + path + ": " + why);
}

// Opens `path` and checks its manifest against what the config asked for. The order of the
// checks matters: until abi_version matches, nothing but that first field may be read,
// since a plugin built against another ABI may have a different manifest layout.
Result<CheckedPlugin> OpenChecked(const std::string& path, PluginKind kind,
                                  std::string_view name) {
  std::error_code fec;
  if (!fs::exists(path, fec)) return Refuse(path, "file not found");
  if (!fs::is_regular_file(path, fec)) return Refuse(path, "not a regular file");

  CheckedPlugin out;
  std::error_code ec;
  ::dlerror();  // clear any stale error so the text below is this load's
  out.lib.load(path, ec, kLoadMode);
  if (ec || !out.lib.is_loaded()) {
    // Boost.DLL keeps only a generic error code; dlerror() still holds the loader's reason
    // (missing dependency, bad ELF, undefined symbol) because Boost does not reset it on
    // the failure path.
    const char* err = ::dlerror();
    return Status::IOError("plugin " + path + ": cannot load: " +
                           (err != nullptr ? std::string(err) : ec.message()));
  }

  if (!out.lib.has(kManifestSymbol)) {
    return Refuse(path, std::string("not a Sprocket plugin (no ") + kManifestSymbol +
                            " symbol)");
  }
  const uint32_t abi = out.lib.get_alias<const uint32_t>(kManifestSymbol);
  if (abi != kPluginAbiVersion) {
    return Refuse(path, "plugin ABI version " + std::to_string(abi) + ", this host speaks " +
                            std::to_string(kPluginAbiVersion));
  }

  // Same ABI: the whole struct has the layout we know.
  const PluginManifest& m = out.lib.get_alias<const PluginManifest>(kManifestSymbol);
  const auto raw_kind = static_cast<uint32_t>(m.kind);
  if (!KnownKind(raw_kind)) {
    return Refuse(path, "manifest kind " + std::to_string(raw_kind) + " is unknown, " +
                            PluginKindName(kind) + " was asked for");
  }
  if (m.kind != kind) {
    return Refuse(path, std::string("is a ") + PluginKindName(m.kind) + " plugin, " +
                            PluginKindName(kind) + " was asked for");
  }
  if (m.name == nullptr) return Refuse(path, "manifest has no name");
  if (std::string_view(m.name) != name) {
    return Refuse(path, "manifest names \"" + std::string(m.name) + "\", file is named for \"" +
                            std::string(name) + "\"");
  }

  out.info.path = path;
  out.info.kind = m.kind;
  out.info.name = m.name;
  out.info.version = m.version != nullptr ? m.version : "";
  out.info.abi_version = abi;
  if (m.option_keys != nullptr) {
    for (size_t i = 0; m.option_keys[i] != nullptr; ++i) {
      if (i == kMaxOptionKeys) return Refuse(path, "manifest option_keys is not terminated");
      out.info.option_keys.emplace_back(m.option_keys[i]);
    }
  }
  return out;
}

template <typename T>
struct FactoryOf;
template <>
struct FactoryOf<MessageStore> {
  using type = storage_factory_t;
  static constexpr PluginKind kKind = PluginKind::kStorage;
};
template <>
struct FactoryOf<Transport> {
  using type = transport_factory_t;
  static constexpr PluginKind kKind = PluginKind::kTransport;
};
template <>
struct FactoryOf<Authorizer> {
  using type = auth_factory_t;
  static constexpr PluginKind kKind = PluginKind::kAuth;
};

// Checks the plugin, calls its factory and ties the object's lifetime to the library.
template <typename T>
Result<std::shared_ptr<T>> Create(const PluginLoader& loader, std::string_view name,
                                  PluginHost& host) {
  using Factory = typename FactoryOf<T>::type;
  constexpr PluginKind kind = FactoryOf<T>::kKind;
  std::string path = loader.PathFor(kind, name);
  try {
    if (!ValidName(name)) {
      return Refuse(path, "invalid plugin name (use letters, digits, '_' and '-')");
    }
    Result<CheckedPlugin> checked = OpenChecked(path, kind, name);
    if (!checked.ok()) return checked.status();
    dll::shared_library& lib = checked->lib;

    const std::string symbol = std::string("sprocket_create_") + PluginKindName(kind);
    if (!lib.has(symbol)) return Refuse(path, "no " + symbol + " symbol");
    Factory* factory = lib.get_alias<Factory*>(symbol);
    if (factory == nullptr) return Refuse(path, symbol + " is null");
    PinLoaded(path);

    Result<std::unique_ptr<T>> made = factory(host);
    if (!made.ok()) return WithPrefix(made.status(), "plugin " + path + ": ");
    if (made.value() == nullptr) return Refuse(path, "factory returned no object");

    // The deleter owns a reference to the library and runs `delete` (the plugin's
    // destructor) before that reference is dropped, so the code outlives the object.
    // If the shared_ptr constructor itself throws, it deletes the object with this deleter.
    return std::shared_ptr<T>(made.value().release(), [lib](T* object) { delete object; });
  } catch (const std::exception& e) {
    return Status::IOError("plugin " + path + ": " + e.what());
  } catch (...) {
    return Status::IOError("plugin " + path + ": unknown exception");
  }
}

}  // namespace

PluginLoader::PluginLoader(std::string plugin_dir) : dir_(std::move(plugin_dir)) {}

std::string PluginLoader::DefaultPluginDir() {
  try {
    std::error_code ec;
    fs::path exe = dll::program_location(ec);  // reads /proc/self/exe
    if (ec || exe.empty()) return "lib/sprocket";
    return (exe.parent_path() / ".." / "lib" / "sprocket").lexically_normal().string();
  } catch (...) {
    return "lib/sprocket";
  }
}

std::string PluginLoader::PathFor(PluginKind kind, std::string_view name) const {
  std::string file = std::string(PluginKindName(kind)) + "_" + std::string(name) + ".so";
  return (fs::path(dir_) / file).string();
}

Result<PluginInfo> PluginLoader::Inspect(PluginKind kind, std::string_view name) const {
  std::string path = PathFor(kind, name);
  try {
    if (!ValidName(name)) {
      return Refuse(path, "invalid plugin name (use letters, digits, '_' and '-')");
    }
    Result<CheckedPlugin> checked = OpenChecked(path, kind, name);
    if (!checked.ok()) return checked.status();
    return std::move(checked->info);
  } catch (const std::exception& e) {
    return Status::IOError("plugin " + path + ": " + e.what());
  } catch (...) {
    return Status::IOError("plugin " + path + ": unknown exception");
  }
}

Result<std::shared_ptr<MessageStore>> PluginLoader::CreateStorage(std::string_view name,
                                                                  PluginHost& host) const {
  return Create<MessageStore>(*this, name, host);
}

Result<std::shared_ptr<Transport>> PluginLoader::CreateTransport(std::string_view name,
                                                                 PluginHost& host) const {
  return Create<Transport>(*this, name, host);
}

Result<std::shared_ptr<Authorizer>> PluginLoader::CreateAuth(std::string_view name,
                                                             PluginHost& host) const {
  return Create<Authorizer>(*this, name, host);
}

}  // namespace sprocket
