#include "support/test_plugin_host.h"

#include <atomic>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace sprocket::testing {

namespace asio = boost::asio;
using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

struct TestPluginHost::Impl {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<WorkGuard> guards;
  std::vector<std::thread> threads;

  mutable std::mutex mu;  // guards everything below
  std::map<std::string, std::string> options;
  size_t max_frame_bytes = 16 * 1024 * 1024;
  mutable std::string data_dir;
  mutable bool own_data_dir = false;
  std::shared_ptr<spdlog::sinks::sink> sink;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

TestPluginHost::TestPluginHost(size_t io_threads, std::map<std::string, std::string> options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  if (io_threads == 0) io_threads = 1;
  for (size_t i = 0; i < io_threads; ++i) {
    // Concurrency hint 1: each io_context is run by exactly one thread, as in the kernel.
    impl_->contexts.push_back(std::make_unique<asio::io_context>(1));
    impl_->guards.emplace_back(impl_->contexts.back()->get_executor());
  }
  for (size_t i = 0; i < io_threads; ++i) {
    impl_->threads.emplace_back([ctx = impl_->contexts[i].get()] { ctx->run(); });
  }
}

TestPluginHost::~TestPluginHost() {
  for (auto& g : impl_->guards) g.reset();
  for (auto& c : impl_->contexts) c->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->contexts.clear();  // destroys pending handlers while the rest is still alive
  if (impl_->own_data_dir) {
    std::error_code ec;
    std::filesystem::remove_all(impl_->data_dir, ec);
  }
}

void TestPluginHost::SetOption(const std::string& key, std::string value) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options[key] = std::move(value);
}

void TestPluginHost::ClearOption(const std::string& key) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options.erase(key);
}

void TestPluginHost::SetMaxFrameBytes(size_t bytes) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->max_frame_bytes = bytes;
}

void TestPluginHost::SetDataDir(std::string dir) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->data_dir = std::move(dir);
  impl_->own_data_dir = false;
}

std::shared_ptr<spdlog::logger> TestPluginHost::Logger(std::string_view subsystem) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->loggers.find(subsystem);
  if (it != impl_->loggers.end()) return it->second;
  // Not registered with spdlog's registry: plugins must not depend on it (DESIGN.md §2.1).
  auto logger = std::make_shared<spdlog::logger>(std::string(subsystem), impl_->sink);
  const char* level = std::getenv("SPROCKET_TEST_LOG");
  logger->set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::warn);
  impl_->loggers.emplace(std::string(subsystem), logger);
  return logger;
}

std::optional<std::string> TestPluginHost::Option(std::string_view key) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->options.find(std::string(key));
  if (it == impl_->options.end()) return std::nullopt;
  return it->second;
}

std::string TestPluginHost::DataDir() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->data_dir.empty()) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "sprocket-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl);
    impl_->data_dir = tmpl;
    impl_->own_data_dir = true;
  }
  return impl_->data_dir;
}

size_t TestPluginHost::IoThreads() const { return impl_->contexts.size(); }

boost::asio::io_context& TestPluginHost::IoContext(size_t index) {
  return *impl_->contexts.at(index);
}

uint64_t TestPluginHost::NewSessionId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

size_t TestPluginHost::MaxFrameBytes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->max_frame_bytes;
}

}  // namespace sprocket::testing
