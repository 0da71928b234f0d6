#include "common/logging.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace sprocket {
namespace {

struct Registry {
  std::mutex mu;
  spdlog::sink_ptr sink;
  std::string program = "sprocket";
  spdlog::level::level_enum level = spdlog::level::info;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

Registry& Reg() {
  static Registry* r = new Registry();  // never destroyed: loggers are used until exit
  return *r;
}

void EnsureSinkLocked(Registry& r) {
  if (r.sink) return;
  r.sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  r.sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [" + r.program + "/%n] %v");
  if (const char* lvl = std::getenv("SPROCKET_LOG_LEVEL")) r.level = spdlog::level::from_str(lvl);
}

}  // namespace

void InitLogging(std::string_view program) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  r.program = std::string(program);
  r.sink.reset();
  EnsureSinkLocked(r);
  for (auto& [name, logger] : r.loggers) {
    logger->sinks().clear();
    logger->sinks().push_back(r.sink);
  }
}

std::shared_ptr<spdlog::logger> GetLogger(std::string_view subsystem) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  if (auto it = r.loggers.find(subsystem); it != r.loggers.end()) return it->second;
  EnsureSinkLocked(r);
  auto logger = std::make_shared<spdlog::logger>(std::string(subsystem), r.sink);
  logger->set_level(r.level);
  logger->flush_on(spdlog::level::warn);
  r.loggers.emplace(std::string(subsystem), logger);
  return logger;
}

}  // namespace sprocket
