// The broker's topic table (RocketMQ's TopicConfigManager): system topics, auto-creation
// from TBW102 with PERM_INHERIT, persistence, change notification.
#include "routing/topic_config_manager.h"

#include <gtest/gtest.h>

#include "sprocket/protocol/codes.h"
#include "support/test_process.h"

namespace sprocket::broker {
namespace {

namespace Perm = protocol::Perm;

TopicDefaults Defaults(bool auto_create) {
  return TopicDefaults{"DefaultCluster", "broker-a", auto_create, 8, true, true};
}

TEST(TopicConfigManagerTest, SystemTopicsAndAutoCreation) {
  testing::TempDir dir;
  TopicConfigManager m(dir.Sub("config/topics.json"), Defaults(true));
  int changes = 0;
  m.SetChangeListener([&] { ++changes; });
  ASSERT_TRUE(m.Load().ok());
  auto tbw = m.Find("TBW102");
  ASSERT_TRUE(tbw);
  EXPECT_EQ(tbw->perm, Perm::kRead | Perm::kWrite | Perm::kInherit);
  EXPECT_TRUE(m.Find("SELF_TEST_TOPIC"));
  EXPECT_TRUE(m.Find("DefaultCluster"));
  EXPECT_TRUE(m.Find("broker-a"));

  auto created = m.CreateInSendMessage("NewTopic", "TBW102", 4, 0);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->write_queue_nums, 4);               // min(client's 4, TBW102's 8)
  EXPECT_EQ(created->perm, Perm::kRead | Perm::kWrite);  // INHERIT is not inherited
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(m.CreateInSendMessage("Big", "TBW102", 64, 0)->write_queue_nums, 8);
  // A default topic without INHERIT spawns nothing.
  EXPECT_FALSE(m.CreateInSendMessage("Child", "SELF_TEST_TOPIC", 4, 0));

  // Everything is back after a reload.
  TopicConfigManager again(dir.Sub("config/topics.json"), Defaults(true));
  ASSERT_TRUE(again.Load().ok());
  EXPECT_EQ(again.Find("NewTopic")->write_queue_nums, 4);
  EXPECT_EQ(again.Snapshot().second.counter, m.Snapshot().second.counter);
}

TEST(TopicConfigManagerTest, NoAutoCreateMeansNoInheritingDefault) {
  testing::TempDir dir;
  {
    TopicConfigManager on(dir.Sub("topics.json"), Defaults(true));
    ASSERT_TRUE(on.Load().ok());
  }
  TopicConfigManager off(dir.Sub("topics.json"), Defaults(false));
  ASSERT_TRUE(off.Load().ok());
  EXPECT_FALSE(off.CreateInSendMessage("NewTopic", "TBW102", 4, 0));
  EXPECT_EQ(off.Find("TBW102")->perm & Perm::kInherit, 0);
}

TEST(TopicConfigManagerTest, TopicNames) {
  EXPECT_EQ(ValidateTopicName("Good_topic-1%|x"), "");
  EXPECT_NE(ValidateTopicName(""), "");
  EXPECT_NE(ValidateTopicName("has space"), "");
  EXPECT_NE(ValidateTopicName(std::string(128, 'a')), "");
  EXPECT_EQ(ValidateTopicName(std::string(127, 'a')), "");
  EXPECT_TRUE(IsNotAllowedSendTopic("SCHEDULE_TOPIC_XXXX"));
  EXPECT_FALSE(IsNotAllowedSendTopic("TopicA"));
}

}  // namespace
}  // namespace sprocket::broker
