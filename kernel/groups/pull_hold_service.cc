#include "groups/pull_hold_service.h"

#include <atomic>
#include <list>
#include <mutex>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace sprocket::broker {

class PullHoldService::Impl : public std::enable_shared_from_this<PullHoldService::Impl> {
 public:
  struct Entry {
    Entry(HeldPull p, boost::asio::io_context& io) : pull(std::move(p)), timer(io) {}
    HeldPull pull;
    boost::asio::steady_timer timer;
    std::atomic<bool> fired{false};
  };

  Impl(IoPool& pool, Replay replay, MaxOffset max_offset)
      : pool_(pool), replay_(std::move(replay)), max_offset_(std::move(max_offset)) {}

  static std::string Key(const std::string& topic, int32_t queue_id) {
    return topic + "@" + std::to_string(queue_id);
  }

  void Hold(HeldPull pull, std::chrono::milliseconds timeout) {
    std::string key = Key(pull.topic, pull.queue_id);
    auto entry = std::make_shared<Entry>(std::move(pull), pool_.Next());
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      held_[key].push_back(entry);
    }
    entry->timer.expires_after(timeout);
    entry->timer.async_wait([self = shared_from_this(), entry, key](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: Notify or Stop took it
      if (entry->fired.exchange(true)) return;
      self->Remove(key, entry);
      self->replay_(entry->pull);
    });
    // A message may have landed between the read that found nothing and the registration
    // above; look once more so it is not left waiting for the whole hold.
    int64_t max = max_offset_(entry->pull.topic, entry->pull.queue_id);
    if (max > entry->pull.offset) Notify(entry->pull.topic, entry->pull.queue_id, max);
  }

  void Remove(const std::string& key, const std::shared_ptr<Entry>& entry) {
    std::lock_guard lock(mu_);
    auto it = held_.find(key);
    if (it == held_.end()) return;
    it->second.remove(entry);
    if (it->second.empty()) held_.erase(it);
  }

  void Notify(const std::string& topic, int32_t queue_id, int64_t max_offset) {
    std::vector<std::shared_ptr<Entry>> ready;
    {
      std::lock_guard lock(mu_);
      auto it = held_.find(Key(topic, queue_id));
      if (it == held_.end()) return;
      for (auto e = it->second.begin(); e != it->second.end();) {
        if ((*e)->pull.offset < max_offset) {
          ready.push_back(*e);
          e = it->second.erase(e);
        } else {
          ++e;
        }
      }
      if (it->second.empty()) held_.erase(it);
    }
    for (auto& entry : ready) {
      if (entry->fired.exchange(true)) continue;
      boost::asio::post(entry->timer.get_executor(), [self = shared_from_this(), entry] {
        entry->timer.cancel();
        self->replay_(entry->pull);
      });
    }
  }

  void Stop() {
    std::unordered_map<std::string, std::list<std::shared_ptr<Entry>>> held;
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      held.swap(held_);
    }
    for (auto& [key, entries] : held) {
      for (auto& entry : entries) {
        entry->fired = true;
        boost::asio::post(entry->timer.get_executor(), [entry] { entry->timer.cancel(); });
      }
    }
  }

  size_t HeldCount() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (auto& [k, v] : held_) n += v.size();
    return n;
  }

 private:
  IoPool& pool_;
  Replay replay_;
  MaxOffset max_offset_;
  mutable std::mutex mu_;
  bool stopped_ = false;
  std::unordered_map<std::string, std::list<std::shared_ptr<Entry>>> held_;
};

PullHoldService::PullHoldService(IoPool& pool, Replay replay, MaxOffset max_offset)
    : impl_(std::make_shared<Impl>(pool, std::move(replay), std::move(max_offset))) {}

PullHoldService::~PullHoldService() { Stop(); }

void PullHoldService::Hold(HeldPull pull, std::chrono::milliseconds timeout) {
  impl_->Hold(std::move(pull), timeout);
}

void PullHoldService::Notify(const std::string& topic, int32_t queue_id, int64_t max_offset) {
  impl_->Notify(topic, queue_id, max_offset);
}

void PullHoldService::Stop() { impl_->Stop(); }

size_t PullHoldService::HeldCount() const { return impl_->HeldCount(); }

}  // namespace sprocket::broker
