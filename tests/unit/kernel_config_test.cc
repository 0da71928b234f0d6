// Config files and the key check (DESIGN.md §5): typos are errors, RocketMQ keys we do not
// implement are warnings, values are checked.
#include <gtest/gtest.h>

#include "broker/broker_config.h"
#include "common/config.h"

namespace sprocket {
namespace {

TEST(ConfigTest, ParsesRocketMQPropertiesFiles) {
  auto c = Config::Parse(
      "# comment\n! also a comment\n\n brokerName = broker-a \r\nlistenPort:10911\nempty=\n", "broker.conf");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->GetString("brokerName", ""), "broker-a");
  EXPECT_EQ(*c->GetInt("listenPort", 0), 10911);
  EXPECT_EQ(c->GetString("empty", "x"), "");
  EXPECT_EQ(*c->GetInt("empty", 5), 5);  // an empty value means "use the default"
  EXPECT_EQ(c->Origin("listenPort"), "broker.conf:5");
}

TEST(ConfigTest, RejectsLinesWithoutSeparatorAndBadValues) {
  auto bad = Config::Parse("a=1\njust words\n", "x.conf");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "x.conf:2: expected key=value, got 'just words'");

  auto c = Config::Parse("n=12a\nb=yes\n", "x.conf");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->GetInt("n", 0).status().message(), "x.conf:1: config key 'n' needs an integer, got '12a'");
  EXPECT_EQ(c->GetBool("b", false).status().message(),
            "x.conf:2: config key 'b' needs true or false, got 'yes'");
  EXPECT_TRUE(*Config::Parse("b=TRUE")->GetBool("b", false));
}

TEST(ConfigTest, UnknownKeysAreErrorsWithASuggestion) {
  KeyRules rules;
  rules.implemented = {"listenPort", "brokerName"};
  rules.rocketmq_other = {"deleteWhen"};
  std::vector<std::string> warnings;
  auto ok = Config::Parse("listenPort=1\ndeleteWhen=04\n", "b.conf");
  EXPECT_TRUE(CheckKeys(*ok, rules, &warnings).ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "b.conf:2: RocketMQ key 'deleteWhen' is not implemented by Sprocket; ignored");

  auto typo = Config::Parse("listenPrt=1\n", "b.conf");
  EXPECT_EQ(CheckKeys(*typo, rules, nullptr).message(),
            "b.conf:1: unknown config key 'listenPrt' (did you mean 'listenPort'?)");
  auto far = Config::Parse("completelyDifferent=1\n", "b.conf");
  EXPECT_EQ(CheckKeys(*far, rules, nullptr).message(), "b.conf:1: unknown config key 'completelyDifferent'");
}

TEST(BrokerConfigTest, DefaultsAndChecks) {
  auto c = Config::Parse("brokerName=b\nbrokerIP1=127.0.0.1\n");
  auto b = broker::BrokerConfigFrom(*c);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->broker_cluster_name, "DefaultCluster");
  EXPECT_EQ(b->listen_port, 10911);
  EXPECT_EQ(b->default_topic_queue_nums, 8);
  EXPECT_EQ(b->register_name_server_period, 30000);

  auto clamp = broker::BrokerConfigFrom(*Config::Parse("registerNameServerPeriod=1000\n"));
  EXPECT_EQ(clamp->register_name_server_period, 10000);  // RocketMQ clamps to [10 s, 60 s]
  EXPECT_FALSE(broker::BrokerConfigFrom(*Config::Parse("listenPort=70000\n")).ok());
  EXPECT_TRUE(broker::BrokerConfigFrom(*Config::Parse("brokerRole=SLAVE\n")).status().IsNotSupported());
  EXPECT_FALSE(broker::BrokerConfigFrom(*Config::Parse("flushDiskType=NEVER\n")).ok());
  // Retention keys are read and checked (RocketMQ's names and defaults).
  auto ret = broker::BrokerConfigFrom(*Config::Parse("deleteWhen=04;16\nfileReservedTime=48\n"
                                                     "diskMaxUsedSpaceRatio=80\ndiskSpaceCleanForciblyRatio=0.9\n"));
  ASSERT_TRUE(ret.ok()) << ret.status().ToString();
  EXPECT_EQ(ret->retention.delete_hours, (std::vector<int>{4, 16}));
  EXPECT_EQ(ret->retention.file_reserved_hours, 48);
  EXPECT_EQ(ret->retention.disk_max_used_space_ratio, 80);
  EXPECT_DOUBLE_EQ(ret->retention.disk_space_clean_forcibly_ratio, 0.9);
  EXPECT_EQ(broker::BrokerConfigFrom(*Config::Parse("")).value().retention.delete_hours, std::vector<int>{4});
  // QUERY_MESSAGE limits (MessageStoreConfig's names and defaults).
  EXPECT_EQ(b->default_query_max_num, 32);
  EXPECT_EQ(b->max_msgs_num_batch, 64);
  auto query = broker::BrokerConfigFrom(*Config::Parse("defaultQueryMaxNum=3\nmaxMsgsNumBatch=2\n"));
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  EXPECT_EQ(query->default_query_max_num, 3);
  EXPECT_EQ(query->max_msgs_num_batch, 2);
  for (const char* bad : {"deleteWhen=25\n", "fileReservedTime=-1\n", "diskSpaceCleanForciblyRatio=2\n",
                          "cleanResourceInterval=0\n", "maxTransferCountOnMessageInDisk=0\n",
                          "defaultQueryMaxNum=0\n", "maxMsgsNumBatch=-3\n"}) {
    auto r = broker::BrokerConfigFrom(*Config::Parse(bad));
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad;
  }
  // Every RocketMQ key the kernel implements is known to the key check.
  KeyRules rules = broker::BrokerKeyRules();
  for (const char* k :
       {"brokerClusterName", "namesrvAddr", "storePathRootDir", "flushDiskType", "autoCreateTopicEnable"}) {
    EXPECT_TRUE(rules.implemented.count(k)) << k;
  }
}

}  // namespace
}  // namespace sprocket
