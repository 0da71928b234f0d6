// The tcp transport plugin, loaded through PluginLoader exactly as the broker loads it, driven
// by plain POSIX sockets (an independent client) on 127.0.0.1 and ephemeral ports.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "plugin_host/plugin_loader.h"
#include "support/test_plugin_host.h"

// ---- Allocation tracking ----
// Replaces the global operator new of this executable; the plugin's allocations resolve to
// it too (the executable comes first in symbol lookup). Lets a test prove that a hostile frame
// length is refused before anything is allocated for it.
namespace {
std::atomic<bool> g_track{false};
std::atomic<size_t> g_largest{0};
}  // namespace

void* operator new(std::size_t n) {
  if (g_track.load(std::memory_order_relaxed)) {
    size_t seen = g_largest.load(std::memory_order_relaxed);
    while (n > seen && !g_largest.compare_exchange_weak(seen, n)) {
    }
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using testing::TestPluginHost;

constexpr auto kWait = 10s;

std::string Prefix(size_t body_size) {
  const auto n = static_cast<uint32_t>(body_size);
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
          static_cast<char>(n)};
}
std::string Frame(std::string_view body) { return Prefix(body.size()) + std::string(body); }
// A body of n >= 4 bytes whose content depends on seed, so misplaced bytes show.
std::string Body(size_t n, uint32_t seed) {
  std::string b(n, '\0');
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<char>((i * 131 + seed * 7919) & 0xFF);
  return b;
}

// A blocking client with timeouts, independent of asio.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }

  bool Write(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Exactly n bytes, or nullopt on EOF, error or timeout.
  std::optional<std::string> Read(size_t n, std::chrono::milliseconds timeout = kWait) {
    std::string out(n, '\0');
    size_t got = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got < n) {
      if (!WaitReadable(deadline)) return std::nullopt;
      ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) return std::nullopt;
      got += static_cast<size_t>(r);
    }
    return out;
  }

  // One frame's body (the prefix is checked and stripped).
  std::optional<std::string> ReadFrame() {
    auto prefix = Read(4);
    if (!prefix) return std::nullopt;
    const auto* u = reinterpret_cast<const unsigned char*>(prefix->data());
    const size_t len = (size_t{u[0]} << 24) | (size_t{u[1]} << 16) | (size_t{u[2]} << 8) | u[3];
    return Read(len);
  }

  // True once the server has closed the connection (EOF or reset); data is discarded.
  bool WaitClosed(std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (WaitReadable(deadline)) {
      if (::recv(fd_, buf, sizeof(buf), 0) <= 0) return true;
    }
    return false;
  }

  // Closes with RST instead of FIN: the rudest way a peer can leave.
  void Reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    ::close(fd_);
    fd_ = -1;
  }

 private:
  bool WaitReadable(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
  }
  int fd_ = -1;
  bool connected_ = false;
};

// Records every callback and checks the transport.h contract as it goes: per session OnOpen,
// OnFrame*, OnClose once, one at a time, all on one thread.
class RecordingSink : public FrameSink {
 public:
  struct Record {
    std::shared_ptr<Session> session;
    std::vector<std::string> frames;
    int opens = 0;
    int closes = 0;
    std::string why;
    std::thread::id thread;
    int inside = 0;  // callbacks of this session currently running
  };

  std::atomic<bool> echo{false};  // send each frame back from inside OnFrame
  std::function<void(const std::shared_ptr<Session>&, std::string_view)> on_frame;

  void OnOpen(const std::shared_ptr<Session>& s) override {
    Enter(s, [&](Record& r) {
      if (r.opens > 0 || r.closes > 0 || !r.frames.empty()) Violation(s, "OnOpen not first");
      r.opens++;
      r.session = s;
      r.thread = std::this_thread::get_id();
    });
    Leave(s);
  }
  void OnFrame(const std::shared_ptr<Session>& s, std::string_view frame) override {
    Enter(s, [&](Record& r) {
      if (r.opens != 1 || r.closes != 0) Violation(s, "OnFrame outside OnOpen..OnClose");
      if (r.thread != std::this_thread::get_id()) Violation(s, "OnFrame on another thread");
      r.frames.emplace_back(frame);
    });
    LeaveOnExit leave{this, s};  // on_frame may throw
    if (echo) s->Send(Frame(frame));
    if (on_frame) on_frame(s, frame);
  }
  void OnClose(const std::shared_ptr<Session>& s, std::string_view why) override {
    Enter(s, [&](Record& r) {
      if (r.opens != 1 || r.closes != 0) Violation(s, "OnClose not once after OnOpen");
      if (r.thread != std::this_thread::get_id()) Violation(s, "OnClose on another thread");
      r.closes++;
      r.why = why;
    });
    Leave(s);
  }

  // Waits until pred(records) holds; returns whether it did.
  bool WaitUntil(const std::function<bool(const std::map<uint64_t, Record>&)>& pred,
                 std::chrono::milliseconds timeout = kWait) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(records_); });
  }
  // Waits for `n` sessions to have opened; returns them in open order.
  std::vector<std::shared_ptr<Session>> WaitOpened(size_t n) {
    EXPECT_TRUE(WaitUntil([&](auto& rs) { return rs.size() >= n; })) << "sessions did not open";
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::shared_ptr<Session>> out;
    for (auto& [id, r] : records_) out.push_back(r.session);
    return out;
  }
  Record Get(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    return records_[id];
  }
  size_t Callbacks() {
    std::lock_guard<std::mutex> lock(mu_);
    return callbacks_;
  }
  std::vector<std::string> Violations() {
    std::lock_guard<std::mutex> lock(mu_);
    return violations_;
  }

 private:
  struct LeaveOnExit {
    RecordingSink* sink;
    const std::shared_ptr<Session>& session;
    ~LeaveOnExit() { sink->Leave(session); }
  };

  template <typename Fn>
  void Enter(const std::shared_ptr<Session>& s, Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    Record& r = records_[s->Id()];
    if (++r.inside != 1) Violation(s, "callbacks overlap");
    callbacks_++;
    fn(r);
    cv_.notify_all();
  }
  void Leave(const std::shared_ptr<Session>& s) {
    std::lock_guard<std::mutex> lock(mu_);
    records_[s->Id()].inside--;
  }
  void Violation(const std::shared_ptr<Session>& s, const char* what) {
    violations_.push_back("session " + std::to_string(s->Id()) + ": " + what);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Record> records_;  // ordered by id = accept order
  size_t callbacks_ = 0;
  std::vector<std::string> violations_;
};

class TcpTransportTest : public ::testing::Test {
 protected:
  std::shared_ptr<Transport> Load(TestPluginHost& host) {
    auto r = PluginLoader(SPROCKET_PLUGIN_DIR).CreateTransport("tcp", host);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r.value()) : nullptr;
  }
  void Start() {
    transport_ = Load(host_);
    ASSERT_TRUE(transport_);
    Status s = transport_->Start(&sink_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    port_ = transport_->BoundEndpoints().at(0).port;
  }
  void TearDown() override {
    if (transport_) transport_->Stop();
    for (const std::string& v : sink_.Violations()) ADD_FAILURE() << v;
  }

  TestPluginHost host_{2, {{"bindAddress", "127.0.0.1"}, {"listenPort", "0"}}};
  RecordingSink sink_;
  std::shared_ptr<Transport> transport_;  // last: stopped and destroyed before the sink
  uint16_t port_ = 0;
};

TEST_F(TcpTransportTest, DeliversFramesIntactManyPerWrite) {
  Start();
  std::vector<std::string> bodies = {Body(4, 1), Body(100, 2), Body(300 * 1024, 3)};
  for (uint32_t i = 0; i < 50; ++i) bodies.push_back(Body(8 + i, 10 + i));
  std::string wire;
  for (const auto& b : bodies) wire += Frame(b);
  Client c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Write(wire));  // one write, 53 frames
  auto id = sink_.WaitOpened(1).at(0)->Id();
  ASSERT_TRUE(sink_.WaitUntil([&](auto& rs) { return rs.at(id).frames.size() == bodies.size(); }));
  EXPECT_EQ(sink_.Get(id).frames, bodies);
}

TEST_F(TcpTransportTest, FrameSplitAcrossOneByteWrites) {
  Start();
  Client c(port_);
  const std::string body = Body(40, 7);
  for (char ch : Frame(body)) {
    ASSERT_TRUE(c.Write(std::string_view(&ch, 1)));
    std::this_thread::sleep_for(1ms);  // so the bytes arrive in separate reads
  }
  const std::string second = Body(5, 8);
  ASSERT_TRUE(c.Write(Frame(second)));
  auto id = sink_.WaitOpened(1).at(0)->Id();
  ASSERT_TRUE(sink_.WaitUntil([&](auto& rs) { return rs.at(id).frames.size() == 2; }));
  EXPECT_EQ(sink_.Get(id).frames, (std::vector<std::string>{body, second}));
}

TEST_F(TcpTransportTest, OversizeLengthClosesOnlyThatConnectionWithoutAllocating) {
  sink_.echo = true;
  Start();
  Client good(port_);
  ASSERT_TRUE(good.Write(Frame(Body(10, 1))));
  ASSERT_EQ(good.ReadFrame(), Body(10, 1));

  // Control: a valid 2 MiB length makes the transport size its buffer for the frame, and the
  // tracker sees it. So the tracker does see the plugin's allocations. (Under a sanitizer,
  // whose runtime owns operator new, it cannot; then only the closing is checked.)
  g_largest = 0;
  g_track = true;
  bool tracker_sees_plugin = false;
  {
    Client big(port_);
    ASSERT_TRUE(big.Write(Prefix(2 * 1024 * 1024) + "abcd"));
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (!tracker_sees_plugin && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
      tracker_sees_plugin = g_largest >= 2 * 1024 * 1024;
    }
  }
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  EXPECT_TRUE(tracker_sees_plugin) << "the allocation tracker does not see the plugin's buffer";
#endif

  // 2 GiB announced, and just one byte over the limit: closed, nothing sized for them.
  for (uint32_t len : {0x7FFFFFF0u, static_cast<uint32_t>(host_.MaxFrameBytes() - 4 + 1)}) {
    g_largest = 0;
    Client bad(port_);
    ASSERT_TRUE(bad.Write(Prefix(len) + "abcdefgh"));
    EXPECT_TRUE(bad.WaitClosed()) << "length " << len;
    if (tracker_sees_plugin) {
      EXPECT_LT(g_largest.load(), size_t{1024 * 1024}) << "length " << len;
    }
  }
  g_track = false;

  ASSERT_TRUE(good.Write(Frame(Body(20, 2))));
  EXPECT_EQ(good.ReadFrame(), Body(20, 2));
  EXPECT_TRUE(sink_.WaitUntil([](auto& rs) {
    int closed = 0;
    for (auto& [id, r] : rs) closed += r.closes;
    return closed == 3;  // big (client left), and the two bad ones
  }));
}

TEST_F(TcpTransportTest, LengthBelowFourClosesTheConnection) {
  Start();
  for (uint32_t len : {0u, 3u}) {
    Client bad(port_);
    ASSERT_TRUE(bad.Write(Prefix(len) + "xyz"));
    EXPECT_TRUE(bad.WaitClosed()) << "length " << len;
  }
  EXPECT_TRUE(sink_.WaitUntil([](auto& rs) {
    return rs.size() == 2 && rs.begin()->second.why == "frame length below 4" &&
           rs.rbegin()->second.why == "frame length below 4";
  }));
}

TEST_F(TcpTransportTest, AbruptPeerCloseMidFrame) {
  Start();
  {
    Client rude(port_);
    ASSERT_TRUE(rude.Write(Prefix(1000) + "only part of it"));
    sink_.WaitOpened(1);
    rude.Reset();
  }
  {
    Client leaves(port_);
    ASSERT_TRUE(leaves.Write(Prefix(1000) + "also partial"));
    sink_.WaitOpened(2);
  }  // FIN
  EXPECT_TRUE(sink_.WaitUntil([](auto& rs) {
    return rs.size() == 2 && rs.begin()->second.closes == 1 && rs.rbegin()->second.closes == 1;
  }));
  for (auto& s : sink_.WaitOpened(2)) EXPECT_TRUE(sink_.Get(s->Id()).frames.empty());

  sink_.echo = true;  // still serving
  Client next(port_);
  ASSERT_TRUE(next.Write(Frame(Body(12, 3))));
  EXPECT_EQ(next.ReadFrame(), Body(12, 3));
}

TEST_F(TcpTransportTest, SendFromForeignThreadsKeepsEachThreadsOrder) {
  Start();
  Client c(port_);
  std::shared_ptr<Session> session = sink_.WaitOpened(1).at(0);
  constexpr int kThreads = 4, kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        session->Send(Frame(std::to_string(t) + ":" + std::to_string(i) + ":" + Body(i % 64, t)));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<int> next(kThreads, 0);
  for (int n = 0; n < kThreads * kPerThread; ++n) {
    auto body = c.ReadFrame();
    ASSERT_TRUE(body) << "frame " << n;
    const int t = std::stoi(body->substr(0, body->find(':')));
    const int i = std::stoi(body->substr(body->find(':') + 1));
    ASSERT_EQ(i, next.at(t)) << "thread " << t;
    next[t]++;
  }
}

TEST_F(TcpTransportTest, EchoesAThousandFrames) {
  sink_.echo = true;
  Start();
  Client c(port_);
  std::vector<std::string> bodies;
  std::string wire;
  for (uint32_t i = 0; i < 1000; ++i) {
    bodies.push_back(Body(4 + (i * 37) % 2000, i));
    wire += Frame(bodies.back());
  }
  ASSERT_TRUE(c.Write(wire));
  for (size_t i = 0; i < bodies.size(); ++i) {
    auto got = c.ReadFrame();
    ASSERT_TRUE(got) << "frame " << i;
    ASSERT_EQ(*got, bodies[i]) << "frame " << i;
  }
}

TEST_F(TcpTransportTest, CloseFromOnFrameSendsQueuedFramesFirst) {
  sink_.on_frame = [](const std::shared_ptr<Session>& s, std::string_view) {
    for (uint32_t i = 0; i < 100; ++i) s->Send(Frame(Body(1000, i)));
    s->Close();
    s->Send(Frame("late"));  // after Close: dropped
  };
  Start();
  Client c(port_);
  ASSERT_TRUE(c.Write(Frame(Body(4, 0)) + Frame(Body(4, 1))));  // the second is never delivered
  for (uint32_t i = 0; i < 100; ++i) ASSERT_EQ(c.ReadFrame(), Body(1000, i)) << i;
  EXPECT_TRUE(c.WaitClosed());
  auto id = sink_.WaitOpened(1).at(0)->Id();
  ASSERT_TRUE(sink_.WaitUntil([&](auto& rs) { return rs.at(id).closes == 1; }));
  EXPECT_EQ(sink_.Get(id).frames.size(), 1u);
}

TEST_F(TcpTransportTest, PauseReadingHoldsFramesBack) {
  Start();
  Client c(port_);
  std::shared_ptr<Session> s = sink_.WaitOpened(1).at(0);
  s->PauseReading(true);
  ASSERT_TRUE(c.Write(Frame(Body(8, 1)) + Frame(Body(8, 2))));
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(sink_.Get(s->Id()).frames.empty());
  s->PauseReading(false);
  ASSERT_TRUE(sink_.WaitUntil([&](auto& rs) { return rs.at(s->Id()).frames.size() == 2; }));
}

TEST_F(TcpTransportTest, SinkExceptionClosesOnlyThatSession) {
  sink_.on_frame = [](const std::shared_ptr<Session>& s, std::string_view frame) {
    if (frame == "boom") throw std::runtime_error("sink failure");
    s->Send(Frame(frame));
  };
  Start();
  Client bad(port_), good(port_);
  ASSERT_TRUE(bad.Write(Frame("boom")));
  EXPECT_TRUE(bad.WaitClosed());
  ASSERT_TRUE(good.Write(Frame("fine")));
  EXPECT_EQ(good.ReadFrame(), "fine");
}

TEST_F(TcpTransportTest, StopClosesLiveConnectionsAndNoCallbackFollows) {
  Start();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(std::make_unique<Client>(port_));
  ASSERT_TRUE(clients[0]->Write(Prefix(100) + "partial"));
  auto sessions = sink_.WaitOpened(5);

  transport_->Stop();
  for (auto& s : sessions) {
    EXPECT_EQ(sink_.Get(s->Id()).closes, 1);
    EXPECT_EQ(sink_.Get(s->Id()).why, "transport stopped");
  }
  const size_t callbacks = sink_.Callbacks();
  for (auto& c : clients) EXPECT_TRUE(c->WaitClosed());
  EXPECT_FALSE(Client(port_).connected());  // the listener is closed when Stop returns
  // The kernel may still hold sessions: using them is harmless and silent.
  sessions[1]->Send(Frame("after stop"));
  sessions[1]->PauseReading(false);
  sessions[1]->Close();
  transport_->Stop();  // idempotent
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sink_.Callbacks(), callbacks);
}

TEST_F(TcpTransportTest, EphemeralPortsForMainAndVip) {
  host_.SetOption("vipListenPort", "0");
  Start();
  auto endpoints = transport_->BoundEndpoints();
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_EQ(endpoints[0].label, "main");
  EXPECT_EQ(endpoints[1].label, "vip");
  for (auto& e : endpoints) {
    EXPECT_EQ(e.address, "127.0.0.1");
    EXPECT_NE(e.port, 0);
  }
  EXPECT_NE(endpoints[0].port, endpoints[1].port);

  Client main_client(endpoints[0].port);
  auto first = sink_.WaitOpened(1).at(0);
  Client vip_client(endpoints[1].port);
  auto both = sink_.WaitOpened(2);
  EXPECT_EQ(both[0]->Listener(), "main");
  EXPECT_EQ(both[1]->Listener(), "vip");
  EXPECT_NE(both[0]->Id(), both[1]->Id());
  EXPECT_EQ(first->Peer().rfind("127.0.0.1:", 0), 0u) << first->Peer();
}

TEST_F(TcpTransportTest, SessionsSpreadOverIoThreads) {
  Start();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    sink_.WaitOpened(static_cast<size_t>(i) + 1);  // accept order = round-robin order
  }
  std::set<std::thread::id> threads;
  for (auto& s : sink_.WaitOpened(4)) threads.insert(sink_.Get(s->Id()).thread);
  EXPECT_EQ(threads.size(), 2u);  // the host runs two io threads
}

TEST_F(TcpTransportTest, StartFailsWhenThePortIsTaken) {
  Start();
  TestPluginHost other(1, {{"bindAddress", "127.0.0.1"}, {"listenPort", std::to_string(port_)}});
  auto second = Load(other);
  ASSERT_TRUE(second);
  RecordingSink sink;
  Status s = second->Start(&sink);
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("127.0.0.1:" + std::to_string(port_) + " (main)"), std::string::npos)
      << s.message();
  EXPECT_TRUE(second->BoundEndpoints().empty());
}

}  // namespace
}  // namespace sprocket
