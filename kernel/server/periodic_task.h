// PeriodicTask: runs a function every `period` on one io_context of the pool until
// stopped. For housekeeping (expiry scans, offset persistence), never for the hot path.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace sprocket {

class PeriodicTask {
 public:
  PeriodicTask(boost::asio::io_context& io, std::chrono::milliseconds period, std::function<void()> fn);
  ~PeriodicTask();  // Stop()
  void Start();
  // Waits until the task is not running and will not run again. Not from the io thread.
  void Stop();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sprocket
