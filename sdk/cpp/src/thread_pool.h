// The consumer's listener threads: starts with `min_threads`, adds one whenever a task
// arrives and none is idle, up to `max_threads`. FIFO.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sprocket::sdk {

class ThreadPool {
 public:
  ThreadPool(size_t min_threads, size_t max_threads);
  ~ThreadPool();  // Shutdown()
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // False (task not run) once shut down.
  bool Submit(std::function<void()> task);

  // Drops queued tasks, waits for the running ones and joins. Idempotent; must not be
  // called from a task.
  void Shutdown();

  size_t queued() const;
  size_t threads() const;

 private:
  void Worker();

  const size_t max_threads_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  bool stopped_ = false;
};

}  // namespace sprocket::sdk
