// IoPool: the kernel's fixed pool of io_contexts, one thread each (DESIGN.md §4).
// Transports spread sessions over them; timers (long-poll holds, scans) run on them.
// No thread per connection, no thread per queue.
#pragma once

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace sprocket {

class IoPool {
 public:
  explicit IoPool(size_t threads);
  ~IoPool();  // Stop()
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  void Start();
  // Lets queued work finish briefly, then stops every context and joins the threads.
  void Stop();

  size_t size() const { return contexts_.size(); }
  boost::asio::io_context& At(size_t i);
  // Round-robin choice for work that has no home (timers, fan-out).
  boost::asio::io_context& Next();

  // On a pool thread: queues `task` to run on this thread after the handler now running
  // returns — e.g. once a transport has handed over every frame of one read — and
  // returns true. Elsewhere returns false and does nothing. Lets a handler gather work
  // per batch of frames (the broker's appends) instead of per frame.
  static bool DeferOnThisThread(void (*task)());

 private:
  struct Slot;
  std::vector<std::unique_ptr<Slot>> contexts_;
  std::vector<std::thread> threads_;
  size_t next_ = 0;
  bool started_ = false;
};

}  // namespace sprocket
