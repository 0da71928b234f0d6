// What every transport plugin keeps of its live sessions: Stop() refuses new ones, closes the
// rest and waits until each has left. Header-only: each plugin is its own shared object and
// compiles its own copy.
//
// Held by shared_ptr by the transport, its listeners and every session, so a handler that
// runs late never touches a destroyed transport. A session leaves only when it has no
// asynchronous operation outstanding, so an empty registry means no handler of the plugin is
// pending for any session.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace sprocket::transport_common {

template <typename SessionT>
class SessionRegistry {
 public:
  // False once BeginStop ran: the caller drops the session without starting it.
  bool Add(const std::shared_ptr<SessionT>& session) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    sessions_.emplace(session->Id(), session);
    return true;
  }
  // Called by a session after its OnClose returned (or when it ends without having opened).
  void Remove(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(id);
    if (sessions_.empty()) empty_.notify_all();
  }
  // Refuses further Adds and returns the sessions that must be closed.
  std::vector<std::shared_ptr<SessionT>> BeginStop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    std::vector<std::shared_ptr<SessionT>> out;
    out.reserve(sessions_.size());
    for (auto& [id, s] : sessions_) out.push_back(s);
    return out;
  }
  // True once every session is removed; false if `timeout` passed first.
  bool WaitEmpty(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return empty_.wait_for(lock, timeout, [this] { return sessions_.empty(); });
  }
  size_t Size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sessions_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable empty_;
  bool stopping_ = false;
  std::unordered_map<uint64_t, std::shared_ptr<SessionT>> sessions_;
};

}  // namespace sprocket::transport_common
