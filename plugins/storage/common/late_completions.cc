#include "late_completions.h"

#include <spdlog/spdlog.h>

namespace sprocket::storage_common {

void LateCompletions::Complete(size_t count, AppendCallback done, Status status, spdlog::logger& log) {
  if (!done) return;
  std::lock_guard lock(mu_);
  threads_.emplace_back([count, done = std::move(done), status = std::move(status), &log] {
    std::vector<AppendResult> results(count);
    for (AppendResult& r : results) r.status = status;
    try {
      done(results);
    } catch (const std::exception& e) {
      log.error("append callback threw: {}", e.what());
    } catch (...) {
      log.error("append callback threw a non-standard exception");
    }
  });
}

void LateCompletions::Join() {
  std::lock_guard lock(mu_);
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

}  // namespace sprocket::storage_common
