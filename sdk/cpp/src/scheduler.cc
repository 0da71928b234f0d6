#include "scheduler.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "log.h"

namespace sprocket::sdk {

namespace asio = boost::asio;

class Scheduler::Impl {
 public:
  Impl() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

  void Schedule(std::chrono::milliseconds delay, std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    auto timer = std::make_shared<asio::steady_timer>(io_, delay);
    timer->async_wait([this, timer, task = std::move(task)](const boost::system::error_code& ec) {
      if (!ec && !stopped_) RunSafely(task);
    });
  }

  void ScheduleEvery(std::chrono::milliseconds initial_delay, std::chrono::milliseconds period,
                     std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    auto timer = std::make_shared<asio::steady_timer>(io_, initial_delay);
    Arm(timer, period, std::make_shared<std::function<void()>>(std::move(task)));
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopped_) {
        stopped_ = true;
        work_.reset();
        io_.stop();  // handlers not yet run are destroyed with io_, never run
      }
    }
    // Every caller returns only once the thread is gone.
    std::call_once(joined_, [this] {
      if (thread_.joinable()) thread_.join();
    });
  }

 private:
  void Arm(std::shared_ptr<asio::steady_timer> timer, std::chrono::milliseconds period,
           std::shared_ptr<std::function<void()>> task) {
    timer->async_wait([this, timer, period, task](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      auto next = timer->expiry() + period;
      RunSafely(*task);
      timer->expires_at(std::max(next, asio::steady_timer::clock_type::now()));
      Arm(timer, period, task);
    });
  }

  static void RunSafely(const std::function<void()>& task) {
    try {
      task();
    } catch (const std::exception& e) {
      Log().warn("scheduled task failed: {}", e.what());
    } catch (...) {
      Log().warn("scheduled task failed");
    }
  }

  std::mutex mu_;
  std::once_flag joined_;
  std::atomic<bool> stopped_{false};
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

Scheduler::Scheduler() : impl_(std::make_unique<Impl>()) {}
Scheduler::~Scheduler() { impl_->Stop(); }

void Scheduler::Schedule(std::chrono::milliseconds delay, std::function<void()> task) {
  impl_->Schedule(delay, std::move(task));
}

void Scheduler::ScheduleEvery(std::chrono::milliseconds initial_delay,
                              std::chrono::milliseconds period, std::function<void()> task) {
  impl_->ScheduleEvery(initial_delay, period, std::move(task));
}

void Scheduler::Stop() { impl_->Stop(); }

}  // namespace sprocket::sdk
