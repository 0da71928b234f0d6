// ServerHost: the PluginHost that mqbroker and mqnamesrv lend to their plugins.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "common/config.h"
#include "server/io_pool.h"
#include "sprocket/plugin/host.h"

namespace sprocket {

class ServerHost : public PluginHost {
 public:
  // `derived` answers Option() before `config` (e.g. vipListenPort = listenPort-2).
  ServerHost(const Config& config, std::map<std::string, std::string, std::less<>> derived,
             IoPool& pool, std::string data_dir, size_t max_frame_bytes);

  std::shared_ptr<spdlog::logger> Logger(std::string_view subsystem) override;
  std::optional<std::string> Option(std::string_view key) const override;
  std::string DataDir() const override { return data_dir_; }
  size_t IoThreads() const override { return pool_.size(); }
  boost::asio::io_context& IoContext(size_t index) override { return pool_.At(index); }
  size_t MaxFrameBytes() const override { return max_frame_bytes_; }
  uint64_t NewSessionId() override { return next_session_id_.fetch_add(1, std::memory_order_relaxed); }

 private:
  const Config& config_;
  std::map<std::string, std::string, std::less<>> derived_;
  IoPool& pool_;
  std::string data_dir_;
  size_t max_frame_bytes_;
  std::atomic<uint64_t> next_session_id_{1};
};

}  // namespace sprocket
