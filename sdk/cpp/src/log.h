// The SDK's logger ("sprocket-sdk", stderr). Level from SPROCKET_SDK_LOG_LEVEL
// (trace/debug/info/warn/error/off), default info. Log sparingly: an application's stderr
// is not ours.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>

namespace sprocket::sdk {

spdlog::logger& Log();

}  // namespace sprocket::sdk
