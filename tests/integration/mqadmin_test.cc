// mqadmin against real mqnamesrv/mqbroker processes: each command is run as a child
// process and its printed tables are parsed (RocketMQ's column layouts).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "sprocket/client.h"
#include "sprocket/protocol/bodies_admin.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"
#include "support/broker_requests.h"
#include "support/collecting_listener.h"
#include "support/mqadmin_run.h"
#include "support/test_process.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using testing::Admin;
using testing::AdminRun;
using testing::BinPath;
using testing::ChildProcess;
using testing::CollectingListener;
using testing::Eventually;
using testing::Labeled;
using testing::MiniCluster;
using testing::Rows;
using testing::Tokens;
using testing::WaitForBroker;


const std::vector<std::string> kCommands = {
    "updateTopic",  "deleteTopic",      "topicList",           "topicRoute",  "topicStatus",
    "clusterList",  "consumerProgress", "consumerConnection",  "sendMessage", "consumeMessage",
    "queryMsgById", "queryMsgByKey",    "queryMsgByUniqueKey", "printMsg"};

TEST(MqadminTest, HelpListsEveryCommandAndEachCommandHasHelp) {
  AdminRun all = Admin({"-h"});
  ASSERT_EQ(all.rc, 0) << all.err;
  for (const auto& c : kCommands) {
    bool listed = std::any_of(all.lines.begin(), all.lines.end(), [&](const std::string& l) {
      auto t = Tokens(l);
      return !t.empty() && t[0] == c;
    });
    EXPECT_TRUE(listed) << c << " missing from mqadmin -h:\n" << all.Out();

    AdminRun help = Admin({c, "-h"});
    EXPECT_EQ(help.rc, 0) << c;
    ASSERT_FALSE(help.lines.empty()) << c;
    EXPECT_EQ(help.lines[0].rfind("usage: mqadmin " + c, 0), 0u) << help.lines[0];
    // Every command takes -n; its own options follow.
    EXPECT_NE(help.Out().find("-n,--namesrvAddr <arg>"), std::string::npos) << help.Out();

    AdminRun help2 = Admin({"help", c});
    EXPECT_EQ(help2.rc, 0);
    EXPECT_EQ(help2.lines, help.lines);
  }
  AdminRun route_help = Admin({"topicRoute", "-h"});
  EXPECT_NE(route_help.Out().find("-t,--topic <arg>"), std::string::npos);
  EXPECT_NE(route_help.Out().find("-l,--list"), std::string::npos);
}

TEST(MqadminTest, BadUsageExitsNonZeroWithUsageOnStderr) {
  AdminRun none = Admin({});
  EXPECT_NE(none.rc, 0);
  EXPECT_NE(none.err.find("The most commonly used mqadmin commands are:"), std::string::npos);

  AdminRun unknown = Admin({"noSuchCommand"});
  EXPECT_NE(unknown.rc, 0);
  EXPECT_NE(unknown.err.find("The sub command noSuchCommand not exist."), std::string::npos) << unknown.err;

  AdminRun bad_option = Admin({"topicRoute", "-t", "T", "-z", "x", "-n", "127.0.0.1:1"});
  EXPECT_NE(bad_option.rc, 0);
  EXPECT_NE(bad_option.err.find("Unrecognized option: -z"), std::string::npos) << bad_option.err;
  EXPECT_NE(bad_option.err.find("usage: mqadmin topicRoute"), std::string::npos) << bad_option.err;
  EXPECT_TRUE(bad_option.lines.empty());

  AdminRun missing = Admin({"topicStatus", "-n", "127.0.0.1:1"});
  EXPECT_NE(missing.rc, 0);
  EXPECT_NE(missing.err.find("Missing required option: t"), std::string::npos) << missing.err;

  AdminRun missing_two = Admin({"deleteTopic"});
  EXPECT_NE(missing_two.rc, 0);
  EXPECT_NE(missing_two.err.find("Missing required options: t, c"), std::string::npos) << missing_two.err;

  AdminRun no_value = Admin({"topicRoute", "-t"});
  EXPECT_NE(no_value.rc, 0);
  EXPECT_NE(no_value.err.find("Missing argument for option: t"), std::string::npos) << no_value.err;

  AdminRun not_number = Admin({"updateTopic", "-t", "T", "-c", "C", "-r", "many"});
  EXPECT_NE(not_number.rc, 0);
  EXPECT_NE(not_number.err.find("-r expects a number"), std::string::npos) << not_number.err;

  AdminRun no_target = Admin({"updateTopic", "-t", "T", "-n", "127.0.0.1:1"});
  EXPECT_NE(no_target.rc, 0);
  EXPECT_NE(no_target.err.find("-b brokerAddr or -c clusterName"), std::string::npos) << no_target.err;

  AdminRun queue_without_broker =
      Admin({"sendMessage", "-t", "T", "-p", "x", "-i", "1", "-n", "127.0.0.1:1"});
  EXPECT_NE(queue_without_broker.rc, 0);
  EXPECT_NE(queue_without_broker.err.find("Broker name must be set"), std::string::npos);

  AdminRun offset_without_queue = Admin({"consumeMessage", "-t", "T", "-o", "3", "-n", "127.0.0.1:1"});
  EXPECT_NE(offset_without_queue.rc, 0);
  EXPECT_NE(offset_without_queue.err.find("please set queueId before offset!"), std::string::npos);

  AdminRun bad_count = Admin({"consumeMessage", "-t", "T", "-c", "0", "-n", "127.0.0.1:1"});
  EXPECT_NE(bad_count.rc, 0);

  // The query commands: required options, numbers, charsets.
  AdminRun no_id = Admin({"queryMsgById", "-n", "127.0.0.1:1"});
  EXPECT_EQ(no_id.rc, 2);
  EXPECT_NE(no_id.err.find("Missing required option: i"), std::string::npos) << no_id.err;
  AdminRun no_key = Admin({"queryMsgByKey", "-t", "T", "-n", "127.0.0.1:1"});
  EXPECT_EQ(no_key.rc, 2);
  EXPECT_NE(no_key.err.find("Missing required option: k"), std::string::npos) << no_key.err;
  AdminRun bad_begin = Admin({"queryMsgByKey", "-t", "T", "-k", "K", "-b", "yesterday", "-n", "127.0.0.1:1"});
  EXPECT_EQ(bad_begin.rc, 2);
  EXPECT_NE(bad_begin.err.find("-b expects a number"), std::string::npos) << bad_begin.err;
  AdminRun no_topic = Admin({"queryMsgByUniqueKey", "-i", "X", "-n", "127.0.0.1:1"});
  EXPECT_EQ(no_topic.rc, 2);
  EXPECT_NE(no_topic.err.find("Missing required option: t"), std::string::npos) << no_topic.err;
  AdminRun bad_charset = Admin({"printMsg", "-t", "T", "-c", "NO-SUCH-CHARSET", "-n", "127.0.0.1:1"});
  EXPECT_EQ(bad_charset.rc, 2);
  EXPECT_NE(bad_charset.err.find("Unsupported charset: NO-SUCH-CHARSET"), std::string::npos)
      << bad_charset.err;
  AdminRun bad_time = Admin({"printMsg", "-t", "T", "-b", "soon", "-n", "127.0.0.1:1"});
  EXPECT_EQ(bad_time.rc, 2);
  EXPECT_NE(bad_time.err.find("yyyy-MM-dd#HH:mm:ss:SSS"), std::string::npos) << bad_time.err;
}

TEST(MqadminTest, UnreachableNameServerFailsWithTheReason) {
  AdminRun r = Admin({"topicList", "-n", "127.0.0.1:1"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("TopicListSubCommand command failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no name server answered"), std::string::npos) << r.err;
}

TEST(MqadminTest, NameServerFromEnvironmentAndClusterList) {
  MiniCluster cluster;
  WaitForBroker(cluster);
  // No -n: NAMESRV_ADDR.
  AdminRun r = Admin({"clusterList"}, {{"NAMESRV_ADDR", cluster.namesrv_addr()}});
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_FALSE(r.lines.empty());
  EXPECT_EQ(Tokens(r.lines[0]),
            (std::vector<std::string>{"#Cluster", "Name", "#Broker", "Name", "#BID", "#Addr", "#Version",
                                      "#InTPS(LOAD)", "#OutTPS(LOAD)", "#PCWait(ms)", "#Hour", "#SPACE"}));
  auto rows = Rows(r, "#Cluster Name");
  ASSERT_EQ(rows.size(), 1u) << r.Out();
  const auto& row = rows[0];
  ASSERT_GE(row.size(), 10u) << r.Out();
  EXPECT_EQ(row[0], "DefaultCluster");
  EXPECT_EQ(row[1], "broker-a");
  EXPECT_EQ(row[2], "0");
  EXPECT_EQ(row[3], cluster.broker_addr());
  EXPECT_EQ(row[4], "V4_9_8");
  EXPECT_EQ(row[5].find("(0,0ms)"), row[5].size() - 7) << row[5];  // TPS(queue size, head wait)
  double space = std::stod(row.back());
  EXPECT_GT(space, 0.0);  // the disk holding the store is not empty
  EXPECT_LE(space, 1.0);

  AdminRun filtered = Admin(cluster, {"clusterList", "-c", "NoSuchCluster"});
  EXPECT_EQ(filtered.rc, 1);
  EXPECT_NE(filtered.err.find("NoSuchCluster"), std::string::npos);
}

TEST(MqadminTest, TopicAndConsumerLifecycle) {
  MiniCluster cluster;
  WaitForBroker(cluster);
  const std::string topic = "AdminTopic";
  const std::string broker = cluster.broker_addr();

  // --- updateTopic, topicList, topicRoute ------------------------------------------------
  AdminRun created =
      Admin(cluster, {"updateTopic", "-c", "DefaultCluster", "-t", topic, "-r", "4", "-w", "4"});
  ASSERT_EQ(created.rc, 0) << created.err;
  EXPECT_TRUE(created.HasLine("create topic to " + broker + " success.")) << created.Out();
  EXPECT_TRUE(
      created.HasLine("TopicConfig [topicName=AdminTopic, readQueueNums=4, writeQueueNums=4, perm=RW-, "
                      "topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false]"))
      << created.Out();

  ASSERT_TRUE(Eventually([&] { return Admin(cluster, {"topicList"}).HasLine(topic); }, 10s));

  AdminRun route = Admin(cluster, {"topicRoute", "-t", topic});
  ASSERT_EQ(route.rc, 0) << route.err;
  auto json = nlohmann::json::parse(route.Out(), nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << route.Out();
  ASSERT_EQ(json["queueDatas"].size(), 1u);
  EXPECT_EQ(json["queueDatas"][0]["brokerName"], "broker-a");
  EXPECT_EQ(json["queueDatas"][0]["readQueueNums"], 4);
  EXPECT_EQ(json["queueDatas"][0]["writeQueueNums"], 4);
  EXPECT_EQ(json["queueDatas"][0]["perm"], 6);
  ASSERT_EQ(json["brokerDatas"].size(), 1u);
  EXPECT_EQ(json["brokerDatas"][0]["cluster"], "DefaultCluster");
  EXPECT_EQ(json["brokerDatas"][0]["brokerAddrs"]["0"], broker);

  AdminRun route_list = Admin(cluster, {"topicRoute", "-t", topic, "-l"});
  ASSERT_EQ(route_list.rc, 0) << route_list.err;
  auto route_rows = Rows(route_list, "#ClusterName");
  ASSERT_GE(route_rows.size(), 1u) << route_list.Out();
  EXPECT_EQ(route_rows[0],
            (std::vector<std::string>{"DefaultCluster", "broker-a", "{0=" + broker + "}", "4", "4", "6"}));
  EXPECT_TRUE(std::any_of(route_list.lines.begin(), route_list.lines.end(), [](const std::string& l) {
    return Tokens(l) == std::vector<std::string>{"Total:", "1", "4", "4"};
  })) << route_list.Out();

  // --- sendMessage, topicStatus ------------------------------------------------------------
  std::map<int, int64_t> sent_per_queue;
  std::set<std::string> bodies;
  for (int i = 0; i < 6; ++i) {
    std::string body = "admin-body-" + std::to_string(i);
    AdminRun sent = Admin(
        cluster, {"sendMessage", "-t", topic, "-p", body, "-c", "TagA", "-k", "key" + std::to_string(i)});
    ASSERT_EQ(sent.rc, 0) << sent.err;
    auto rows = Rows(sent, "#Broker Name");
    ASSERT_EQ(rows.size(), 1u) << sent.Out();
    ASSERT_EQ(rows[0].size(), 4u) << sent.Out();
    EXPECT_EQ(rows[0][0], "broker-a");
    EXPECT_EQ(rows[0][2], "SEND_OK");
    EXPECT_EQ(rows[0][3].size(), 32u);  // UNIQ_KEY
    sent_per_queue[std::stoi(rows[0][1])]++;
    bodies.insert(body);
  }
  AdminRun targeted =
      Admin(cluster, {"sendMessage", "-t", topic, "-p", "targeted", "-b", "broker-a", "-i", "3"});
  ASSERT_EQ(targeted.rc, 0) << targeted.err;
  auto targeted_rows = Rows(targeted, "#Broker Name");
  ASSERT_EQ(targeted_rows.size(), 1u) << targeted.Out();
  EXPECT_EQ(targeted_rows[0][1], "3");
  EXPECT_EQ(targeted_rows[0][2], "SEND_OK");
  sent_per_queue[3]++;
  bodies.insert("targeted");

  AdminRun status = Admin(cluster, {"topicStatus", "-t", topic});
  ASSERT_EQ(status.rc, 0) << status.err;
  auto status_rows = Rows(status, "#Broker Name");
  ASSERT_EQ(status_rows.size(), 4u) << status.Out();
  for (int q = 0; q < 4; ++q) {
    const auto& row = status_rows[q];
    ASSERT_GE(row.size(), 4u);
    EXPECT_EQ(row[0], "broker-a");
    EXPECT_EQ(row[1], std::to_string(q));
    EXPECT_EQ(row[2], "0");
    EXPECT_EQ(row[3], std::to_string(sent_per_queue[q])) << status.Out();
    // "#Last Updated" is a date for queues holding messages, empty otherwise.
    EXPECT_EQ(row.size(), sent_per_queue[q] > 0 ? 6u : 4u) << status.Out();
  }

  // The broker counted what was stored (runtime info msgPutTotalTodayNow - TodayMorning).
  AdminRun more = Admin(cluster, {"clusterList", "-m"});
  ASSERT_EQ(more.rc, 0) << more.err;
  auto more_rows = Rows(more, "#Cluster Name");
  ASSERT_EQ(more_rows.size(), 1u) << more.Out();
  EXPECT_EQ(more_rows[0][4], "7") << more.Out();  // #InTotalToday

  // --- consumeMessage ------------------------------------------------------------------------
  AdminRun consumed = Admin(cluster, {"consumeMessage", "-t", topic});
  ASSERT_EQ(consumed.rc, 0) << consumed.err;
  std::set<std::string> seen;
  for (const auto& l : consumed.lines) {
    auto at = l.find(" BODY: ");
    if (l.rfind("MSGID: ", 0) == 0 && at != std::string::npos) seen.insert(l.substr(at + 7));
  }
  EXPECT_EQ(seen, bodies) << consumed.Out();

  AdminRun limited = Admin(cluster, {"consumeMessage", "-t", topic, "-c", "2"});
  ASSERT_EQ(limited.rc, 0) << limited.err;
  EXPECT_EQ(std::count_if(limited.lines.begin(), limited.lines.end(),
                          [](const std::string& l) { return l.rfind("MSGID: ", 0) == 0; }),
            2);

  AdminRun one_queue = Admin(cluster, {"consumeMessage", "-t", topic, "-b", "broker-a", "-i", "3", "-o",
                                       std::to_string(sent_per_queue[3] - 1)});
  ASSERT_EQ(one_queue.rc, 0) << one_queue.err;
  ASSERT_EQ(std::count_if(one_queue.lines.begin(), one_queue.lines.end(),
                          [](const std::string& l) { return l.rfind("MSGID: ", 0) == 0; }),
            1)
      << one_queue.Out();
  EXPECT_NE(one_queue.Out().find(" BODY: targeted"), std::string::npos) << one_queue.Out();

  // --- a consumer: consumerConnection, consumerProgress, topicList -c -----------------------
  const std::string group = "AdminGroup";
  CollectingListener listener;
  auto consumer = std::make_unique<DefaultMQPushConsumer>(group);
  consumer->setNamesrvAddr(cluster.namesrv_addr());
  consumer->setConsumeFromWhere(CONSUME_FROM_FIRST_OFFSET);
  consumer->setPersistConsumerOffsetInterval(300);
  consumer->subscribe(topic, "*");
  consumer->registerMessageListener(&listener);
  consumer->start();
  ASSERT_TRUE(listener.WaitFor(bodies.size(), 30s)) << listener.Count();

  AdminRun conn = Admin(cluster, {"consumerConnection", "-g", group});
  ASSERT_EQ(conn.rc, 0) << conn.err;
  auto conn_rows = Rows(conn, "#ClientId");
  ASSERT_EQ(conn_rows.size(), 1u) << conn.Out();
  EXPECT_EQ(conn_rows[0][0], consumer->getClientId());
  EXPECT_EQ(conn_rows[0][1].rfind("127.0.0.1:", 0), 0u) << conn.Out();
  EXPECT_EQ(conn_rows[0][2], "CPP");
  EXPECT_EQ(conn_rows[0][3], "V4_9_8");
  auto sub_rows = Rows(conn, "#Topic");
  EXPECT_NE(std::find(sub_rows.begin(), sub_rows.end(), std::vector<std::string>{topic, "*"}), sub_rows.end())
      << conn.Out();
  EXPECT_EQ(Labeled(conn, "ConsumeType"), "CONSUME_PASSIVELY");
  EXPECT_EQ(Labeled(conn, "MessageModel"), "CLUSTERING");
  EXPECT_EQ(Labeled(conn, "ConsumeFromWhere"), "CONSUME_FROM_FIRST_OFFSET");

  // Offsets reach the broker on the consumer's next persist.
  AdminRun progress;
  auto topic_rows = [&](const AdminRun& run) {
    std::vector<std::vector<std::string>> out;
    for (auto& row : Rows(run, "#Topic"))
      if (!row.empty() && row[0] == topic) out.push_back(row);
    return out;
  };
  ASSERT_TRUE(Eventually(
      [&] {
        progress = Admin(cluster, {"consumerProgress", "-g", group});
        auto rows = topic_rows(progress);
        return progress.rc == 0 && rows.size() == 4 &&
               std::all_of(rows.begin(), rows.end(),
                           [](const auto& r) { return r.size() >= 7 && r[3] == r[4]; });
      },
      20s))
      << progress.Out() << progress.err;
  for (const auto& row : topic_rows(progress)) {
    int q = std::stoi(row[2]);
    EXPECT_EQ(row[1], "broker-a");
    EXPECT_EQ(row[3], std::to_string(sent_per_queue[q]));  // broker offset
    EXPECT_EQ(row[5], "127.0.0.1") << progress.Out();      // the member pulling the queue
    EXPECT_EQ(row[6], "0");
  }
  EXPECT_EQ(Labeled(progress, "Diff Total"), "0");
  EXPECT_FALSE(Labeled(progress, "Consume TPS").empty());

  AdminRun groups = Admin(cluster, {"consumerProgress"});
  ASSERT_EQ(groups.rc, 0) << groups.err;
  auto group_rows = Rows(groups, "#Group");
  auto mine =
      std::find_if(group_rows.begin(), group_rows.end(), [&](const auto& r) { return r[0] == group; });
  ASSERT_NE(mine, group_rows.end()) << groups.Out();
  EXPECT_EQ(*mine, (std::vector<std::string>{group, "1", "V4_9_8", "PUSH", "CLUSTERING", (*mine)[5], "0"}));

  AdminRun by_cluster = Admin(cluster, {"topicList", "-c"});
  ASSERT_EQ(by_cluster.rc, 0) << by_cluster.err;
  auto cluster_rows = Rows(by_cluster, "#Cluster Name");
  EXPECT_NE(std::find(cluster_rows.begin(), cluster_rows.end(),
                      std::vector<std::string>{"DefaultCluster", topic, group}),
            cluster_rows.end())
      << by_cluster.Out();

  consumer->shutdown();
  consumer.reset();

  // Offline: the broker answers CONSUMER_NOT_ONLINE; progress still shows the backlog.
  AdminRun offline = Admin(cluster, {"consumerConnection", "-g", group});
  EXPECT_EQ(offline.rc, 1);
  EXPECT_NE(offline.err.find("CODE: 206  DESC: the consumer group[" + group + "] not online"),
            std::string::npos)
      << offline.err;

  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Admin(cluster, {"sendMessage", "-t", topic, "-p", "late" + std::to_string(i), "-b", "broker-a",
                              "-i", "1"})
                  .rc,
              0);
  }
  AdminRun backlog = Admin(cluster, {"consumerProgress", "-g", group, "-t", topic});
  ASSERT_EQ(backlog.rc, 0) << backlog.err;
  int64_t diff_total = 0;
  for (const auto& row : topic_rows(backlog)) {
    int64_t broker_offset = std::stoll(row[3]), consumer_offset = std::stoll(row[4]);
    EXPECT_EQ(std::stoll(row[6]), broker_offset - consumer_offset);
    EXPECT_EQ(row[5], "N/A");  // nobody pulls any more
    diff_total += broker_offset - consumer_offset;
    if (row[2] == "1") {
      EXPECT_EQ(broker_offset, sent_per_queue[1] + 3);
    }
  }
  EXPECT_EQ(diff_total, 3);
  EXPECT_EQ(Labeled(backlog, "Diff Total"), "3");

  AdminRun unknown_group = Admin(cluster, {"consumerProgress", "-g", "NobodyGroup"});
  EXPECT_EQ(unknown_group.rc, 1);
  EXPECT_NE(unknown_group.err.find("No topic route info in name server for the topic: %RETRY%NobodyGroup"),
            std::string::npos)
      << unknown_group.err;

  // --- deleteTopic ---------------------------------------------------------------------------
  AdminRun deleted = Admin(cluster, {"deleteTopic", "-t", topic, "-c", "DefaultCluster"});
  ASSERT_EQ(deleted.rc, 0) << deleted.err;
  EXPECT_TRUE(deleted.HasLine("delete topic [AdminTopic] from cluster [DefaultCluster] success."))
      << deleted.Out();
  EXPECT_TRUE(deleted.HasLine("delete topic [AdminTopic] from NameServer success.")) << deleted.Out();
  AdminRun gone;
  EXPECT_TRUE(Eventually(
      [&] {
        gone = Admin(cluster, {"topicRoute", "-t", topic});
        return gone.rc == 1;
      },
      5s));
  EXPECT_NE(gone.err.find("No topic route info in name server for the topic: AdminTopic"), std::string::npos)
      << gone.err;
  AdminRun status_gone = Admin(cluster, {"topicStatus", "-t", topic});
  EXPECT_EQ(status_gone.rc, 1);
}

TEST(MqadminTest, OrderTopicSetsTheNameServerOrderConf) {
  MiniCluster cluster;
  WaitForBroker(cluster);
  AdminRun created = Admin(cluster, {"updateTopic", "-b", cluster.broker_addr(), "-t", "OrderedTopic", "-w",
                                     "2", "-r", "2", "-o", "true"});
  ASSERT_EQ(created.rc, 0) << created.err;
  EXPECT_TRUE(created.HasLine("set broker orderConf. isOrder=true, orderConf=[broker-a:2]")) << created.Out();
  EXPECT_TRUE(created.HasLine("create topic to " + cluster.broker_addr() + " success.")) << created.Out();
  AdminRun route;
  ASSERT_TRUE(Eventually(
      [&] {
        route = Admin(cluster, {"topicRoute", "-t", "OrderedTopic"});
        return route.rc == 0;
      },
      10s));
  auto json = nlohmann::json::parse(route.Out(), nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << route.Out();
  EXPECT_EQ(json["orderTopicConf"], "broker-a:2");
}

// --- message queries: queryMsgById, queryMsgByKey, queryMsgByUniqueKey, printMsg ---------------

}  // namespace
}  // namespace sprocket
