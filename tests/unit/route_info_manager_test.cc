// The nameserver's route table on its own (RocketMQ's RouteInfoManager semantics).
#include "namesrv/route_info_manager.h"

#include <gtest/gtest.h>

#include "sprocket/protocol/codes.h"

namespace sprocket::namesrv {
namespace {

RegisterBrokerBody Body(std::vector<std::string> topics, int64_t counter, int queues = 4) {
  RegisterBrokerBody b;
  b.data_version = {1000, counter};
  for (auto& t : topics) {
    protocol::TopicConfig tc;
    tc.topic_name = t;
    tc.read_queue_nums = tc.write_queue_nums = queues;
    b.topic_config_table[t] = tc;
  }
  return b;
}

BrokerRegistration Reg(const std::string& addr, const std::string& name, int64_t id, uint64_t session) {
  return BrokerRegistration{"C", addr, name, id, addr + "-ha", session};
}

TEST(RouteInfoManagerTest, RoutesFollowMasterRegistrations) {
  RouteInfoManager m;
  m.RegisterBroker(Reg("a:1", "b1", 0, 1), Body({"T1", "T2"}, 1), 0);
  m.RegisterBroker(Reg("b:1", "b2", 0, 2), Body({"T1"}, 1, 8), 0);
  auto r = m.GetRoute("T1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->queue_datas.size(), 2u);
  EXPECT_EQ(r->broker_datas.size(), 2u);
  EXPECT_EQ(m.TopicsOfCluster("C"), (std::set<std::string>{"T1", "T2"}));

  // Same DataVersion: the table is not rebuilt (RocketMQ skips unchanged registrations).
  m.RegisterBroker(Reg("a:1", "b1", 0, 1), Body({"T1"}, 1), 0);
  EXPECT_TRUE(m.GetRoute("T2"));
  // New DataVersion without T2: T2 leaves b1's routes (and the table, having no broker left).
  m.RegisterBroker(Reg("a:1", "b1", 0, 1), Body({"T1"}, 2), 0);
  EXPECT_FALSE(m.GetRoute("T2"));
}

TEST(RouteInfoManagerTest, SlaveGetsMasterAddressesAndDoesNotWriteRoutes) {
  RouteInfoManager m;
  m.RegisterBroker(Reg("m:1", "b1", 0, 1), Body({"T1"}, 1), 0);
  auto out = m.RegisterBroker(Reg("s:1", "b1", 1, 2), Body({"T1", "SlaveOnly"}, 5), 0);
  EXPECT_EQ(out.master_addr, "m:1");
  EXPECT_EQ(out.ha_server_addr, "m:1-ha");
  EXPECT_FALSE(m.GetRoute("SlaveOnly"));
  EXPECT_EQ(m.GetRoute("T1")->broker_datas[0].broker_addrs.size(), 2u);
  // The master's own registration gets no master addresses.
  auto master = m.RegisterBroker(Reg("m:1", "b1", 0, 1), Body({"T1"}, 1), 0);
  EXPECT_TRUE(master.master_addr.empty());
}

TEST(RouteInfoManagerTest, ClosedSessionsAndSilentBrokersAreDropped) {
  RouteInfoManager m;
  m.RegisterBroker(Reg("a:1", "b1", 0, 11), Body({"T1"}, 1), 1000);
  m.RegisterBroker(Reg("b:1", "b2", 0, 22), Body({"T2"}, 1), 5000);
  EXPECT_EQ(m.RemoveBySession(11), std::vector<std::string>{"a:1"});
  EXPECT_FALSE(m.GetRoute("T1"));
  EXPECT_TRUE(m.RemoveExpired(124000, 120000).empty());  // 119 s of silence: still alive
  auto gone = m.RemoveExpired(125001, 120000);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].first, "b:1");
  EXPECT_EQ(gone[0].second, 22u);
  EXPECT_TRUE(m.AllTopics().empty());
  EXPECT_TRUE(m.GetClusterInfo().cluster_addr_table.empty());
}

TEST(RouteInfoManagerTest, WritePermCanBeWipedAndRestored) {
  RouteInfoManager m;
  m.RegisterBroker(Reg("a:1", "b1", 0, 1), Body({"T1", "T2"}, 1), 0);
  EXPECT_EQ(m.UpdateWritePerm("b1", false), 2);
  EXPECT_EQ(m.GetRoute("T1")->queue_datas[0].perm & protocol::Perm::kWrite, 0);
  EXPECT_EQ(m.UpdateWritePerm("b1", true), 2);
  EXPECT_NE(m.GetRoute("T1")->queue_datas[0].perm & protocol::Perm::kWrite, 0);
}

}  // namespace
}  // namespace sprocket::namesrv
