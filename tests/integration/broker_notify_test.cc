// The broker tells a consumer group's members when the membership changes
// (NOTIFY_CONSUMER_IDS_CHANGED, code 40, oneway): a member joins, leaves cleanly
// (UNREGISTER_CLIENT), its connection drops, or it stops heartbeating for
// clientChannelExpiredMillis. Raw remoting clients play the members.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "sprocket/protocol/codes.h"
#include "sprocket/remoting/client.h"
#include "support/broker_requests.h"
#include "support/test_process.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using protocol::RemotingCommand;
using testing::MiniCluster;
namespace RC = protocol::RequestCode;

// A raw client that counts the NOTIFY_CONSUMER_IDS_CHANGED it receives.
class Member {
 public:
  Member(std::string addr, std::string id) : addr_(std::move(addr)), id_(std::move(id)) {
    client_ = std::make_unique<remoting::RemotingClient>();
    client_->SetRequestHandler([this](const std::string&, const RemotingCommand& req) {
      if (req.code == RC::kNotifyConsumerIdsChanged && req.ext.Get("consumerGroup") == "NotifyGroup") {
        std::lock_guard lock(mu_);
        ++notifies_;
        cv_.notify_all();
      }
      return std::optional<RemotingCommand>();
    });
  }
  bool Heartbeat() {
    auto r = testing::Call(*client_, addr_, testing::HeartbeatRequest(id_, "NotifyGroup", "NotifyTopic", "*"));
    return r.ok() && r->code == protocol::ResponseCode::kSuccess;
  }
  bool Unregister() {
    auto req = RemotingCommand::Request(RC::kUnregisterClient);
    req.ext.Set("clientID", id_);
    req.ext.Set("consumerGroup", std::string("NotifyGroup"));
    auto r = testing::Call(*client_, addr_, std::move(req));
    return r.ok() && r->code == protocol::ResponseCode::kSuccess;
  }
  void Disconnect() { client_->Shutdown(); }
  int notifies() {
    std::lock_guard lock(mu_);
    return notifies_;
  }
  // Waits until more than `seen` notifications arrived.
  bool WaitBeyond(int seen, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return notifies_ > seen; });
  }

 private:
  std::string addr_, id_;
  std::unique_ptr<remoting::RemotingClient> client_;
  std::mutex mu_;
  std::condition_variable cv_;
  int notifies_ = 0;
};

std::vector<std::string> GroupMembers(const std::string& broker) {
  remoting::RemotingClient raw;
  auto req = RemotingCommand::Request(RC::kGetConsumerListByGroup);
  req.ext.Set("consumerGroup", std::string("NotifyGroup"));
  auto r = testing::Call(raw, broker, std::move(req));
  if (!r.ok() || r->code != protocol::ResponseCode::kSuccess) return {};
  auto ids = protocol::DecodeConsumerIdList(r->body);
  return ids.ok() ? *ids : std::vector<std::string>{};
}

TEST(BrokerNotifyTest, MembersAreToldOfJoinLeaveAndDisconnect) {
  MiniCluster cluster;
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), "NotifyTopic", 2));
  Member a(cluster.broker_addr(), "a@1");
  ASSERT_TRUE(a.Heartbeat());
  int seen = a.notifies();

  // Join.
  Member b(cluster.broker_addr(), "b@1");
  ASSERT_TRUE(b.Heartbeat());
  ASSERT_TRUE(a.WaitBeyond(seen, 5s)) << "no notification when b joined";
  seen = a.notifies();
  // A heartbeat that changes nothing notifies nobody.
  ASSERT_TRUE(b.Heartbeat());
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(a.notifies(), seen);

  // Clean leave.
  ASSERT_TRUE(b.Unregister());
  ASSERT_TRUE(a.WaitBeyond(seen, 5s)) << "no notification when b unregistered";
  EXPECT_EQ(GroupMembers(cluster.broker_addr()), std::vector<std::string>{"a@1"});
  seen = a.notifies();

  // Lost connection.
  Member c(cluster.broker_addr(), "c@1");
  ASSERT_TRUE(c.Heartbeat());
  ASSERT_TRUE(a.WaitBeyond(seen, 5s));
  seen = a.notifies();
  c.Disconnect();
  ASSERT_TRUE(a.WaitBeyond(seen, 5s)) << "no notification when c's connection closed";
  EXPECT_EQ(GroupMembers(cluster.broker_addr()), std::vector<std::string>{"a@1"});
}

TEST(BrokerNotifyTest, SilentMemberExpiresAndTheOthersAreTold) {
  MiniCluster::Options options;
  options.broker_extra["clientChannelExpiredMillis"] = "2000";
  MiniCluster cluster(options);
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), "NotifyTopic", 2));
  Member a(cluster.broker_addr(), "a@1");
  Member silent(cluster.broker_addr(), "s@1");
  ASSERT_TRUE(a.Heartbeat());
  const int before_join = a.notifies();
  ASSERT_TRUE(silent.Heartbeat());  // and never again, though its connection stays open
  // The join's own notification is oneway and may still be on its way: take it first.
  ASSERT_TRUE(a.WaitBeyond(before_join, 5s));
  std::this_thread::sleep_for(100ms);
  const int seen = a.notifies();
  auto start = std::chrono::steady_clock::now();
  bool told = false;
  while (!told && std::chrono::steady_clock::now() - start < 10s) {
    ASSERT_TRUE(a.Heartbeat());  // a stays alive
    told = a.WaitBeyond(seen, 400ms);
  }
  ASSERT_TRUE(told) << "no notification after the silent member expired";
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 1900ms);  // not before the expiry time
  EXPECT_EQ(GroupMembers(cluster.broker_addr()), std::vector<std::string>{"a@1"});
}

}  // namespace
}  // namespace sprocket
