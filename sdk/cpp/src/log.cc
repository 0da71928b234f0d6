#include "log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>

namespace sprocket::sdk {

spdlog::logger& Log() {
  // Not registered in spdlog's registry: the application may use that for its own loggers.
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>(
        "sprocket-sdk", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    const char* level = std::getenv("SPROCKET_SDK_LOG_LEVEL");
    l->set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::info);
    return l;
  }();
  return *logger;
}

}  // namespace sprocket::sdk
