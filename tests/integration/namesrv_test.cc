// mqnamesrv as a process: registration, routes in both JSON forms, cluster info, topic
// lists, KV config, expiry, connection-close cleanup, unknown codes and bad frames.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/test_process.h"
#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/remoting/client.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using protocol::RemotingCommand;
namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;
using testing::ChildProcess;
using testing::MiniCluster;

RemotingCommand RegisterRequest(const std::string& broker_addr, const std::string& name, int64_t id,
                                const std::vector<std::string>& topics, int64_t counter) {
  auto req = RemotingCommand::Request(RC::kRegisterBroker);
  req.ext.Set("brokerAddr", broker_addr);
  req.ext.Set("brokerName", name);
  req.ext.Set("brokerId", id);
  req.ext.Set("clusterName", "C1");
  req.ext.Set("haServerAddr", broker_addr + "1");
  protocol::RegisterBrokerBody body;
  body.data_version = {1700000000000, counter};
  for (const auto& t : topics) {
    protocol::TopicConfig tc;
    tc.topic_name = t;
    tc.read_queue_nums = tc.write_queue_nums = 4;
    body.topic_config_table[t] = tc;
  }
  req.body = protocol::EncodeRegisterBrokerBody(body);
  return req;
}

class NamesrvTest : public ::testing::Test {
 protected:
  NamesrvTest() : cluster_(MiniCluster::Options{{}, {{"brokerChannelExpiredMillis", "1500"},
                                                       {"scanNotActiveBrokerIntervalMillis", "200"}},
                                                  /*start_broker=*/false}) {}
  Result<RemotingCommand> Call(RemotingCommand req, remoting::RemotingClient* client = nullptr) {
    return (client ? client : &client_)->Invoke(cluster_.namesrv_addr(), std::move(req), 5s);
  }
  Result<RemotingCommand> Route(const std::string& topic, int32_t version) {
    auto req = RemotingCommand::Request(RC::kGetRouteinfoByTopic);
    req.version = version;
    req.ext.Set("topic", topic);
    return Call(std::move(req));
  }
  MiniCluster cluster_;
  remoting::RemotingClient client_;
};

TEST_F(NamesrvTest, RegisterThenRouteInBothJsonForms) {
  remoting::RemotingClient broker;
  auto reg = Call(RegisterRequest("127.0.0.1:30911", "b1", 0, {"T1", "T2"}, 1), &broker);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  EXPECT_EQ(reg->code, RS::kSuccess);

  auto legacy = Route("T1", 121);  // ali-ons' version: fastjson's bare keys
  ASSERT_TRUE(legacy.ok());
  ASSERT_EQ(legacy->code, RS::kSuccess);
  EXPECT_NE(legacy->body.find("{0:\"127.0.0.1:30911\"}"), std::string::npos) << legacy->body;
  auto standard = Route("T1", 409);
  ASSERT_TRUE(standard.ok());
  EXPECT_NE(standard->body.find("{\"0\":\"127.0.0.1:30911\"}"), std::string::npos) << standard->body;
  auto decoded = protocol::DecodeTopicRouteData(legacy->body);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->queue_datas.size(), 1u);
  EXPECT_EQ(decoded->queue_datas[0].write_queue_nums, 4);
  EXPECT_EQ(decoded->broker_datas[0].broker_addrs.at(0), "127.0.0.1:30911");

  auto missing = Route("NoSuchTopic", 409);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->code, RS::kTopicNotExist);

  auto list = Call(RemotingCommand::Request(RC::kGetAllTopicListFromNameserver));
  ASSERT_TRUE(list.ok());
  auto topics = protocol::DecodeTopicList(list->body);
  ASSERT_TRUE(topics.ok());
  EXPECT_EQ(*topics, (std::set<std::string>{"T1", "T2"}));

  auto info = Call(RemotingCommand::Request(RC::kGetBrokerClusterInfo));
  ASSERT_TRUE(info.ok());
  auto ci = protocol::DecodeClusterInfo(info->body);
  ASSERT_TRUE(ci.ok()) << info->body;
  EXPECT_EQ(ci->cluster_addr_table.at("C1"), (std::set<std::string>{"b1"}));

  // A topic dropped by the broker disappears from its routes on the next registration.
  reg = Call(RegisterRequest("127.0.0.1:30911", "b1", 0, {"T1"}, 2), &broker);
  ASSERT_TRUE(reg.ok());
  auto gone = Route("T2", 409);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->code, RS::kTopicNotExist);

  // Explicit unregister removes the broker and its routes.
  auto unreg = RemotingCommand::Request(RC::kUnregisterBroker);
  unreg.ext.Set("brokerAddr", "127.0.0.1:30911");
  unreg.ext.Set("brokerName", "b1");
  unreg.ext.Set("brokerId", int64_t{0});
  unreg.ext.Set("clusterName", "C1");
  ASSERT_TRUE(Call(std::move(unreg), &broker).ok());
  EXPECT_EQ(Route("T1", 409)->code, RS::kTopicNotExist);
}

TEST_F(NamesrvTest, SlaveLearnsMasterAddresses) {
  remoting::RemotingClient master, slave;
  ASSERT_TRUE(Call(RegisterRequest("127.0.0.1:30911", "b1", 0, {"T1"}, 1), &master).ok());
  auto r = Call(RegisterRequest("127.0.0.1:40911", "b1", 1, {"T1"}, 1), &slave);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ext.Get("masterAddr"), "127.0.0.1:30911");
  EXPECT_EQ(r->ext.Get("haServerAddr"), "127.0.0.1:309111");
  auto route = protocol::DecodeTopicRouteData(Route("T1", 409)->body);
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->broker_datas[0].broker_addrs.size(), 2u);
}

TEST_F(NamesrvTest, RoutesDroppedWhenBrokerConnectionCloses) {
  {
    remoting::RemotingClient broker;
    ASSERT_TRUE(Call(RegisterRequest("127.0.0.1:30911", "b1", 0, {"T1"}, 1), &broker).ok());
    ASSERT_EQ(Route("T1", 409)->code, RS::kSuccess);
    broker.Shutdown();
  }
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (Route("T1", 409)->code == RS::kSuccess && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(Route("T1", 409)->code, RS::kTopicNotExist);
}

TEST_F(NamesrvTest, SilentBrokerExpires) {
  remoting::RemotingClient broker;  // stays connected but never registers again
  ASSERT_TRUE(Call(RegisterRequest("127.0.0.1:30911", "b1", 0, {"T1"}, 1), &broker).ok());
  ASSERT_EQ(Route("T1", 409)->code, RS::kSuccess);
  std::this_thread::sleep_for(1000ms);
  EXPECT_EQ(Route("T1", 409)->code, RS::kSuccess) << "expired too early";
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (Route("T1", 409)->code == RS::kSuccess && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(Route("T1", 409)->code, RS::kTopicNotExist);
}

TEST_F(NamesrvTest, QueryDataVersion) {
  remoting::RemotingClient broker;
  ASSERT_TRUE(Call(RegisterRequest("127.0.0.1:30911", "b1", 0, {"T1"}, 5), &broker).ok());
  auto query = [&](int64_t counter) {
    auto req = RemotingCommand::Request(RC::kQueryDataVersion);
    req.ext.Set("brokerAddr", "127.0.0.1:30911");
    req.ext.Set("brokerName", "b1");
    req.ext.Set("brokerId", int64_t{0});
    req.ext.Set("clusterName", "C1");
    req.body = protocol::EncodeDataVersion({1700000000000, counter});
    return Call(std::move(req));
  };
  auto same = query(5);
  ASSERT_TRUE(same.ok());
  ASSERT_EQ(same->code, RS::kSuccess);
  EXPECT_EQ(same->ext.Get("changed"), "false");
  auto stored = protocol::DecodeDataVersion(same->body);
  ASSERT_TRUE(stored.ok()) << same->body;
  EXPECT_EQ(stored->counter, 5);
  EXPECT_EQ(query(6)->ext.Get("changed"), "true");
  auto bad = RemotingCommand::Request(RC::kQueryDataVersion);
  bad.ext.Set("brokerAddr", "127.0.0.1:30911");
  bad.body = "not json";
  EXPECT_EQ(Call(std::move(bad))->code, RS::kSystemError);
}

TEST_F(NamesrvTest, KvConfig) {
  auto put = RemotingCommand::Request(RC::kPutKvConfig);
  put.ext.Set("namespace", "NS");
  put.ext.Set("key", "k");
  put.ext.Set("value", "v1");
  ASSERT_EQ(Call(std::move(put))->code, RS::kSuccess);
  auto get = RemotingCommand::Request(RC::kGetKvConfig);
  get.ext.Set("namespace", "NS");
  get.ext.Set("key", "k");
  auto got = Call(get);
  ASSERT_EQ(got->code, RS::kSuccess);
  EXPECT_EQ(got->ext.Get("value"), "v1");
  auto del = RemotingCommand::Request(RC::kDeleteKvConfig);
  del.ext.Set("namespace", "NS");
  del.ext.Set("key", "k");
  ASSERT_EQ(Call(std::move(del))->code, RS::kSuccess);
  EXPECT_EQ(Call(get)->code, RS::kQueryNotFound);
}

TEST_F(NamesrvTest, UnknownCodeGetsRequestCodeNotSupported) {
  auto r = Call(RemotingCommand::Request(9999));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, RS::kRequestCodeNotSupported);
  EXPECT_EQ(r->remark.value_or(""), " request type 9999 not supported");
}

int ConnectRaw(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Reads until EOF (true) or timeout/error (false).
bool ClosedByPeer(int fd) {
  char buf[256];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) return false;
  }
}

TEST_F(NamesrvTest, BadFramesCloseOnlyThatConnection) {
  int port = std::stoi(cluster_.namesrv_addr().substr(cluster_.namesrv_addr().rfind(':') + 1));
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::vector<Case> cases = {
      {"garbage header", std::string("\x00\x00\x00\x0c\x00\x00\x00\x04{{{{garbage", 16)},
      {"header longer than frame", std::string("\x00\x00\x00\x08\x00\x00\x00\x50xxxx", 12)},
      {"oversize length", std::string("\x7f\xff\xff\xff\x00\x00\x00\x02{}", 10)},
      {"wrong json types", [] {
         std::string h = R"({"code":"abc","flag":0,"language":"JAVA","opaque":1,"version":1})";
         std::string f(8, '\0');
         uint32_t len = htonl(static_cast<uint32_t>(4 + h.size())), hl = htonl(static_cast<uint32_t>(h.size()));
         std::memcpy(&f[0], &len, 4);
         std::memcpy(&f[4], &hl, 4);
         return f + h;
       }()},
  };
  for (const auto& c : cases) {
    int fd = ConnectRaw(port);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, c.bytes.data(), c.bytes.size()), static_cast<ssize_t>(c.bytes.size()));
    EXPECT_TRUE(ClosedByPeer(fd)) << c.name;
    ::close(fd);
    // Everyone else is still served.
    auto r = Call(RemotingCommand::Request(RC::kGetAllTopicListFromNameserver));
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().ToString();
    EXPECT_EQ(r->code, RS::kSuccess);
  }
  EXPECT_TRUE(cluster_.namesrv().Running());
}

TEST(NamesrvProcessTest, TwoNameserversAreIndependent) {
  MiniCluster a(MiniCluster::Options{{}, {}, false}), b(MiniCluster::Options{{}, {}, false});
  remoting::RemotingClient broker, client;
  ASSERT_TRUE(broker.Invoke(a.namesrv_addr(), RegisterRequest("127.0.0.1:30911", "b1", 0, {"T1"}, 1), 5s).ok());
  auto req = RemotingCommand::Request(RC::kGetRouteinfoByTopic);
  req.ext.Set("topic", "T1");
  EXPECT_EQ(client.Invoke(a.namesrv_addr(), req, 5s)->code, RS::kSuccess);
  EXPECT_EQ(client.Invoke(b.namesrv_addr(), req, 5s)->code, RS::kTopicNotExist);
  a.namesrv().Stop();
  EXPECT_EQ(client.Invoke(b.namesrv_addr(), req, 5s)->code, RS::kTopicNotExist);
}

TEST(NamesrvProcessTest, UnknownConfigKeyFailsWithOneLine) {
  testing::TempDir dir;
  ChildProcess p;
  ASSERT_TRUE(p.Start({testing::BinPath("mqnamesrv"), "-D", "listenPrt=0", "-D", "pluginDir=" SPROCKET_PLUGIN_DIR}));
  EXPECT_EQ(p.Wait(10s), 1);
  std::string err = p.Stderr();
  EXPECT_NE(err.find("unknown config key 'listenPrt' (did you mean 'listenPort'?)"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

}  // namespace
}  // namespace sprocket
