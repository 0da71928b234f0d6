// TestPluginHost: a PluginHost for tests of plugins (transports, stores, auth).
//
// It runs `io_threads` io_contexts, each on its own thread, from construction until
// destruction, as the kernel does. Options are a plain map set by the test; MaxFrameBytes
// defaults to RocketMQ's 16 MiB. Loggers write to stderr at the level in the environment
// variable SPROCKET_TEST_LOG (trace, debug, info, warn, error; default warn).
//
// Destroy plugin objects (Stop transports) before the host: the host owns the io threads.
//
// Kept free of asio in the header: every test executable compiles tests/support/*.cc.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sprocket/plugin/host.h"

namespace sprocket::testing {

class TestPluginHost : public PluginHost {
 public:
  explicit TestPluginHost(size_t io_threads = 2, std::map<std::string, std::string> options = {});
  ~TestPluginHost() override;  // stops and joins the io threads
  TestPluginHost(const TestPluginHost&) = delete;
  TestPluginHost& operator=(const TestPluginHost&) = delete;

  // Any thread, any time; plugins usually read options only in their factory.
  void SetOption(const std::string& key, std::string value);
  void ClearOption(const std::string& key);
  void SetMaxFrameBytes(size_t bytes);
  // The directory DataDir() returns. Without it, DataDir() creates a fresh temporary
  // directory on first use and the destructor removes it.
  void SetDataDir(std::string dir);

  std::shared_ptr<spdlog::logger> Logger(std::string_view subsystem) override;
  std::optional<std::string> Option(std::string_view key) const override;
  std::string DataDir() const override;
  size_t IoThreads() const override;
  boost::asio::io_context& IoContext(size_t index) override;
  size_t MaxFrameBytes() const override;
  uint64_t NewSessionId() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sprocket::testing
