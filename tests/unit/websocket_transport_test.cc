// The websocket transport plugin, loaded through PluginLoader exactly as the broker loads it,
// driven by a Boost.Beast WebSocket client (its own io_context, independent of the plugin's
// copy of Beast) and by plain POSIX sockets for what no WebSocket client would send.
#include <arpa/inet.h>
#include <netinet/in.h>
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

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <gtest/gtest.h>

#include "plugin_host/plugin_loader.h"
#include "support/test_plugin_host.h"

// ---- Allocation tracking ----
// Replaces the global operator new of this executable; the plugin's allocations resolve to
// it too (the executable comes first in symbol lookup). Lets a test prove that a hostile
// message length is refused before anything is allocated for it.
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
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

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

// A WebSocket client on its own io_context. Every call is synchronous and bounded in time:
// it starts the asynchronous operation and runs the io_context until it completes or the
// time is up (then the connection is cut).
class WsClient {
 public:
  explicit WsClient(uint16_t port, const std::string& target = "/") {
    boost::system::error_code ec = Run(
        [&](auto handler) {
          beast::get_lowest_layer(ws_).async_connect(
              asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), handler);
        },
        kWait);
    if (ec) return;
    ec = Run(
        [&](auto handler) {
          ws_.async_handshake(response_, "127.0.0.1:" + std::to_string(port), target, handler);
        },
        kWait);
    open_ = !ec;
    ws_.binary(true);
  }

  bool open() const { return open_; }
  // The HTTP status of the handshake's response: 101 when the upgrade was accepted.
  unsigned status() const { return response_.result_int(); }

  bool WriteMessage(std::string_view bytes, bool binary = true) {
    ws_.binary(binary);
    return !Run([&](auto handler) { ws_.async_write(asio::buffer(bytes.data(), bytes.size()), handler); },
                kWait);
  }
  bool WriteFrame(std::string_view body) { return WriteMessage(Frame(body)); }
  // Raw bytes under the WebSocket layer (for frames no WebSocket client would build).
  bool WriteRaw(const std::string& bytes) {
    return !Run(
        [&](auto handler) {
          asio::async_write(beast::get_lowest_layer(ws_).socket(), asio::buffer(bytes), handler);
        },
        kWait);
  }

  // One message, or nullopt on close, error or timeout.
  std::optional<std::string> ReadMessage(std::chrono::milliseconds timeout = kWait) {
    buffer_.clear();
    if (Run([&](auto handler) { ws_.async_read(buffer_, handler); }, timeout)) return std::nullopt;
    last_binary_ = ws_.got_binary();
    return beast::buffers_to_string(buffer_.data());
  }
  // One frame's body: the message must be binary and its prefix must match its size.
  std::optional<std::string> ReadFrame() {
    auto m = ReadMessage();
    if (!m) return std::nullopt;
    EXPECT_TRUE(last_binary_) << "a frame came in a text message";
    if (m->size() < 4 || *m != Frame(m->substr(4))) {
      ADD_FAILURE() << "message of " << m->size() << " bytes is not one length-prefixed frame";
      return std::nullopt;
    }
    return m->substr(4);
  }

  // Reads (and drops) messages until the connection ends. Returns the close code the server
  // sent, -1 if the connection ended without a close frame, 0 if it is still open at timeout.
  int WaitClosed(std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return 0;
      buffer_.clear();
      boost::system::error_code ec = Run([&](auto handler) { ws_.async_read(buffer_, handler); }, left);
      if (!ec) continue;
      if (ec == websocket::error::closed) return ws_.reason().code;
      if (ec == asio::error::timed_out) return 0;
      return -1;
    }
  }

  // Starts a normal close handshake and waits for it.
  bool CloseNormally() {
    return !Run([&](auto handler) { ws_.async_close(websocket::close_code::normal, handler); }, kWait);
  }

 private:
  template <typename Start>
  boost::system::error_code Run(Start&& start, std::chrono::milliseconds timeout) {
    std::optional<boost::system::error_code> result;
    start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!result) {
      beast::get_lowest_layer(ws_).close();  // cancels the operation
      ioc_.restart();
      ioc_.run();
      return asio::error::timed_out;
    }
    return *result;
  }

  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_{ioc_};
  websocket::response_type response_;
  beast::flat_buffer buffer_;
  bool open_ = false;
  bool last_binary_ = false;
};

// A plain TCP client for bytes that are not a WebSocket handshake.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() {
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
  // Everything the server sends until it closes; nullopt if it is still open at timeout.
  std::optional<std::string> ReadUntilClosed(std::chrono::milliseconds timeout = kWait) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return std::nullopt;
      }
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return out;  // EOF or reset: closed
      out.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// A masked client frame header announcing `length` payload bytes (FIN set), as a client
// sends it; the mask key is zero so that payload bytes go out as they are.
std::string ClientFrameHeader(uint8_t opcode, uint64_t length) {
  std::string h;
  h.push_back(static_cast<char>(0x80 | opcode));
  if (length < 126) {
    h.push_back(static_cast<char>(0x80 | length));
  } else if (length <= 0xFFFF) {
    h.push_back(static_cast<char>(0x80 | 126));
    h.push_back(static_cast<char>(length >> 8));
    h.push_back(static_cast<char>(length));
  } else {
    h.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) h.push_back(static_cast<char>(length >> shift));
  }
  h.append(4, '\0');  // mask key
  return h;
}

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
    int inside = 0;
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

  bool WaitUntil(const std::function<bool(const std::map<uint64_t, Record>&)>& pred,
                 std::chrono::milliseconds timeout = kWait) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(records_); });
  }
  std::vector<std::shared_ptr<Session>> WaitOpened(size_t n) {
    EXPECT_TRUE(WaitUntil([&](auto& rs) { return rs.size() >= n; })) << "sessions did not open";
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::shared_ptr<Session>> out;
    for (auto& [id, r] : records_) out.push_back(r.session);
    return out;
  }
  // Waits until the session has closed; returns its reason ("" if it did not close).
  std::string WaitClosedWhy(uint64_t id) {
    WaitUntil([&](auto& rs) { return rs.count(id) && rs.at(id).closes == 1; });
    return Get(id).why;
  }
  Record Get(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    return records_[id];
  }
  size_t Sessions() {
    std::lock_guard<std::mutex> lock(mu_);
    return records_.size();
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

class WsTransportTest : public ::testing::Test {
 protected:
  Result<std::shared_ptr<Transport>> Load(TestPluginHost& host) {
    auto r = PluginLoader(SPROCKET_PLUGIN_DIR).CreateTransport("websocket", host);
    if (!r.ok()) return r.status();
    return std::shared_ptr<Transport>(std::move(r.value()));
  }
  void Start() {
    auto t = Load(host_);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    transport_ = *t;
    Status s = transport_->Start(&sink_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    port_ = transport_->BoundEndpoints().at(0).port;
  }
  void TearDown() override {
    if (transport_) transport_->Stop();
    for (const std::string& v : sink_.Violations()) ADD_FAILURE() << v;
  }
  // A new client gets its frame echoed (the sink must echo).
  void ExpectFreshSessionWorks(uint32_t seed) {
    WsClient c(port_);
    ASSERT_TRUE(c.open()) << "status " << c.status();
    ASSERT_TRUE(c.WriteFrame(Body(64, seed)));
    EXPECT_EQ(c.ReadFrame(), Body(64, seed));
  }

  TestPluginHost host_{2, {{"bindAddress", "127.0.0.1"}, {"websocketListenPort", "0"}}};
  RecordingSink sink_;
  std::shared_ptr<Transport> transport_;  // last: stopped and destroyed before the sink
  uint16_t port_ = 0;
};

TEST_F(WsTransportTest, EchoesFramesThroughAWebSocketClient) {
  sink_.echo = true;
  Start();
  auto endpoints = transport_->BoundEndpoints();
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(endpoints[0].label, "ws");
  EXPECT_EQ(endpoints[0].address, "127.0.0.1");  // bindAddress is the fallback
  EXPECT_NE(endpoints[0].port, 0);

  WsClient c(port_);
  ASSERT_TRUE(c.open());
  EXPECT_EQ(c.status(), 101u);
  for (size_t size : {size_t{4}, size_t{5}, size_t{125}, size_t{126}, size_t{65536}, size_t{300 * 1024}}) {
    ASSERT_TRUE(c.WriteFrame(Body(size, static_cast<uint32_t>(size))));
    ASSERT_EQ(c.ReadFrame(), Body(size, static_cast<uint32_t>(size))) << size;
  }
  auto s = sink_.WaitOpened(1).at(0);
  EXPECT_EQ(s->Listener(), "ws");
  EXPECT_EQ(s->Peer().rfind("127.0.0.1:", 0), 0u) << s->Peer();

  EXPECT_TRUE(c.CloseNormally());
  EXPECT_EQ(sink_.WaitClosedWhy(s->Id()), "peer closed the WebSocket (code 1000)");
}

TEST_F(WsTransportTest, FramesInARowArriveInOrder) {
  Start();
  WsClient c(port_);
  ASSERT_TRUE(c.open());
  std::vector<std::string> bodies;
  for (uint32_t i = 0; i < 300; ++i) {
    bodies.push_back(Body(4 + (i * 37) % 3000, i));
    ASSERT_TRUE(c.WriteFrame(bodies.back()));  // none is answered; they queue up
  }
  auto id = sink_.WaitOpened(1).at(0)->Id();
  ASSERT_TRUE(sink_.WaitUntil([&](auto& rs) { return rs.at(id).frames.size() == bodies.size(); }));
  EXPECT_EQ(sink_.Get(id).frames, bodies);
}

TEST_F(WsTransportTest, SendFromForeignThreadsKeepsEachThreadsOrder) {
  Start();
  WsClient c(port_);
  ASSERT_TRUE(c.open());
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
    auto body = c.ReadFrame();  // also checks: binary, one frame per message
    ASSERT_TRUE(body) << "frame " << n;
    const int t = std::stoi(body->substr(0, body->find(':')));
    const int i = std::stoi(body->substr(body->find(':') + 1));
    ASSERT_EQ(i, next.at(t)) << "thread " << t;
    next[t]++;
  }
  // A malformed outgoing frame (prefix disagrees with size) is dropped, not sent.
  session->Send(Prefix(10) + "abc");
  session->Send(Frame("after"));
  EXPECT_EQ(c.ReadFrame(), "after");
}

TEST_F(WsTransportTest, TextMessageClosesWith1003) {
  sink_.echo = true;
  Start();
  WsClient c(port_);
  ASSERT_TRUE(c.open());
  ASSERT_TRUE(c.WriteMessage(Frame("looks like a frame"), /*binary=*/false));
  EXPECT_EQ(c.WaitClosed(), 1003);
  auto id = sink_.WaitOpened(1).at(0)->Id();
  EXPECT_EQ(sink_.WaitClosedWhy(id), "text message");
  EXPECT_TRUE(sink_.Get(id).frames.empty());
  // Text that is not UTF-8 fails Beast's own check first: 1007, closed all the same.
  WsClient not_utf8(port_);
  ASSERT_TRUE(not_utf8.open());
  ASSERT_TRUE(not_utf8.WriteMessage(Frame("\xC0\x80\xFF\xFE"), /*binary=*/false));
  EXPECT_EQ(not_utf8.WaitClosed(), 1007);
  auto sessions = sink_.WaitOpened(2);
  EXPECT_NE(sink_.WaitClosedWhy(sessions[1]->Id()), "");
  EXPECT_TRUE(sink_.Get(sessions[1]->Id()).frames.empty());
  ExpectFreshSessionWorks(1);
}

TEST_F(WsTransportTest, OversizeMessageClosesWith1009) {
  host_.SetMaxFrameBytes(64 * 1024);
  sink_.echo = true;
  Start();
  // Exactly the maximum (prefix included) passes.
  {
    WsClient at_limit(port_);
    ASSERT_TRUE(at_limit.open());
    ASSERT_TRUE(at_limit.WriteFrame(Body(64 * 1024 - 4, 1)));
    EXPECT_EQ(at_limit.ReadFrame(), Body(64 * 1024 - 4, 1));
  }
  // One byte more is refused with 1009, and the connection closed.
  WsClient over(port_);
  ASSERT_TRUE(over.open());
  ASSERT_TRUE(over.WriteFrame(Body(64 * 1024 - 3, 2)));
  EXPECT_EQ(over.WaitClosed(), 1009);
  auto sessions = sink_.WaitOpened(2);
  EXPECT_EQ(sink_.WaitClosedWhy(sessions[1]->Id()), "frame larger than the maximum");
  EXPECT_TRUE(sink_.Get(sessions[1]->Id()).frames.empty());
  ExpectFreshSessionWorks(2);
}

TEST_F(WsTransportTest, HostileMessageLengthIsRefusedBeforeAllocating) {
  sink_.echo = true;
  Start();
  // Control: a frame header announcing a legitimate 2 MiB message, then part of it, makes the
  // plugin size its read buffer for the rest, and the tracker sees it. So the tracker does
  // see the plugin's allocations. (Under a sanitizer, whose runtime owns operator new, it
  // cannot; then only the closing is checked.)
  WsClient big(port_);
  ASSERT_TRUE(big.open());
  const std::string partial = ClientFrameHeader(0x2, 2 * 1024 * 1024) + std::string(8000, 'p');
  g_largest = 0;
  g_track = true;
  ASSERT_TRUE(big.WriteRaw(partial));
  bool tracker_sees_plugin = false;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!tracker_sees_plugin && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
    tracker_sees_plugin = g_largest >= 1024 * 1024;
  }
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  EXPECT_TRUE(tracker_sees_plugin) << "the allocation tracker does not see the plugin's buffer";
#endif
  // A frame header announcing 2 GiB, and one just over the limit, then a few bytes: closed
  // with 1009, nothing sized for them.
  for (uint64_t len : {uint64_t{0x7FFFFFF0}, uint64_t{host_.MaxFrameBytes() + 1}}) {
    WsClient bad(port_);
    ASSERT_TRUE(bad.open());
    g_largest = 0;
    ASSERT_TRUE(bad.WriteRaw(ClientFrameHeader(0x2, len) + "abcdefgh"));
    EXPECT_EQ(bad.WaitClosed(), 1009) << "length " << len;
    if (tracker_sees_plugin) {
      EXPECT_LT(g_largest.load(), size_t{1024 * 1024}) << "length " << len;
    }
  }
  g_track = false;
  ExpectFreshSessionWorks(3);
}

TEST_F(WsTransportTest, LengthPrefixMismatchClosesWith1002) {
  sink_.echo = true;
  Start();
  const std::vector<std::string> bad = {
      Prefix(11) + "0123456789",      // prefix one more than what follows
      Prefix(9) + "0123456789",       // one less: a second frame may not hide in the message
      Frame("abcd") + Frame("efgh"),  // two frames in one message
      std::string("\0\0\0", 3),       // no room for a prefix
      Prefix(0),                      // length below 4 (no header-length word)
      Prefix(2) + "ab",
      "",  // empty message
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    WsClient c(port_);
    ASSERT_TRUE(c.open()) << i;
    ASSERT_TRUE(c.WriteMessage(bad[i])) << i;
    EXPECT_EQ(c.WaitClosed(), 1002) << "case " << i;
  }
  auto sessions = sink_.WaitOpened(bad.size());
  for (auto& s : sessions) {
    EXPECT_NE(sink_.WaitClosedWhy(s->Id()), "");
    EXPECT_TRUE(sink_.Get(s->Id()).frames.empty());
  }
  EXPECT_EQ(sink_.Get(sessions[0]->Id()).why, "frame length does not match the message size");
  EXPECT_EQ(sink_.Get(sessions[4]->Id()).why, "frame length below 4");
  ExpectFreshSessionWorks(4);
}

TEST_F(WsTransportTest, GarbageInsteadOfAnUpgradeIsClosedWithoutASession) {
  sink_.echo = true;
  Start();
  WsClient good(port_);  // opened before the bad ones, used after them
  ASSERT_TRUE(good.open());

  const std::vector<std::string> garbage = {
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(64, 'x'),
      "\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",  // a plain GET: not an upgrade
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
      // An upgrade without a Sec-WebSocket-Key: Beast refuses it.
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(20000, 'a') + "\r\n\r\n",
      std::string(100, '\0'),
      // A valid upgrade with bytes after it: a client must wait for the 101 before sending.
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
      "\x82\x84\0\0\0\0abcd",
  };
  for (size_t i = 0; i < garbage.size(); ++i) {
    RawClient c(port_);
    ASSERT_TRUE(c.connected());
    c.Write(garbage[i]);  // the server may close before taking it all
    auto answer = c.ReadUntilClosed();
    ASSERT_TRUE(answer) << "case " << i << ": still open";
    EXPECT_EQ(answer->rfind("HTTP/1.1 400", 0), 0u) << "case " << i << ": " << *answer;
  }
  // A peer that connects and leaves, or sends half a request and leaves.
  { RawClient c(port_); }
  {
    RawClient c(port_);
    c.Write("GET / HTTP/1.1\r\nHost");
  }
  ASSERT_TRUE(good.WriteFrame("still here"));
  EXPECT_EQ(good.ReadFrame(), "still here");
  ExpectFreshSessionWorks(5);
  EXPECT_EQ(sink_.Sessions(), 2u);  // the refused connections never reached the sink
}

TEST_F(WsTransportTest, SilentConnectionIsDroppedAfterTheHandshakeTimeout) {
  Start();
  const auto begin = std::chrono::steady_clock::now();
  RawClient silent(port_);
  RawClient slow(port_);
  ASSERT_TRUE(slow.Write("GET / HTTP/1.1\r\nHost: x\r\n"));  // and never the rest
  EXPECT_TRUE(silent.ReadUntilClosed(20s));
  EXPECT_TRUE(slow.ReadUntilClosed(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 9s);  // 10 s allowed for the request
  EXPECT_EQ(sink_.Sessions(), 0u);
}

TEST_F(WsTransportTest, OtherPathsGet404) {
  host_.SetOption("websocketPath", "/rocketmq");
  sink_.echo = true;
  Start();
  for (const char* target : {"/", "/rocketmq/x", "/rocket", "/ROCKETMQ"}) {
    WsClient c(port_, target);
    EXPECT_FALSE(c.open()) << target;
    EXPECT_EQ(c.status(), 404u) << target;
  }
  {
    RawClient raw(port_);
    raw.Write("GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n");
    auto answer = raw.ReadUntilClosed();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->rfind("HTTP/1.1 404", 0), 0u) << *answer;
  }
  for (const char* target : {"/rocketmq", "/rocketmq?token=abc"}) {
    WsClient c(port_, target);
    ASSERT_TRUE(c.open()) << target;
    ASSERT_TRUE(c.WriteFrame(Body(8, 1)));
    EXPECT_EQ(c.ReadFrame(), Body(8, 1));
  }
  EXPECT_EQ(sink_.Sessions(), 2u);
}

TEST_F(WsTransportTest, SinkExceptionClosesOnlyThatSessionWith1011) {
  sink_.on_frame = [](const std::shared_ptr<Session>& s, std::string_view frame) {
    if (frame == "boom") throw std::runtime_error("sink failure");
    s->Send(Frame(frame));
  };
  Start();
  WsClient bad(port_), good(port_);
  ASSERT_TRUE(bad.open());
  ASSERT_TRUE(good.open());
  ASSERT_TRUE(bad.WriteFrame("boom"));
  EXPECT_EQ(bad.WaitClosed(), 1011);
  ASSERT_TRUE(good.WriteFrame("fine"));
  EXPECT_EQ(good.ReadFrame(), "fine");
}

TEST_F(WsTransportTest, CloseFromOnFrameSendsQueuedFramesFirst) {
  sink_.on_frame = [](const std::shared_ptr<Session>& s, std::string_view) {
    for (uint32_t i = 0; i < 100; ++i) s->Send(Frame(Body(1000, i)));
    s->Close();
    s->Send(Frame("late"));  // after Close: dropped
  };
  Start();
  WsClient c(port_);
  ASSERT_TRUE(c.open());
  ASSERT_TRUE(c.WriteFrame(Body(4, 0)));
  ASSERT_TRUE(c.WriteFrame(Body(4, 1)));  // never delivered: the session is closing
  for (uint32_t i = 0; i < 100; ++i) ASSERT_EQ(c.ReadFrame(), Body(1000, i)) << i;
  EXPECT_EQ(c.WaitClosed(), 1000);
  auto id = sink_.WaitOpened(1).at(0)->Id();
  EXPECT_EQ(sink_.WaitClosedWhy(id), "closed by the server");
  EXPECT_EQ(sink_.Get(id).frames.size(), 1u);
}

TEST_F(WsTransportTest, PauseReadingHoldsFramesBack) {
  Start();
  WsClient c(port_);
  ASSERT_TRUE(c.open());
  std::shared_ptr<Session> s = sink_.WaitOpened(1).at(0);
  s->PauseReading(true);
  // The read already waiting takes the first frame; nothing after it is delivered.
  ASSERT_TRUE(c.WriteFrame(Body(8, 1)));
  ASSERT_TRUE(c.WriteFrame(Body(8, 2)));
  ASSERT_TRUE(c.WriteFrame(Body(8, 3)));
  std::this_thread::sleep_for(200ms);
  EXPECT_LE(sink_.Get(s->Id()).frames.size(), 1u);
  s->PauseReading(false);
  ASSERT_TRUE(sink_.WaitUntil([&](auto& rs) { return rs.at(s->Id()).frames.size() == 3; }));
  EXPECT_EQ(sink_.Get(s->Id()).frames, (std::vector<std::string>{Body(8, 1), Body(8, 2), Body(8, 3)}));
}

TEST_F(WsTransportTest, PeerThatDoesNotReadIsClosedPastTheQueueLimit) {
  sink_.echo = true;  // for the fresh session at the end; this client sends nothing
  Start();
  WsClient c(port_);  // never reads
  ASSERT_TRUE(c.open());
  std::shared_ptr<Session> s = sink_.WaitOpened(1).at(0);
  // 64 MiB may be queued (MaxFrameBytes is 16 MiB, 4 x that); 100 MiB cannot all be.
  const std::string frame = Frame(Body(1024 * 1024 - 4, 9));
  for (int i = 0; i < 100; ++i) s->Send(frame);
  EXPECT_EQ(sink_.WaitClosedWhy(s->Id()), "send queue full");
  ExpectFreshSessionWorks(6);
}

TEST_F(WsTransportTest, StopClosesLiveConnectionsAndNoCallbackFollows) {
  Start();
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<WsClient>(port_));
    ASSERT_TRUE(clients.back()->open());
  }
  RawClient silent(port_);  // connected, handshake never sent
  RawClient partial(port_);
  partial.Write("GET / HTTP/1.1\r\n");
  ASSERT_TRUE(clients[0]->WriteRaw(ClientFrameHeader(0x2, 100) + "partial"));
  auto sessions = sink_.WaitOpened(4);

  const auto begin = std::chrono::steady_clock::now();
  transport_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 3s);  // no handshake waits out its timeout
  for (auto& s : sessions) {
    EXPECT_EQ(sink_.Get(s->Id()).closes, 1);
    EXPECT_EQ(sink_.Get(s->Id()).why, "transport stopped");
  }
  const size_t callbacks = sink_.Callbacks();
  for (auto& c : clients) EXPECT_EQ(c->WaitClosed(), -1);  // cut, no close handshake
  EXPECT_TRUE(silent.ReadUntilClosed());
  EXPECT_TRUE(partial.ReadUntilClosed());
  EXPECT_FALSE(RawClient(port_).connected());  // the listener is closed when Stop returns
  sessions[1]->Send(Frame("after stop"));
  sessions[1]->PauseReading(false);
  sessions[1]->Close();
  transport_->Stop();  // idempotent
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sink_.Callbacks(), callbacks);
}

TEST_F(WsTransportTest, SessionsSpreadOverIoThreads) {
  Start();
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<WsClient>(port_));
    ASSERT_TRUE(clients.back()->open());
    sink_.WaitOpened(static_cast<size_t>(i) + 1);
  }
  std::set<std::thread::id> threads;
  for (auto& s : sink_.WaitOpened(4)) threads.insert(sink_.Get(s->Id()).thread);
  EXPECT_EQ(threads.size(), 2u);  // the host runs two io threads
}

TEST_F(WsTransportTest, OptionsAreCheckedWithClearErrors) {
  {
    TestPluginHost host(1, {{"bindAddress", "127.0.0.1"}});
    auto t = Load(host);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(t.status().message().find("websocketListenPort is not set"), std::string::npos)
        << t.status().message();
  }
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"websocketListenPort", "http"}}, "websocketListenPort \"http\""},
      {{{"websocketListenPort", "65536"}}, "websocketListenPort \"65536\""},
      {{{"websocketListenPort", "0"}, {"websocketBindAddress", "localhost"}},
       "websocketBindAddress \"localhost\""},
      {{{"websocketListenPort", "0"}, {"bindAddress", "nowhere"}}, "bindAddress \"nowhere\""},
      {{{"websocketListenPort", "0"}, {"websocketPath", "rocketmq"}}, "websocketPath"},
      {{{"websocketListenPort", "0"}, {"websocketPath", "/a b"}}, "websocketPath"},
  };
  for (const auto& [options, expected] : cases) {
    TestPluginHost host(1, options);
    auto t = Load(host);
    ASSERT_FALSE(t.ok()) << expected;
    EXPECT_NE(t.status().message().find(expected), std::string::npos) << t.status().message();
  }
  // websocketBindAddress wins over bindAddress.
  TestPluginHost host(
      1, {{"bindAddress", "0.0.0.0"}, {"websocketBindAddress", "127.0.0.1"}, {"websocketListenPort", "0"}});
  auto t = Load(host);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  RecordingSink sink;
  ASSERT_TRUE((*t)->Start(&sink).ok());
  EXPECT_EQ((*t)->BoundEndpoints().at(0).address, "127.0.0.1");
  (*t)->Stop();
}

TEST_F(WsTransportTest, StartFailsWhenThePortIsTaken) {
  Start();
  TestPluginHost other(1, {{"bindAddress", "127.0.0.1"}, {"websocketListenPort", std::to_string(port_)}});
  auto second = Load(other);
  ASSERT_TRUE(second.ok());
  RecordingSink sink;
  Status s = (*second)->Start(&sink);
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("127.0.0.1:" + std::to_string(port_) + " (ws)"), std::string::npos)
      << s.message();
  EXPECT_TRUE((*second)->BoundEndpoints().empty());
}

}  // namespace
}  // namespace sprocket
