// RemotingClient under many requests in flight: responses arriving many per read or one
// byte at a time, requests staged from several threads, the body passed apart, and the
// shared deadline timer with timeouts that do not arrive in deadline order.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sprocket/protocol/remoting_command.h"
#include "sprocket/remoting/client.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using protocol::RemotingCommand;
using remoting::RemotingClient;
using Clock = std::chrono::steady_clock;

// A one-connection server on 127.0.0.1:0 with blocking sockets, independent of asio.
class ScriptedServer {
 public:
  enum class Mode { kAnswerInOneWrite, kAnswerByteByByte, kSilent };

  ScriptedServer(Mode mode, size_t batch) : mode_(mode), batch_(batch) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    if (conn_fd_ >= 0) ::close(conn_fd_);
    ::close(listen_fd_);
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  size_t requests_seen() const { return seen_.load(); }

 private:
  bool Readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
  }
  void Run() {
    while (!stop_ && !Readable(listen_fd_, 20)) {
    }
    if (stop_) return;
    conn_fd_ = ::accept(listen_fd_, nullptr, nullptr);
    std::string in;
    std::string out;
    size_t pending = 0;
    char buf[65536];
    while (!stop_) {
      if (!Readable(conn_fd_, 20)) continue;
      ssize_t n = ::recv(conn_fd_, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
      while (in.size() >= 4) {
        const auto* u = reinterpret_cast<const unsigned char*>(in.data());
        const size_t len = (size_t{u[0]} << 24) | (size_t{u[1]} << 16) | (size_t{u[2]} << 8) | u[3];
        if (in.size() < 4 + len) break;
        auto req = protocol::DecodeFrame(std::string_view(in).substr(4, len));
        in.erase(0, 4 + len);
        ASSERT_TRUE(req.ok());
        seen_++;
        if (mode_ == Mode::kSilent) continue;
        RemotingCommand resp = RemotingCommand::ResponseTo(*req, 0);
        resp.remark = std::string(req->ext.Get("tag")) + "/" + std::to_string(req->body.size());
        resp.body = req->body;
        protocol::EncodeFrame(resp, &out);
        ++pending;
      }
      if (pending >= batch_ || (pending > 0 && mode_ == Mode::kAnswerByteByByte)) {
        if (mode_ == Mode::kAnswerInOneWrite) {
          WriteAll(out);
        } else {
          for (char c : out) {
            WriteAll(std::string(1, c));
            std::this_thread::sleep_for(100us);
          }
        }
        out.clear();
        pending = 0;
      }
    }
  }
  void WriteAll(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(conn_fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  const Mode mode_;
  const size_t batch_;
  int listen_fd_ = -1;
  int conn_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> seen_{0};
  std::thread thread_;
};

// Collects completions by tag.
class Completions {
 public:
  RemotingClient::ResponseCallback For(std::string tag) {
    return [this, tag](Result<RemotingCommand> r) {
      std::lock_guard<std::mutex> lock(mu_);
      if (r.ok()) {
        ok_[tag] = r->remark.value_or("") + "|" + r->body;
      } else {
        failed_[tag] = {r.status(), Clock::now()};
      }
      if (++count_.at(0) >= expected_) cv_.notify_all();
    };
  }
  bool WaitFor(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    expected_ = n;
    return cv_.wait_for(lock, timeout, [&] { return count_[0] >= n; });
  }
  std::map<std::string, std::string> ok() {
    std::lock_guard<std::mutex> lock(mu_);
    return ok_;
  }
  std::map<std::string, std::pair<Status, Clock::time_point>> failed() {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<size_t> count_ = {0};
  size_t expected_ = SIZE_MAX;
  std::map<std::string, std::string> ok_;
  std::map<std::string, std::pair<Status, Clock::time_point>> failed_;
};

RemotingCommand Tagged(const std::string& tag) {
  RemotingCommand cmd = RemotingCommand::Request(310);
  cmd.ext.Set("tag", tag);
  return cmd;
}

TEST(RemotingBatchingTest, HundredsOfResponsesInOneReadFromSeveralSendingThreads) {
  constexpr int kThreads = 3, kPerThread = 100;
  ScriptedServer server(ScriptedServer::Mode::kAnswerInOneWrite, kThreads * kPerThread);
  RemotingClient client;
  Completions done;
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string tag = std::to_string(t) + "-" + std::to_string(i);
        const std::string body(static_cast<size_t>(i * 7 % 300), static_cast<char>('a' + t));
        if (i % 2 == 0) {
          client.InvokeAsync(server.addr(), Tagged(tag), body, 10s, done.For(tag));
        } else {
          RemotingCommand cmd = Tagged(tag);
          cmd.body = body;
          client.InvokeAsync(server.addr(), std::move(cmd), 10s, done.For(tag));
        }
      }
    });
  }
  for (auto& s : senders) s.join();
  ASSERT_TRUE(done.WaitFor(kThreads * kPerThread, 15s));
  auto ok = done.ok();
  EXPECT_TRUE(done.failed().empty());
  ASSERT_EQ(ok.size(), static_cast<size_t>(kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string tag = std::to_string(t) + "-" + std::to_string(i);
      const std::string body(static_cast<size_t>(i * 7 % 300), static_cast<char>('a' + t));
      EXPECT_EQ(ok[tag], tag + "/" + std::to_string(body.size()) + "|" + body) << tag;
    }
  }
  client.Shutdown();
}

TEST(RemotingBatchingTest, ResponsesArrivingOneByteAtATime) {
  ScriptedServer server(ScriptedServer::Mode::kAnswerByteByByte, 1);
  RemotingClient client;
  Completions done;
  for (int i = 0; i < 3; ++i) {
    const std::string tag = "b" + std::to_string(i);
    client.InvokeAsync(server.addr(), Tagged(tag), std::string(i * 50, 'z'), 10s, done.For(tag));
  }
  ASSERT_TRUE(done.WaitFor(3, 20s));
  auto ok = done.ok();
  ASSERT_EQ(ok.size(), 3u);
  EXPECT_EQ(ok["b2"], "b2/100|" + std::string(100, 'z'));
  client.Shutdown();
}

TEST(RemotingBatchingTest, DeadlinesOutOfOrderEachTimeOutOnItsOwn) {
  ScriptedServer server(ScriptedServer::Mode::kSilent, 1);
  RemotingClient client;
  Completions done;
  const auto begin = Clock::now();
  // Long timeouts first, so the shared timer must be brought forward for the short ones.
  for (int i = 0; i < 4; ++i) client.InvokeAsync(server.addr(), Tagged("long" + std::to_string(i)), 1500ms, done.For("long" + std::to_string(i)));
  for (int i = 0; i < 4; ++i) client.InvokeAsync(server.addr(), Tagged("short" + std::to_string(i)), 150ms, done.For("short" + std::to_string(i)));
  ASSERT_TRUE(done.WaitFor(8, 10s));
  auto failed = done.failed();
  ASSERT_EQ(failed.size(), 8u);
  for (const auto& [tag, f] : failed) {
    EXPECT_TRUE(f.first.IsTimeout()) << tag << ": " << f.first.ToString();
    const auto after = f.second - begin;
    if (tag.rfind("short", 0) == 0) {
      EXPECT_GE(after, 140ms) << tag;
      EXPECT_LT(after, 1000ms) << tag << " waited for the long deadline";
    } else {
      EXPECT_GE(after, 1450ms) << tag;
    }
  }
  EXPECT_EQ(server.requests_seen(), 8u);
  client.Shutdown();
}

TEST(RemotingBatchingTest, ShutdownFailsStagedAndPendingRequestsOnce) {
  ScriptedServer server(ScriptedServer::Mode::kSilent, 1);
  auto client = std::make_unique<RemotingClient>();
  Completions done;
  for (int i = 0; i < 200; ++i) {
    client->InvokeAsync(server.addr(), Tagged("s" + std::to_string(i)), 30s, done.For("s" + std::to_string(i)));
  }
  client->Shutdown();
  ASSERT_TRUE(done.WaitFor(200, 5s));
  auto failed = done.failed();
  ASSERT_EQ(failed.size(), 200u);
  for (const auto& [tag, f] : failed) EXPECT_EQ(f.first.code(), Status::Code::kAborted) << tag;
  // After shutdown a request fails at once.
  Completions late;
  client->InvokeAsync(server.addr(), Tagged("late"), 1s, late.For("late"));
  ASSERT_TRUE(late.WaitFor(1, 1s));
  EXPECT_EQ(late.failed().size(), 1u);
}

}  // namespace
}  // namespace sprocket
