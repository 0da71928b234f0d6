#include "server/io_pool.h"

#include <atomic>
#include <optional>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace sprocket {

namespace {
// The io_context the calling thread runs, if it is a pool thread.
thread_local boost::asio::io_context* t_current = nullptr;
}  // namespace

struct IoPool::Slot {
  boost::asio::io_context ctx{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
};

IoPool::IoPool(size_t threads) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) {
    auto slot = std::make_unique<Slot>();
    slot->guard.emplace(slot->ctx.get_executor());
    contexts_.push_back(std::move(slot));
  }
}

IoPool::~IoPool() { Stop(); }

void IoPool::Start() {
  if (started_) return;
  started_ = true;
  for (auto& slot : contexts_) {
    threads_.emplace_back([ctx = &slot->ctx] {
      t_current = ctx;
      ctx->run();
    });
  }
}

void IoPool::Stop() {
  for (auto& slot : contexts_) slot->guard.reset();
  for (auto& slot : contexts_) slot->ctx.stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

bool IoPool::DeferOnThisThread(void (*task)()) {
  if (t_current == nullptr) return false;
  boost::asio::post(*t_current, task);
  return true;
}

boost::asio::io_context& IoPool::At(size_t i) { return contexts_[i % contexts_.size()]->ctx; }

boost::asio::io_context& IoPool::Next() {
  static std::atomic<size_t> counter{0};
  return At(counter.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace sprocket
