// Named loggers, one per subsystem ("namesrv", "send", "pull", "store"...), all writing to
// one stderr sink with the program name and level on each line (STYLE.md: one named
// logger per subsystem). Level from env SPROCKET_LOG_LEVEL (trace..off), default info.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

namespace sprocket {

void InitLogging(std::string_view program);
std::shared_ptr<spdlog::logger> GetLogger(std::string_view subsystem);

}  // namespace sprocket
