// mqnamesrv and mqbroker as processes with transportPlugins=tcp,websocket, driven over
// WebSocket by a small Boost.Beast client that sends RocketMQ frames, one per binary message
// (what a browser client does): produce, pull, route lookup, and bad input that must close
// only its own connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
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

#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/remoting_command.h"
#include "support/broker_requests.h"
#include "support/test_process.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;
using protocol::RemotingCommand;
using testing::MiniCluster;

constexpr auto kWait = 10s;

// A synchronous RocketMQ client over WebSocket: every call runs its own io_context until the
// operation completes or the time is up (then the connection is cut).
class WsRemotingClient {
 public:
  explicit WsRemotingClient(int port) {
    auto ec = Run(
        [&](auto h) {
          beast::get_lowest_layer(ws_).async_connect(
              asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)), h);
        },
        kWait);
    if (!ec) {
      ec = Run([&](auto h) { ws_.async_handshake("127.0.0.1", "/", h); }, kWait);
    }
    open_ = !ec;
    ws_.binary(true);
  }
  bool open() const { return open_; }

  // Sends `req` as one binary message and waits for the response with its opaque (requests
  // the server sends meanwhile are skipped).
  Result<RemotingCommand> Call(RemotingCommand req) {
    req.opaque = next_opaque_++;
    if (!WriteMessage(protocol::EncodeFrame(req))) return Status::IOError("write failed");
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = ReadMessage();
      if (!m) return Status::IOError("connection closed or timed out");
      if (!ws_.got_binary()) return Status::Corruption("response in a text message");
      if (m->size() < 4 || ReadBigEndian32(m->data()) != m->size() - 4) {
        return Status::Corruption("message is not exactly one frame");
      }
      auto cmd = protocol::DecodeFrame(std::string_view(*m).substr(4));
      if (!cmd.ok()) return cmd.status();
      if (cmd->IsResponse() && cmd->opaque == req.opaque) return cmd;
    }
    return Status::Timeout("no response");
  }

  bool WriteMessage(const std::string& bytes, bool binary = true) {
    ws_.binary(binary);
    return !Run([&](auto h) { ws_.async_write(asio::buffer(bytes), h); }, kWait);
  }
  bool WriteRaw(const std::string& bytes) {
    return !Run(
        [&](auto h) { asio::async_write(beast::get_lowest_layer(ws_).socket(), asio::buffer(bytes), h); },
        kWait);
  }
  std::optional<std::string> ReadMessage(std::chrono::milliseconds timeout = kWait) {
    buffer_.clear();
    if (Run([&](auto h) { ws_.async_read(buffer_, h); }, timeout)) return std::nullopt;
    return beast::buffers_to_string(buffer_.data());
  }
  // The close code the server sent, -1 if the connection ended without one, 0 if still open.
  int WaitClosed() {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      buffer_.clear();
      auto ec = Run([&](auto h) { ws_.async_read(buffer_, h); }, kWait);
      if (!ec) continue;
      if (ec == websocket::error::closed) return ws_.reason().code;
      return ec == asio::error::timed_out ? 0 : -1;
    }
    return 0;
  }

 private:
  static uint32_t ReadBigEndian32(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
  }
  template <typename Start>
  boost::system::error_code Run(Start&& start, std::chrono::milliseconds timeout) {
    std::optional<boost::system::error_code> result;
    start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!result) {
      beast::get_lowest_layer(ws_).close();
      ioc_.restart();
      ioc_.run();
      return asio::error::timed_out;
    }
    return *result;
  }

  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_{ioc_};
  beast::flat_buffer buffer_;
  bool open_ = false;
  int32_t next_opaque_ = 1;
};

// Everything a plain TCP peer gets back until the server closes; nullopt if still open.
std::optional<std::string> RawExchange(int port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::optional<std::string> out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::string got;
    char buf[4096];
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        out = got;
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

// A masked client frame header (zero mask key) announcing `length` payload bytes.
std::string ClientFrameHeader(uint8_t opcode, uint64_t length) {
  std::string h;
  h.push_back(static_cast<char>(0x80 | opcode));
  h.push_back(static_cast<char>(0x80 | 127));
  for (int shift = 56; shift >= 0; shift -= 8) h.push_back(static_cast<char>(length >> shift));
  h.append(4, '\0');
  return h;
}

MiniCluster::Options WithWebSocket() {
  MiniCluster::Options o;
  o.broker_extra = {{"transportPlugins", "tcp,websocket"}, {"websocketListenPort", "0"}};
  o.namesrv_extra = {{"transportPlugins", "tcp,websocket"}, {"websocketListenPort", "0"}};
  return o;
}

// The "Sprocket endpoints:" line a program printed at start.
std::string EndpointsLine(testing::ChildProcess& p) {
  for (const auto& line : p.Lines()) {
    if (line.rfind("Sprocket endpoints:", 0) == 0) return line;
  }
  return "";
}

class WebSocketClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(cluster_.broker_port(), 0) << cluster_.broker().Stderr();
    broker_line_ = EndpointsLine(cluster_.broker());
    namesrv_line_ = EndpointsLine(cluster_.namesrv());
    broker_ws_ = testing::ParseEndpoints(broker_line_)["ws"];
    namesrv_ws_ = testing::ParseEndpoints(namesrv_line_)["ws"];
    ASSERT_GT(broker_ws_, 0) << broker_line_;
    ASSERT_GT(namesrv_ws_, 0) << namesrv_line_;
  }

  MiniCluster cluster_{WithWebSocket()};
  std::string broker_line_, namesrv_line_;
  int broker_ws_ = 0, namesrv_ws_ = 0;
};

TEST_F(WebSocketClusterTest, BothProgramsPrintTheirWebSocketEndpoint) {
  EXPECT_NE(broker_line_.find(" main=127.0.0.1:"), std::string::npos) << broker_line_;
  EXPECT_NE(broker_line_.find(" ws=127.0.0.1:" + std::to_string(broker_ws_)), std::string::npos)
      << broker_line_;
  EXPECT_NE(namesrv_line_.find(" ws=127.0.0.1:" + std::to_string(namesrv_ws_)), std::string::npos)
      << namesrv_line_;
  EXPECT_NE(broker_ws_, cluster_.broker_port());
}

TEST_F(WebSocketClusterTest, ProducesPullsAndLooksUpRoutesOverWebSocket) {
  WsRemotingClient broker(broker_ws_);
  ASSERT_TRUE(broker.open());
  auto created = broker.Call(testing::CreateTopicRequest("WsTopic", 2));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_EQ(created->code, RS::kSuccess) << created->remark.value_or("");

  // The nameserver's WebSocket port serves the route the broker registered over TCP.
  WsRemotingClient namesrv(namesrv_ws_);
  ASSERT_TRUE(namesrv.open());
  auto route_req = RemotingCommand::Request(RC::kGetRouteinfoByTopic);
  route_req.ext.Set("topic", "WsTopic");
  Result<RemotingCommand> route = Status::NotFound("never asked");
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    route = namesrv.Call(route_req);
    ASSERT_TRUE(route.ok()) << route.status().ToString();
    if (route->code == RS::kSuccess) break;
    std::this_thread::sleep_for(25ms);
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(route->code, RS::kSuccess) << route->remark.value_or("");
  auto data = protocol::DecodeTopicRouteData(route->body);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  ASSERT_EQ(data->broker_datas.size(), 1u);
  EXPECT_EQ(data->broker_datas[0].broker_addrs.at(0), cluster_.broker_addr());
  ASSERT_EQ(data->queue_datas.size(), 1u);
  EXPECT_EQ(data->queue_datas[0].write_queue_nums, 2);

  // Produce over WebSocket.
  std::vector<std::string> bodies;
  for (int i = 0; i < 20; ++i) {
    bodies.push_back("ws message " + std::to_string(i) + " " + std::string(i * 50, 'x'));
    auto sent =
        broker.Call(testing::SendV2Request("WsTopic", 1, "TagW", "key" + std::to_string(i), bodies.back()));
    ASSERT_TRUE(sent.ok()) << sent.status().ToString();
    ASSERT_EQ(sent->code, RS::kSuccess) << sent->remark.value_or("");
    EXPECT_EQ(sent->ext.Get("queueId"), "1");
    EXPECT_EQ(sent->ext.Get("queueOffset"), std::to_string(i));
  }
  // One more over TCP: both transports feed the same broker.
  remoting::RemotingClient tcp;
  auto via_tcp =
      testing::Call(tcp, cluster_.broker_addr(), testing::SendV2Request("WsTopic", 1, "TagW", "", "via tcp"));
  ASSERT_TRUE(via_tcp.ok());
  ASSERT_EQ(via_tcp->code, RS::kSuccess);
  EXPECT_EQ(via_tcp->ext.Get("queueOffset"), "20");
  bodies.push_back("via tcp");

  // Pull everything back over WebSocket.
  testing::PullArgs pa;
  pa.topic = "WsTopic";
  pa.queue_id = 1;
  pa.max_msgs = 32;
  auto pulled = broker.Call(testing::PullRequest(pa));
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  ASSERT_EQ(pulled->code, RS::kSuccess) << pulled->remark.value_or("");
  EXPECT_EQ(pulled->ext.Get("nextBeginOffset"), "21");
  auto msgs = testing::Messages(*pulled);
  ASSERT_EQ(msgs.size(), bodies.size());
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i].body, bodies[i]) << i;
    EXPECT_EQ(msgs[i].queue_offset, static_cast<int64_t>(i));
    EXPECT_EQ(msgs[i].queue_id, 1);
    EXPECT_EQ(msgs[i].topic, "WsTopic");
    EXPECT_EQ(msgs[i].Tags(), "TagW");
  }
  // From an offset in the middle.
  pa.offset = 15;
  pulled = broker.Call(testing::PullRequest(pa));
  ASSERT_TRUE(pulled.ok());
  ASSERT_EQ(pulled->code, RS::kSuccess);
  msgs = testing::Messages(*pulled);
  ASSERT_EQ(msgs.size(), 6u);
  EXPECT_EQ(msgs[0].body, bodies[15]);
  EXPECT_EQ(msgs[0].queue_offset, 15);
  // Nothing in queue 0.
  pa.queue_id = 0;
  pa.offset = 0;
  pulled = broker.Call(testing::PullRequest(pa));
  ASSERT_TRUE(pulled.ok());
  EXPECT_NE(pulled->code, RS::kSuccess);
  EXPECT_TRUE(testing::Messages(*pulled).empty());
}

TEST_F(WebSocketClusterTest, BadInputClosesOnlyItsOwnConnection) {
  WsRemotingClient good(broker_ws_);  // opened before the bad ones, used after them
  ASSERT_TRUE(good.open());
  remoting::RemotingClient tcp;
  auto first = good.Call(testing::SendV2Request("BadInputTopic", 0, "", "", "before"));
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->code, RS::kSuccess) << first->remark.value_or("");

  {  // A text message: frames travel in binary messages only.
    WsRemotingClient c(broker_ws_);
    ASSERT_TRUE(c.open());
    ASSERT_TRUE(c.WriteMessage(R"({"code":10,"opaque":1})", /*binary=*/false));
    EXPECT_EQ(c.WaitClosed(), 1003);
  }
  {  // A text message that is not even UTF-8 (a binary frame sent as text usually is not):
     // Beast's own check answers first, with 1007.
    WsRemotingClient c(broker_ws_);
    ASSERT_TRUE(c.open());
    ASSERT_TRUE(c.WriteMessage(std::string("\0\0\0\x08\x80\x81\x82\x83{}{}", 12), /*binary=*/false));
    EXPECT_EQ(c.WaitClosed(), 1007);
  }
  {  // A message announced larger than the broker's 16 MiB frame limit.
    WsRemotingClient c(broker_ws_);
    ASSERT_TRUE(c.open());
    ASSERT_TRUE(c.WriteRaw(ClientFrameHeader(0x2, 17 * 1024 * 1024) + "abcdefgh"));
    EXPECT_EQ(c.WaitClosed(), 1009);
  }
  {  // A frame whose length prefix does not match its message.
    WsRemotingClient c(broker_ws_);
    ASSERT_TRUE(c.open());
    std::string frame = protocol::EncodeFrame(testing::SendV2Request("BadInputTopic", 0, "", "", "cut"));
    ASSERT_TRUE(c.WriteMessage(frame.substr(0, frame.size() - 1)));
    EXPECT_EQ(c.WaitClosed(), 1002);
  }
  {  // One whole frame that is not a valid command: the kernel closes, not the transport.
    WsRemotingClient c(broker_ws_);
    ASSERT_TRUE(c.open());
    ASSERT_TRUE(c.WriteMessage(std::string("\0\0\0\x08\0\0\0\x04{xx}", 12)));
    EXPECT_EQ(c.WaitClosed(), 1000);  // the kernel's Close(): a normal close handshake
  }
  // Garbage instead of a handshake, and a handshake for another path.
  auto garbage = RawExchange(broker_ws_, std::string("\x16\x03\x01\x00\xff", 5) + std::string(300, 'g'));
  ASSERT_TRUE(garbage) << "still open after garbage";
  EXPECT_EQ(garbage->rfind("HTTP/1.1 400", 0), 0u) << *garbage;
  auto other_path = RawExchange(broker_ws_,
                                "GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n\r\n");
  ASSERT_TRUE(other_path);
  EXPECT_EQ(other_path->rfind("HTTP/1.1 404", 0), 0u) << *other_path;

  // The broker, the other WebSocket connection and TCP clients are unaffected.
  ASSERT_TRUE(cluster_.broker().Running());
  auto after = good.Call(testing::SendV2Request("BadInputTopic", 0, "", "", "after"));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->code, RS::kSuccess);
  EXPECT_EQ(after->ext.Get("queueOffset"), "1");
  auto via_tcp =
      testing::Call(tcp, cluster_.broker_addr(), testing::SendV2Request("BadInputTopic", 0, "", "", "tcp"));
  ASSERT_TRUE(via_tcp.ok());
  EXPECT_EQ(via_tcp->code, RS::kSuccess);
  EXPECT_EQ(via_tcp->ext.Get("queueOffset"), "2");
  WsRemotingClient fresh(broker_ws_);
  ASSERT_TRUE(fresh.open());
  testing::PullArgs pa;
  pa.topic = "BadInputTopic";
  auto pulled = fresh.Call(testing::PullRequest(pa));
  ASSERT_TRUE(pulled.ok());
  ASSERT_EQ(pulled->code, RS::kSuccess);
  auto msgs = testing::Messages(*pulled);
  ASSERT_EQ(msgs.size(), 3u);  // nothing from the bad connections was stored
  EXPECT_EQ(msgs[0].body, "before");
  EXPECT_EQ(msgs[1].body, "after");
  EXPECT_EQ(msgs[2].body, "tcp");
}

TEST(WebSocketStartupTest, MissingPortStopsTheProgramWithAClearError) {
  testing::TempDir dir;
  testing::ChildProcess namesrv;
  ASSERT_TRUE(namesrv.Start({testing::BinPath("mqnamesrv"), "-D", "listenPort=0", "-D",
                             "bindAddress=127.0.0.1", "-D", "kvConfigPath=" + dir.Sub("kv.json"), "-D",
                             "pluginDir=" SPROCKET_PLUGIN_DIR, "-D", "transportPlugins=tcp,websocket"}));
  EXPECT_NE(namesrv.Wait(10s), 0);
  EXPECT_NE(namesrv.Stderr().find("websocketListenPort is not set"), std::string::npos) << namesrv.Stderr();

  // Without the plugin loaded, its keys are unknown (typos never pass silently).
  testing::ChildProcess other;
  ASSERT_TRUE(other.Start({testing::BinPath("mqnamesrv"), "-D", "listenPort=0", "-D", "bindAddress=127.0.0.1",
                           "-D", "kvConfigPath=" + dir.Sub("kv2.json"), "-D",
                           "pluginDir=" SPROCKET_PLUGIN_DIR, "-D", "websocketListenPort=0"}));
  EXPECT_NE(other.Wait(10s), 0);
  EXPECT_NE(other.Stderr().find("websocketListenPort"), std::string::npos) << other.Stderr();
}

}  // namespace
}  // namespace sprocket
