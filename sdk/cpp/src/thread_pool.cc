#include "thread_pool.h"

#include <algorithm>

#include "log.h"

namespace sprocket::sdk {

ThreadPool::ThreadPool(size_t min_threads, size_t max_threads)
    : max_threads_(std::max<size_t>({max_threads, min_threads, 1})) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < std::max<size_t>(min_threads, 1); ++i) {
    threads_.emplace_back([this] { Worker(); });
  }
}

ThreadPool::~ThreadPool() { Shutdown(); }

bool ThreadPool::Submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return false;
    tasks_.push_back(std::move(task));
    // Grow only when every thread is busy; idle ones will pick the task up.
    if (idle_ < tasks_.size() && threads_.size() < max_threads_) {
      threads_.emplace_back([this] { Worker(); });
    }
  }
  cv_.notify_one();
  return true;
}

void ThreadPool::Shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ && threads_.empty()) return;
    stopped_ = true;
    tasks_.clear();
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
}

size_t ThreadPool::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_.size();
}

size_t ThreadPool::threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_.size();
}

void ThreadPool::Worker() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++idle_;
      cv_.wait(lock, [this] { return stopped_ || !tasks_.empty(); });
      --idle_;
      if (stopped_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    try {
      task();
    } catch (const std::exception& e) {
      Log().warn("consume task failed: {}", e.what());
    } catch (...) {
      Log().warn("consume task failed");
    }
  }
}

}  // namespace sprocket::sdk
