#include "server/server_runtime.h"

#include <csignal>
#include <thread>

#include "common/file_util.h"
#include "common/logging.h"

namespace sprocket {

std::vector<std::string> SplitList(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (true) {
    size_t pos = s.find(sep);
    std::string_view part = s.substr(0, pos);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

ServerRuntime::ServerRuntime(Config config, RuntimeSpec spec)
    : config_(std::move(config)), spec_(std::move(spec)), server_(spec_.program) {}

ServerRuntime::~ServerRuntime() { Shutdown(); }

Status ServerRuntime::Load() {
  // Keys every server program understands.
  for (const char* k : {"pluginDir", "transportPlugins", "bindAddress", "ioThreads", "listenPort"}) {
    spec_.keys.implemented.insert(k);
  }
  if (spec_.wants_auth) spec_.keys.implemented.insert("authPlugin");
  std::string plugin_dir = config_.GetString("pluginDir", PluginLoader::DefaultPluginDir());
  loader_ = std::make_unique<PluginLoader>(plugin_dir);

  auto transport_names = SplitList(config_.GetString("transportPlugins", spec_.default_transports), ',');
  if (transport_names.empty()) return Status::InvalidArgument("transportPlugins names no transport");
  std::string auth_name = config_.GetString("authPlugin", "none");
  std::string store_name = config_.GetString("storePlugin", "filelog");

  // Learn each plugin's own keys before checking the config, so that a plugin key is not
  // mistaken for a typo. A plugin that cannot be loaded fails here, naming its file.
  std::vector<std::pair<PluginKind, std::string>> wanted;
  for (auto& t : transport_names) wanted.emplace_back(PluginKind::kTransport, t);
  if (spec_.wants_auth) wanted.emplace_back(PluginKind::kAuth, auth_name);
  if (spec_.wants_storage) wanted.emplace_back(PluginKind::kStorage, store_name);
  for (auto& [kind, name] : wanted) {
    auto info = loader_->Inspect(kind, name);
    if (!info.ok()) return info.status();
    for (auto& k : info->option_keys) spec_.keys.implemented.insert(k);
  }
  std::vector<std::string> warnings;
  if (Status s = CheckKeys(config_, spec_.keys, &warnings); !s.ok()) return s;
  for (auto& w : warnings) GetLogger(spec_.program)->warn("{}", w);

  auto io_threads = config_.GetInt("ioThreads", std::max(1u, std::thread::hardware_concurrency()));
  if (!io_threads.ok()) return io_threads.status();
  if (Status s = CreateDirectories(spec_.data_dir); !s.ok()) return s;

  pool_ = std::make_unique<IoPool>(static_cast<size_t>(*io_threads));
  host_ = std::make_unique<ServerHost>(config_, spec_.derived_options, *pool_, spec_.data_dir,
                                       protocol::kDefaultMaxFrameBytes);
  pool_->Start();

  if (spec_.wants_storage) {
    auto store = loader_->CreateStorage(store_name, *host_);
    if (!store.ok()) return store.status();
    store_ = *store;
  }
  if (spec_.wants_auth) {
    auto auth = loader_->CreateAuth(auth_name, *host_);
    if (!auth.ok()) return auth.status();
    auth_ = *auth;
  }
  for (auto& name : transport_names) {
    auto t = loader_->CreateTransport(name, *host_);
    if (!t.ok()) return t.status();
    transports_.push_back(*t);
  }
  return Status::OK();
}

Status ServerRuntime::StartTransports() {
  for (auto& t : transports_) {
    if (Status s = t->Start(&server_); !s.ok()) return s;
  }
  transports_started_ = true;
  return Status::OK();
}

void ServerRuntime::StopTransports() {
  if (!transports_started_) return;
  transports_started_ = false;
  for (auto& t : transports_) t->Stop();
}

void ServerRuntime::Shutdown() {
  StopTransports();
  if (store_) {
    if (Status s = store_->Close(); !s.ok()) {
      GetLogger(spec_.program)->error("closing the store: {}", s.ToString());
    }
  }
  if (pool_) pool_->Stop();
  transports_.clear();
  auth_.reset();
  store_.reset();
}

std::vector<Endpoint> ServerRuntime::Endpoints() const {
  std::vector<Endpoint> all;
  for (auto& t : transports_)
    for (auto& e : t->BoundEndpoints()) all.push_back(e);
  return all;
}

uint16_t ServerRuntime::PortOf(std::string_view label) const {
  for (auto& e : Endpoints())
    if (e.label == label) return e.port;
  return 0;
}

void ServerRuntime::BlockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int ServerRuntime::WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace sprocket
