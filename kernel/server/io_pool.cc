#include "server/io_pool.h"

#include <atomic>
#include <optional>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace sprocket {

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
    threads_.emplace_back([ctx = &slot->ctx] { ctx->run(); });
  }
}

void IoPool::Stop() {
  for (auto& slot : contexts_) slot->guard.reset();
  for (auto& slot : contexts_) slot->ctx.stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

boost::asio::io_context& IoPool::At(size_t i) { return contexts_[i % contexts_.size()]->ctx; }

boost::asio::io_context& IoPool::Next() {
  static std::atomic<size_t> counter{0};
  return At(counter.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace sprocket
