// A timer thread: runs delayed and periodic tasks (route refresh, heartbeats, offset
// commits, delayed pulls). Tasks run one at a time on the scheduler's own thread, so a
// slow task (a synchronous request) delays the others but never an I/O callback.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace sprocket::sdk {

class Scheduler {
 public:
  Scheduler();   // starts the thread
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs `task` once after `delay`. Dropped silently after Stop().
  void Schedule(std::chrono::milliseconds delay, std::function<void()> task);
  // Runs `task` after `initial_delay`, then every `period` (measured from each start).
  void ScheduleEvery(std::chrono::milliseconds initial_delay, std::chrono::milliseconds period,
                     std::function<void()> task);

  // Drops pending tasks, waits for a running one and joins the thread. Idempotent; must
  // not be called from a task.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sprocket::sdk
