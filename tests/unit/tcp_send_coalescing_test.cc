// The tcp transport's send path: small frames are copied into shared, reused buffers and
// big ones queued as they are. Frames of every size around the thresholds, sent from
// several threads at once, must arrive whole, intact and in each thread's order.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "plugin_host/plugin_loader.h"
#include "support/test_plugin_host.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;

std::string Frame(std::string_view body) {
  const auto n = static_cast<uint32_t>(body.size());
  std::string f = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                   static_cast<char>(n)};
  return f.append(body);
}

// "t:i:" then bytes derived from (t, i), `size` bytes in all.
std::string Body(int t, int i, size_t size) {
  std::string b = std::to_string(t) + ":" + std::to_string(i) + ":";
  while (b.size() < size) b.push_back(static_cast<char>((b.size() * 31 + t * 7 + i) & 0xFF));
  return b;
}

class OneSessionSink : public FrameSink {
 public:
  void OnOpen(const std::shared_ptr<Session>& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    session_ = s;
    cv_.notify_all();
  }
  void OnFrame(const std::shared_ptr<Session>&, std::string_view) override {}
  void OnClose(const std::shared_ptr<Session>&, std::string_view) override {}
  std::shared_ptr<Session> Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, 10s, [&] { return session_ != nullptr; });
    return session_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<Session> session_;
};

std::optional<std::string> ReadExactly(int fd, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (got < n) {
    pollfd p{fd, POLLIN, 0};
    if (std::chrono::steady_clock::now() > deadline || ::poll(&p, 1, 1000) < 0) return std::nullopt;
    if (!(p.revents & POLLIN)) continue;
    ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
    if (r <= 0) return std::nullopt;
    got += static_cast<size_t>(r);
  }
  return out;
}

TEST(TcpSendCoalescingTest, MixedSizesFromSeveralThreadsArriveWholeAndInOrder) {
  testing::TestPluginHost host{2, {{"bindAddress", "127.0.0.1"}, {"listenPort", "0"}}};
  OneSessionSink sink;
  auto loaded = PluginLoader(SPROCKET_PLUGIN_DIR).CreateTransport("tcp", host);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  std::shared_ptr<Transport> transport = std::move(loaded.value());
  ASSERT_TRUE(transport->Start(&sink).ok());
  const uint16_t port = transport->BoundEndpoints().at(0).port;

  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::shared_ptr<Session> session = sink.Wait();
  ASSERT_TRUE(session);

  // Sizes around the copy threshold (16 KiB) and the buffer size (64 KiB), and tiny ones.
  const std::vector<size_t> sizes = {16,        300,       4000,      16 * 1024 - 5, 16 * 1024 - 4,
                                     16 * 1024, 16 * 1024 + 1, 40000, 64 * 1024,     100 * 1024,
                                     9,         1200};
  constexpr int kThreads = 3, kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) session->Send(Frame(Body(t, i, sizes[(i + t) % sizes.size()])));
    });
  }
  std::vector<int> next(kThreads, 0);
  for (int n = 0; n < kThreads * kPerThread; ++n) {
    auto prefix = ReadExactly(fd, 4);
    ASSERT_TRUE(prefix) << "frame " << n;
    const auto* u = reinterpret_cast<const unsigned char*>(prefix->data());
    const size_t len = (size_t{u[0]} << 24) | (size_t{u[1]} << 16) | (size_t{u[2]} << 8) | u[3];
    auto body = ReadExactly(fd, len);
    ASSERT_TRUE(body) << "frame " << n;
    const int t = std::stoi(body->substr(0, body->find(':')));
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    const int i = next[t]++;
    ASSERT_EQ(*body, Body(t, i, sizes[(i + t) % sizes.size()])) << "thread " << t << " frame " << i;
  }
  for (auto& th : threads) th.join();
  ::close(fd);
  transport->Stop();
}

// SendParts writes the parts from the caller's memory (a store's mapped segment in the
// broker): frames arrive whole and in order among plain Sends, and the hold is released
// once its bytes are written.
TEST(TcpSendCoalescingTest, SendPartsArriveWholeAmongSendsAndReleaseTheirHold) {
  testing::TestPluginHost host{2, {{"bindAddress", "127.0.0.1"}, {"listenPort", "0"}}};
  OneSessionSink sink;
  auto loaded = PluginLoader(SPROCKET_PLUGIN_DIR).CreateTransport("tcp", host);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  std::shared_ptr<Transport> transport = std::move(loaded.value());
  ASSERT_TRUE(transport->Start(&sink).ok());
  const uint16_t port = transport->BoundEndpoints().at(0).port;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::shared_ptr<Session> session = sink.Wait();
  ASSERT_TRUE(session);

  constexpr int kFrames = 300;
  std::vector<std::weak_ptr<const void>> holds;
  std::vector<std::string> expected;
  for (int i = 0; i < kFrames; ++i) {
    if (i % 3 == 2) {
      expected.push_back(Body(1, i, 100 + i));
      session->Send(Frame(expected.back()));
      continue;
    }
    // Body = "head part" + several parts from one held buffer (empty parts included).
    auto storage = std::make_shared<std::string>(Body(0, i, 20 + i * 97 % 70000));
    const std::string head_body = "h" + std::to_string(i) + ":";
    std::vector<ByteView> parts;
    size_t at = 0;
    for (size_t cut : {size_t{0}, size_t{7}, storage->size() / 2, storage->size()}) {
      cut = std::min(cut, storage->size());
      parts.push_back(ByteView{storage->data() + at, cut - at});
      at = cut;
    }
    const size_t total = head_body.size() + storage->size();
    std::string head = {static_cast<char>(total >> 24), static_cast<char>(total >> 16),
                        static_cast<char>(total >> 8), static_cast<char>(total)};
    head += head_body;
    expected.push_back(head_body + *storage);
    holds.push_back(storage);
    session->SendParts(std::move(head), parts, std::move(storage));
  }
  for (int n = 0; n < kFrames; ++n) {
    auto prefix = ReadExactly(fd, 4);
    ASSERT_TRUE(prefix) << "frame " << n;
    const auto* u = reinterpret_cast<const unsigned char*>(prefix->data());
    const size_t len = (size_t{u[0]} << 24) | (size_t{u[1]} << 16) | (size_t{u[2]} << 8) | u[3];
    auto body = ReadExactly(fd, len);
    ASSERT_TRUE(body) << "frame " << n;
    ASSERT_EQ(*body, expected[n]) << "frame " << n;
  }
  // Everything was read, so every write completed: no hold may be kept.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  auto alive = [&] {
    size_t n = 0;
    for (auto& h : holds) n += !h.expired();
    return n;
  };
  while (alive() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(alive(), 0u);

  // A head whose prefix disagrees with head + parts is dropped, the session stays usable.
  auto storage = std::make_shared<std::string>("abc");
  ByteView part{storage->data(), storage->size()};
  session->SendParts(Frame("x"), std::span<const ByteView>(&part, 1), storage);
  session->Send(Frame("after"));
  auto prefix = ReadExactly(fd, 4);
  ASSERT_TRUE(prefix);
  auto body = ReadExactly(fd, 5);
  ASSERT_TRUE(body);
  EXPECT_EQ(*body, "after");
  ::close(fd);
  transport->Stop();
}

}  // namespace
}  // namespace sprocket
