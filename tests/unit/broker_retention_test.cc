// The retention schedule: when the broker asks the store to delete, and with which policy
// (RocketMQ's CleanCommitLogService rules).
#include <gtest/gtest.h>

#include "broker/retention_service.h"

namespace sprocket::broker {
namespace {

TEST(RetentionTest, ParsesDeleteWhen) {
  auto one = ParseDeleteWhen("04");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, std::vector<int>{4});
  auto two = ParseDeleteWhen("4; 16;");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, (std::vector<int>{4, 16}));
  for (const char* bad : {"", "24", "4pm", "-1", "04:00", ";"}) {
    auto r = ParseDeleteWhen(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("deleteWhen"), std::string::npos);
    }
  }
}

TEST(RetentionTest, DeletesOnlyAtDeleteWhenOrWhenTheDiskIsFull) {
  RetentionSettings s;
  s.file_reserved_hours = 72;
  s.delete_hours = {4, 16};
  const int64_t now = 1'700'000'000'000;
  EXPECT_FALSE(DecideRetention(s, now, 3, 0.30).run);
  EXPECT_FALSE(DecideRetention(s, now, 3, 0.75).run);  // not above 75%

  RetentionDecision at_hour = DecideRetention(s, now, 16, 0.30);
  ASSERT_TRUE(at_hour.run);
  EXPECT_EQ(at_hour.policy.expire_before_ms, now - 72LL * 3600 * 1000);
  EXPECT_FALSE(at_hour.policy.force);
  EXPECT_EQ(at_hour.policy.max_units, 10);
  EXPECT_NE(at_hour.why.find("16"), std::string::npos);

  RetentionDecision full = DecideRetention(s, now, 3, 0.80);
  ASSERT_TRUE(full.run);
  EXPECT_FALSE(full.policy.force);  // expired units only below 85%
  EXPECT_NE(full.why.find("disk"), std::string::npos);

  RetentionDecision very_full = DecideRetention(s, now, 3, 0.90);
  ASSERT_TRUE(very_full.run);
  EXPECT_TRUE(very_full.policy.force);
  s.clean_file_forcibly_enable = false;
  EXPECT_FALSE(DecideRetention(s, now, 3, 0.90).policy.force);
}

TEST(RetentionTest, DiskRatioIsClampedLikeRocketMQ) {
  RetentionSettings s;
  s.delete_hours = {4};
  s.disk_max_used_space_ratio = 1;  // RocketMQ treats anything below 10 as 10
  EXPECT_FALSE(DecideRetention(s, 0, 3, 0.09).run);
  EXPECT_TRUE(DecideRetention(s, 0, 3, 0.11).run);
  s.disk_max_used_space_ratio = 99;  // and anything above 95 as 95
  EXPECT_TRUE(DecideRetention(s, 0, 3, 0.96).run);
}

TEST(RetentionTest, MeasuresTheDisk) {
  double r = DiskUsedRatio("/");
  EXPECT_GT(r, 0.0);
  EXPECT_LE(r, 1.0);
  EXPECT_LT(DiskUsedRatio("/no/such/dir/anywhere"), 0);
}

}  // namespace
}  // namespace sprocket::broker
