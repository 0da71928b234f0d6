#include "server/server_host.h"

#include "common/logging.h"

namespace sprocket {

ServerHost::ServerHost(const Config& config, std::map<std::string, std::string, std::less<>> derived,
                       IoPool& pool, std::string data_dir, size_t max_frame_bytes)
    : config_(config),
      derived_(std::move(derived)),
      pool_(pool),
      data_dir_(std::move(data_dir)),
      max_frame_bytes_(max_frame_bytes) {}

std::shared_ptr<spdlog::logger> ServerHost::Logger(std::string_view subsystem) {
  return GetLogger(subsystem);
}

std::optional<std::string> ServerHost::Option(std::string_view key) const {
  if (auto it = derived_.find(key); it != derived_.end()) return it->second;
  return config_.Get(key);
}

}  // namespace sprocket
