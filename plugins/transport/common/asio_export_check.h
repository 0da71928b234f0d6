// Whether the host program shares Boost.Asio's per-thread state with plugins.
//
// A transport plugin carries its own copy of Asio's (and Beast's) header-only code but runs
// it inside the host's io_context::run(). Asio records the io_context a thread is running in
// a thread-local call stack; the plugin's code only sees the host's entries if the executable
// exports its copy of that variable (linked with -rdynamic, CMake ENABLE_EXPORTS). Otherwise
// the first socket event crashes deep inside asio. This is a property of the whole process,
// so one probe that runs settles it. Header-only, like session_registry.h.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/logger.h>

#include "sprocket/plugin/host.h"
#include "sprocket/plugin/status.h"

namespace sprocket::transport_common {

// True when called on a thread running `ctx` and the plugin can tell (exports shared).
inline bool AsioIsShared(boost::asio::io_context& ctx) {
  return ctx.get_executor().running_in_this_thread();
}

inline std::string AsioNotSharedMessage(const std::string& plugin) {
  return plugin +
         ": this program does not share Boost.Asio's thread state with plugins (its io threads "
         "are invisible to the plugin); link it with -rdynamic (CMake ENABLE_EXPORTS ON)";
}

// Probes every io_context at once and waits up to 2 s: NotSupported when a probe ran and
// could not see its io_context. Probes that do not run in time (io threads not started
// yet) leave the question to the accept loop, which must check AsioIsShared again.
inline Status CheckAsioIsShared(PluginHost& host, spdlog::logger& log, const std::string& plugin) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::vector<std::future<bool>> probes;
  for (size_t i = 0; i < host.IoThreads(); ++i) {
    boost::asio::io_context& ctx = host.IoContext(i);
    auto seen = std::make_shared<std::promise<bool>>();
    probes.push_back(seen->get_future());
    boost::asio::post(ctx, [&ctx, seen] { seen->set_value(AsioIsShared(ctx)); });
  }
  for (auto& probe : probes) {
    if (probe.wait_until(deadline) != std::future_status::ready) continue;
    if (!probe.get()) return Status::NotSupported(AsioNotSharedMessage(plugin));
    return Status::OK();
  }
  log.warn("{}: no io thread ran a probe within 2 s; checking when accepting starts", plugin);
  return Status::OK();
}

}  // namespace sprocket::transport_common
