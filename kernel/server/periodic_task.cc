#include "server/periodic_task.h"

#include <atomic>
#include <future>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace sprocket {

class PeriodicTask::Impl : public std::enable_shared_from_this<PeriodicTask::Impl> {
 public:
  Impl(boost::asio::io_context& io, std::chrono::milliseconds period, std::function<void()> fn)
      : io_(io), timer_(io), period_(period), fn_(std::move(fn)) {}

  void Arm() {
    timer_.expires_after(period_);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->stopped_) return;
      self->fn_();
      if (!self->stopped_) self->Arm();
    });
  }

  void Stop() {
    if (io_.get_executor().running_in_this_thread()) {
      stopped_ = true;
      timer_.cancel();
      return;
    }
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    boost::asio::post(timer_.get_executor(), [self = shared_from_this(), done] {
      self->stopped_ = true;
      self->timer_.cancel();
      done->set_value();
    });
    // If the pool is already stopped the post never runs; do not hang on it.
    if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) stopped_ = true;
  }

  boost::asio::io_context& io_;
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds period_;
  std::function<void()> fn_;
  std::atomic<bool> stopped_{false};
};

PeriodicTask::PeriodicTask(boost::asio::io_context& io, std::chrono::milliseconds period,
                           std::function<void()> fn)
    : impl_(std::make_shared<Impl>(io, period, std::move(fn))) {}

PeriodicTask::~PeriodicTask() { Stop(); }

void PeriodicTask::Start() {
  auto impl = impl_;
  boost::asio::post(impl->timer_.get_executor(), [impl] { impl->Arm(); });
}

void PeriodicTask::Stop() {
  if (impl_ && !impl_->stopped_) impl_->Stop();
}

}  // namespace sprocket
