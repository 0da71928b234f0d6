// mqbroker as a process, driven with raw requests shaped like third-party clients':
// send (V2 letters, typed extFields), broker-side tag filtering, heartbeats and consumer
// lists, offsets, long polling, restart, bad input.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/broker_requests.h"
#include "support/test_process.h"
#include "sprocket/protocol/codes.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;
using protocol::RemotingCommand;
using testing::Call;
using testing::MiniCluster;
using testing::PullArgs;

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GT(cluster_.broker_port(), 0) << cluster_.broker().Stderr(); }
  std::string addr() { return cluster_.broker_addr(); }
  void CreateTopic(const std::string& topic, int queues) {
    auto r = Call(client_, addr(), testing::CreateTopicRequest(topic, queues));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->code, RS::kSuccess) << r->remark.value_or("");
  }
  RemotingCommand Send(const std::string& topic, int queue, const std::string& tag, const std::string& body,
                       const std::string& keys = "") {
    auto r = Call(client_, addr(), testing::SendV2Request(topic, queue, tag, keys, body));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RemotingCommand{};
  }
  MiniCluster cluster_;
  remoting::RemotingClient client_;
};

TEST_F(BrokerTest, SendAnswersLikeRocketMQ) {
  CreateTopic("T1", 4);
  auto r = Send("T1", 2, "TagA", "Hello world", "OrderID001");
  ASSERT_EQ(r.code, RS::kSuccess) << r.remark.value_or("");
  EXPECT_EQ(r.ext.Get("queueId"), "2");
  EXPECT_EQ(r.ext.Get("queueOffset"), "0");
  EXPECT_EQ(r.ext.Get("MSG_REGION"), "DefaultRegion");
  EXPECT_EQ(r.ext.Get("TRACE_ON"), "true");
  std::string msg_id(r.ext.Get("msgId"));
  ASSERT_EQ(msg_id.size(), 32u);
  auto decoded = protocol::DecodeOffsetMsgId(msg_id);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->first.ToString(), addr());

  // The stored record, read back by its id, carries what the client sent plus CLUSTER.
  auto view = RemotingCommand::Request(RC::kViewMessageById);
  view.ext.Set("offset", decoded->second.value);
  auto v = Call(client_, addr(), view);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->code, RS::kSuccess);
  auto msgs = testing::Messages(*v);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].body, "Hello world");
  EXPECT_EQ(msgs[0].Tags(), "TagA");
  EXPECT_EQ(msgs[0].Keys(), "OrderID001");
  EXPECT_EQ(msgs[0].properties.Get("CLUSTER"), "DefaultCluster");
  EXPECT_EQ(msgs[0].properties.Find("WAIT"), nullptr);
  EXPECT_EQ(msgs[0].queue_id, 2);
  EXPECT_EQ(msgs[0].OffsetMsgId(), msg_id);
  EXPECT_EQ(msgs[0].body_crc, protocol::BodyCrc("Hello world"));

  auto second = Send("T1", 2, "TagA", "again");
  EXPECT_EQ(second.ext.Get("queueOffset"), "1");
}

TEST_F(BrokerTest, AutoCreatesTopicFromTBW102AndRegistersIt) {
  auto r = Send("AutoTopic", 0, "", "x");
  ASSERT_EQ(r.code, RS::kSuccess) << r.remark.value_or("");
  auto route = RemotingCommand::Request(RC::kGetRouteinfoByTopic);
  route.ext.Set("topic", "AutoTopic");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  Result<RemotingCommand> rr = Status::NotFound("");
  do {
    rr = Call(client_, cluster_.namesrv_addr(), route);
    if (rr.ok() && rr->code == RS::kSuccess) break;
    std::this_thread::sleep_for(50ms);
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(rr.ok());
  ASSERT_EQ(rr->code, RS::kSuccess) << "auto-created topic not registered at once";
  auto data = protocol::DecodeTopicRouteData(rr->body);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->queue_datas[0].write_queue_nums, 4);  // min(d=4, TBW102's 8)
}

TEST(BrokerConfigTest, NoAutoCreateMeansTopicNotExist) {
  MiniCluster cluster(MiniCluster::Options{{{"autoCreateTopicEnable", "false"}}, {}, true});
  remoting::RemotingClient client;
  auto r = Call(client, cluster.broker_addr(), testing::SendV2Request("Nope", 0, "", "", "x"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, RS::kTopicNotExist);
  EXPECT_NE(r->remark.value_or("").find("topic[Nope] not exist, apply first please!"), std::string::npos);
}

TEST_F(BrokerTest, SendChecks) {
  CreateTopic("T1", 4);
  EXPECT_EQ(Send("T1", 9, "", "x").code, RS::kSystemError);              // queueId out of range
  EXPECT_EQ(Send("bad topic!", 0, "", "x").code, RS::kSystemError);      // illegal name
  EXPECT_EQ(Send("SCHEDULE_TOPIC_XXXX", 0, "", "x").code, RS::kNoPermission);
  std::string big(4 * 1024 * 1024 + 1, 'x');
  EXPECT_EQ(Send("T1", 0, "", big).code, RS::kMessageIllegal);
  auto missing = testing::SendV2Request("T1", 0, "", "", "x");
  missing.ext.Erase("a");
  auto r = Call(client_, addr(), missing);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, RS::kSystemError);
  EXPECT_NE(r->remark.value_or("").find("producerGroup"), std::string::npos);
  // The broker is still fine.
  EXPECT_EQ(Send("T1", 0, "", "ok").code, RS::kSuccess);
}

TEST_F(BrokerTest, UnknownCodeAndVipPort) {
  auto r = Call(client_, addr(), RemotingCommand::Request(4242));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, RS::kRequestCodeNotSupported);

  CreateTopic("T1", 1);
  auto line = cluster_.broker().WaitForLine("Sprocket endpoints:", 1s);
  int vip = testing::ParseEndpoints(line)["vip"];
  ASSERT_GT(vip, 0);
  std::string vip_addr = "127.0.0.1:" + std::to_string(vip);
  // Sends work on the VIP port, pulls do not (RocketMQ's fast server has no pull processor).
  auto s = Call(client_, vip_addr, testing::SendV2Request("T1", 0, "", "", "via vip"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->code, RS::kSuccess);
  PullArgs pa;
  pa.topic = "T1";
  auto p = Call(client_, vip_addr, testing::PullRequest(pa));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->code, RS::kRequestCodeNotSupported);
}

// Random bytes, truncated frames and frames with garbage headers, each on its own
// connection: the broker closes or answers them and keeps serving everyone else.
TEST_F(BrokerTest, SurvivesGarbageFromManyConnections) {
  CreateTopic("TG", 1);
  std::mt19937 rng(12345);
  int port = cluster_.broker_port();
  auto valid = protocol::EncodeFrame(testing::SendV2Request("TG", 0, "", "", "valid"));
  for (int i = 0; i < 200; ++i) {
    std::string bytes;
    switch (i % 4) {
      case 0:  // random bytes
        bytes.resize(1 + rng() % 64);
        for (auto& c : bytes) c = static_cast<char>(rng());
        break;
      case 1:  // a real frame cut short
        bytes = valid.substr(0, 1 + rng() % (valid.size() - 1));
        break;
      case 2:  // a real frame with header bytes flipped
        bytes = valid;
        for (int k = 0; k < 4; ++k) bytes[8 + rng() % 40] = static_cast<char>(rng());
        break;
      case 3:  // a huge announced length
        bytes = std::string("\x7f\xff\xff\xf0", 4) + valid.substr(4);
        break;
    }
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    (void)n;
    ::close(fd);
  }
  auto r = Send("TG", 0, "", "still here");
  EXPECT_EQ(r.code, RS::kSuccess);
  EXPECT_TRUE(cluster_.broker().Running());
}

TEST_F(BrokerTest, TagFilterIsAppliedByTheBroker) {
  CreateTopic("TF", 1);
  for (int i = 0; i < 30; ++i) Send("TF", 0, i % 3 == 0 ? "A" : (i % 3 == 1 ? "B" : "C"), "m" + std::to_string(i));
  PullArgs pa;
  pa.topic = "TF";
  pa.subscription = "A || C";
  std::set<std::string> tags;
  int found = 0;
  int64_t offset = 0;
  for (int round = 0; round < 10 && offset < 30; ++round) {
    pa.offset = offset;
    auto r = Call(client_, addr(), testing::PullRequest(pa));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->code == RS::kSuccess || r->code == RS::kPullRetryImmediately) << r->code;
    for (auto& m : testing::Messages(*r)) {
      tags.insert(std::string(m.Tags()));
      ++found;
    }
    offset = *r->ext.GetInt("nextBeginOffset");
  }
  EXPECT_EQ(tags, (std::set<std::string>{"A", "C"}));
  EXPECT_EQ(found, 20);

  pa.offset = 0;
  pa.subscription = "Z";
  auto none = Call(client_, addr(), testing::PullRequest(pa));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->code, RS::kPullRetryImmediately);
  EXPECT_GT(*none->ext.GetInt("nextBeginOffset"), 0);
  EXPECT_TRUE(none->body.empty());
}

TEST_F(BrokerTest, PullStatusMapping) {
  CreateTopic("TP", 1);
  PullArgs pa;
  pa.topic = "TP";
  auto empty = Call(client_, addr(), testing::PullRequest(pa));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->code, RS::kPullNotFound);
  for (const char* f : {"nextBeginOffset", "minOffset", "maxOffset", "suggestWhichBrokerId"}) {
    EXPECT_TRUE(empty->ext.Has(f)) << f;
  }
  for (int i = 0; i < 5; ++i) Send("TP", 0, "", "x");
  pa.offset = 5;  // == max: nothing new
  EXPECT_EQ(Call(client_, addr(), testing::PullRequest(pa))->code, RS::kPullNotFound);
  pa.offset = 50;  // beyond max
  auto moved = Call(client_, addr(), testing::PullRequest(pa));
  EXPECT_EQ(moved->code, RS::kPullOffsetMoved);
  EXPECT_EQ(moved->ext.Get("maxOffset"), "5");
  pa.queue_id = 3;  // no such queue
  EXPECT_EQ(Call(client_, addr(), testing::PullRequest(pa))->code, RS::kSystemError);
}

TEST_F(BrokerTest, HeartbeatRegistersConsumerSynchronously) {
  CreateTopic("TH", 2);
  auto hb = Call(client_, addr(), testing::HeartbeatRequest("127.0.0.1@c1", "G1", "TH", "*"));
  ASSERT_TRUE(hb.ok());
  ASSERT_EQ(hb->code, RS::kSuccess);
  auto list = RemotingCommand::Request(RC::kGetConsumerListByGroup);
  list.ext.Set("consumerGroup", "G1");
  auto r = Call(client_, addr(), list);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->code, RS::kSuccess);
  auto ids = protocol::DecodeConsumerIdList(r->body);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<std::string>{"127.0.0.1@c1"});

  // The retry topic exists now.
  PullArgs pa;
  pa.group = "G1";
  pa.topic = "%RETRY%G1";
  EXPECT_EQ(Call(client_, addr(), testing::PullRequest(pa))->code, RS::kPullNotFound);

  auto unreg = RemotingCommand::Request(RC::kUnregisterClient);
  unreg.ext.Set("clientID", "127.0.0.1@c1");
  unreg.ext.Set("consumerGroup", "G1");
  ASSERT_EQ(Call(client_, addr(), unreg)->code, RS::kSuccess);
  EXPECT_EQ(Call(client_, addr(), list)->code, RS::kSystemError);

  // A pull relying on the registered subscription needs the heartbeat.
  auto plain = testing::PullRequest(pa);
  plain.ext.Set("sysFlag", int64_t{0});
  EXPECT_EQ(Call(client_, addr(), plain)->code, RS::kSubscriptionNotExist);
}

TEST_F(BrokerTest, ConsumerListDropsClientWhenConnectionCloses) {
  CreateTopic("TH", 1);
  {
    remoting::RemotingClient consumer;
    ASSERT_EQ(Call(consumer, addr(), testing::HeartbeatRequest("127.0.0.1@gone", "G2", "TH", "*"))->code,
              RS::kSuccess);
    consumer.Shutdown();
  }
  auto list = RemotingCommand::Request(RC::kGetConsumerListByGroup);
  list.ext.Set("consumerGroup", "G2");
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (Call(client_, addr(), list)->code == RS::kSuccess && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(Call(client_, addr(), list)->code, RS::kSystemError);
}

TEST_F(BrokerTest, ConsumerOffsets) {
  CreateTopic("TO", 2);
  auto query = RemotingCommand::Request(RC::kQueryConsumerOffset);
  query.ext.Set("consumerGroup", "GO");
  query.ext.Set("topic", "TO");
  query.ext.Set("queueId", int64_t{1});
  // Empty queue, nothing committed: RocketMQ answers 0 (the queue starts in memory).
  auto q0 = Call(client_, addr(), query);
  EXPECT_EQ(q0->code, RS::kSuccess);
  EXPECT_EQ(q0->ext.Get("offset"), "0");

  auto update = RemotingCommand::Request(RC::kUpdateConsumerOffset);
  update.ext.Set("consumerGroup", "GO");
  update.ext.Set("topic", "TO");
  update.ext.Set("queueId", int64_t{1});
  update.ext.Set("commitOffset", int64_t{-1});  // ali-ons sends this routinely
  EXPECT_EQ(Call(client_, addr(), update)->code, RS::kSuccess);
  update.ext.Set("commitOffset", int64_t{7});
  EXPECT_EQ(Call(client_, addr(), update)->code, RS::kSuccess);
  auto q1 = Call(client_, addr(), query);
  EXPECT_EQ(q1->code, RS::kSuccess);
  EXPECT_EQ(q1->ext.Get("offset"), "7");

  // Commit piggy-backed on a pull.
  PullArgs pa;
  pa.group = "GO";
  pa.topic = "TO";
  pa.queue_id = 1;
  pa.commit_offset = 9;
  Call(client_, addr(), testing::PullRequest(pa));
  EXPECT_EQ(Call(client_, addr(), query)->ext.Get("offset"), "9");

  for (int i = 0; i < 3; ++i) Send("TO", 0, "", "x");
  auto max = RemotingCommand::Request(RC::kGetMaxOffset);
  max.ext.Set("topic", "TO");
  max.ext.Set("queueId", int64_t{0});
  EXPECT_EQ(Call(client_, addr(), max)->ext.Get("offset"), "3");
  auto min = RemotingCommand::Request(RC::kGetMinOffset);
  min.ext.Set("topic", "TO");
  min.ext.Set("queueId", int64_t{0});
  EXPECT_EQ(Call(client_, addr(), min)->ext.Get("offset"), "0");
  auto search = RemotingCommand::Request(RC::kSearchOffsetByTimestamp);
  search.ext.Set("topic", "TO");
  search.ext.Set("queueId", int64_t{0});
  search.ext.Set("timestamp", int64_t{0});
  EXPECT_EQ(Call(client_, addr(), search)->ext.Get("offset"), "0");
  auto earliest = RemotingCommand::Request(RC::kGetEarliestMsgStoretime);
  earliest.ext.Set("topic", "TO");
  earliest.ext.Set("queueId", int64_t{0});
  EXPECT_GT(*Call(client_, addr(), earliest)->ext.GetInt("timestamp"), 1600000000000);
}

TEST_F(BrokerTest, LongPollIsHeldAndAnsweredWhenAMessageArrives) {
  CreateTopic("TL", 1);
  PullArgs pa;
  pa.topic = "TL";
  pa.suspend = true;
  pa.suspend_ms = 5000;
  // Idle: the pull is held for the whole suspend time.
  pa.suspend_ms = 700;
  auto t0 = std::chrono::steady_clock::now();
  auto idle = Call(client_, addr(), testing::PullRequest(pa));
  auto held = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(idle->code, RS::kPullNotFound);
  EXPECT_GE(held, 650ms);

  // A message sent during the hold is delivered at once.
  pa.suspend_ms = 10000;
  std::atomic<bool> done{false};
  Result<RemotingCommand> got = Status::NotFound("");
  std::chrono::steady_clock::time_point answered;
  std::thread puller([&] {
    remoting::RemotingClient c;
    got = Call(c, addr(), testing::PullRequest(pa), 15s);
    answered = std::chrono::steady_clock::now();
    done = true;
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(done.load()) << "pull was not held";
  auto sent_at = std::chrono::steady_clock::now();
  Send("TL", 0, "", "wake up");
  puller.join();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->code, RS::kSuccess);
  EXPECT_LT(answered - sent_at, 1s);
  auto msgs = testing::Messages(*got);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].body, "wake up");
}

TEST_F(BrokerTest, IdleLongPollingConsumerMakesFewPulls) {
  CreateTopic("TI", 1);
  PullArgs pa;
  pa.topic = "TI";
  pa.suspend = true;
  pa.suspend_ms = 1000;
  int pulls = 0;
  auto end = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < end && pulls < 100) {
    auto r = Call(client_, addr(), testing::PullRequest(pa));
    ASSERT_TRUE(r.ok());
    ++pulls;
  }
  EXPECT_LE(pulls, 4) << "pulls were answered without being held";
}

TEST(BrokerRestartTest, MessagesAndOffsetsSurviveACleanRestart) {
  MiniCluster cluster;
  remoting::RemotingClient client;
  ASSERT_EQ(Call(client, cluster.broker_addr(), testing::CreateTopicRequest("TR", 2))->code, RS::kSuccess);
  for (int i = 0; i < 100; ++i) {
    auto r = Call(client, cluster.broker_addr(), testing::SendV2Request("TR", i % 2, "t", "", "m" + std::to_string(i)));
    ASSERT_EQ(r->code, RS::kSuccess);
  }
  auto update = RemotingCommand::Request(RC::kUpdateConsumerOffset);
  update.ext.Set("consumerGroup", "GR");
  update.ext.Set("topic", "TR");
  update.ext.Set("queueId", int64_t{1});
  update.ext.Set("commitOffset", int64_t{17});
  ASSERT_EQ(Call(client, cluster.broker_addr(), update)->code, RS::kSuccess);

  cluster.StopBroker(/*clean=*/true);
  client.Shutdown();
  ASSERT_TRUE(cluster.StartBroker()) << cluster.broker().Stderr();
  remoting::RemotingClient again;
  auto query = RemotingCommand::Request(RC::kQueryConsumerOffset);
  query.ext.Set("consumerGroup", "GR");
  query.ext.Set("topic", "TR");
  query.ext.Set("queueId", int64_t{1});
  EXPECT_EQ(Call(again, cluster.broker_addr(), query)->ext.Get("offset"), "17");
  PullArgs pa;
  pa.topic = "TR";
  pa.queue_id = 1;
  std::vector<std::string> bodies;
  while (pa.offset < 50) {
    auto r = Call(again, cluster.broker_addr(), testing::PullRequest(pa));
    ASSERT_EQ(r->code, RS::kSuccess);
    for (auto& m : testing::Messages(*r)) bodies.push_back(m.body);
    pa.offset = *r->ext.GetInt("nextBeginOffset");
  }
  ASSERT_EQ(bodies.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(bodies[i], "m" + std::to_string(2 * i + 1));
  // And new sends continue the offsets.
  auto r = Call(again, cluster.broker_addr(), testing::SendV2Request("TR", 1, "", "", "after"));
  EXPECT_EQ(r->ext.Get("queueOffset"), "50");
}

}  // namespace
}  // namespace sprocket

namespace sprocket {
namespace {

// The broker registers with every nameserver in namesrvAddr, and says goodbye to each on
// a clean shutdown.
TEST(BrokerRegistrationTest, RegistersWithEveryNameserverAndUnregistersOnStop) {
  using testing::ChildProcess;
  MiniCluster a(MiniCluster::Options{{}, {}, false}), b(MiniCluster::Options{{}, {}, false});
  testing::TempDir dir;
  ChildProcess broker;
  ASSERT_TRUE(broker.Start({testing::BinPath("mqbroker"), "-n", a.namesrv_addr() + ";" + b.namesrv_addr(), "-D",
                            "listenPort=0", "-D", "bindAddress=127.0.0.1", "-D", "brokerIP1=127.0.0.1", "-D",
                            "storePathRootDir=" + dir.Sub("store"), "-D", "pluginDir=" SPROCKET_PLUGIN_DIR}));
  ASSERT_FALSE(broker.WaitForLine("Sprocket endpoints:", 20s).empty()) << broker.Stderr();
  remoting::RemotingClient client;
  auto route = RemotingCommand::Request(RC::kGetRouteinfoByTopic);
  route.ext.Set("topic", "TBW102");
  auto registered = [&](const std::string& ns) {
    auto r = Call(client, ns, route);
    return r.ok() && r->code == RS::kSuccess;
  };
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!(registered(a.namesrv_addr()) && registered(b.namesrv_addr())) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_TRUE(registered(a.namesrv_addr()));
  EXPECT_TRUE(registered(b.namesrv_addr()));
  EXPECT_EQ(broker.Stop(), 0);
  EXPECT_FALSE(registered(a.namesrv_addr()));
  EXPECT_FALSE(registered(b.namesrv_addr()));
}

// A broker killed with SIGKILL sends no goodbye; its nameserver drops it when the
// connection dies.
TEST(BrokerRegistrationTest, KilledBrokerDisappearsFromRoutes) {
  MiniCluster cluster;
  remoting::RemotingClient client;
  auto route = RemotingCommand::Request(RC::kGetRouteinfoByTopic);
  route.ext.Set("topic", "TBW102");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (Call(client, cluster.namesrv_addr(), route)->code != RS::kSuccess &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(25ms);
  }
  ASSERT_EQ(Call(client, cluster.namesrv_addr(), route)->code, RS::kSuccess);
  cluster.StopBroker(/*clean=*/false);
  deadline = std::chrono::steady_clock::now() + 10s;
  while (Call(client, cluster.namesrv_addr(), route)->code == RS::kSuccess &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_EQ(Call(client, cluster.namesrv_addr(), route)->code, RS::kTopicNotExist);
}

}  // namespace
}  // namespace sprocket
