// LateCompletions: answers the appends a store refuses before they reach its writer (the
// store is closed, or queueing the append failed). Each is answered on a short-lived thread
// of its own, never inside Append: the caller may hold a lock its callback takes (the
// broker's send path does). The store joins them (Join, or this object's destructor) before
// anything the callbacks may use goes away.
#pragma once

#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "sprocket/plugin/status.h"
#include "sprocket/plugin/storage.h"

namespace spdlog {
class logger;
}

namespace sprocket::storage_common {

class LateCompletions {
 public:
  LateCompletions() = default;
  LateCompletions(const LateCompletions&) = delete;
  LateCompletions& operator=(const LateCompletions&) = delete;
  ~LateCompletions() { Join(); }

  // Calls `done` with `count` results of `status`; a throwing callback is logged to `log`.
  void Complete(size_t count, AppendCallback done, Status status, spdlog::logger& log);
  void Join();

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

}  // namespace sprocket::storage_common
