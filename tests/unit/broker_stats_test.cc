// BrokerStats: counters, TPS from one-second samples, the midnight roll, last pullers.
#include "broker/broker_stats.h"

#include <gtest/gtest.h>

#include <ctime>
#include <thread>
#include <vector>

namespace sprocket::broker {
namespace {

// Local midnight of 2024-05-01 plus `seconds`, in ms.
int64_t Wall(int64_t seconds) {
  std::tm tm{};
  tm.tm_year = 124;
  tm.tm_mon = 4;
  tm.tm_mday = 1;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&tm)) * 1000 + seconds * 1000;
}

TEST(BrokerStatsTest, TotalsCountStoredAndPulledMessages) {
  BrokerStats st(/*start_sampler=*/false);
  st.OnMessagesStored(1);
  st.OnMessagesStored(4);
  st.OnPull("G", "T", 0, 11, 3);
  st.OnPull("G", "T", 1, 11, 0);
  EXPECT_EQ(st.PutTotal(), 5);
  EXPECT_EQ(st.GetTotal(), 3);
  EXPECT_GT(st.boot_time_ms(), 0);
}

TEST(BrokerStatsTest, RatesComeFromSamplesOverThreeWindows) {
  BrokerStats st(false);
  EXPECT_EQ(st.PutTps(), "0.00 0.00 0.00");  // nothing sampled yet
  int64_t t = 1000000;
  st.Sample(t, Wall(3600));
  // 100 messages per second for 20 s.
  for (int s = 1; s <= 20; ++s) {
    st.OnMessagesStored(100);
    st.OnPull("G", "T", 0, 1, 10);  // found
    st.OnPull("G", "T", 1, 1, 0);   // miss
    st.Sample(t + s * 1000, Wall(3600 + s));
  }
  // 10 s window: 100/s; 60 s and 600 s windows use the 20 s sampled so far: 100/s.
  EXPECT_EQ(st.PutTps(), "100.00 100.00 100.00");
  EXPECT_EQ(st.GetTransferredTps(), "10.00 10.00 10.00");
  EXPECT_EQ(st.GetFoundTps(), "1.00 1.00 1.00");
  EXPECT_EQ(st.GetMissTps(), "1.00 1.00 1.00");
  EXPECT_EQ(st.GetTotalTps(), "2.00 2.00 2.00");
  // Then 10 quiet seconds: the 10 s rate drops to 0, the longer ones halve.
  for (int s = 21; s <= 30; ++s) st.Sample(t + s * 1000, Wall(3600 + s));
  EXPECT_EQ(st.PutTps(), "0.00 66.67 66.67");
  // The group's samples start with its first pull: 10 messages at t+1 s, 200 at t+30 s.
  EXPECT_DOUBLE_EQ(st.GroupGetTps("G", "T"), 190.0 / 29.0);
  EXPECT_EQ(st.GroupGetTps("G", "Other"), 0.0);
  EXPECT_EQ(st.GroupGetTps("Other", "T"), 0.0);
}

TEST(BrokerStatsTest, GroupRateCoversTheLastMinute) {
  BrokerStats st(false);
  int64_t t = 0;
  for (int s = 0; s <= 120; ++s) {
    if (s > 60) st.OnPull("G", "T", 0, 1, 6);  // 6/s during the second minute only
    st.Sample(t + s * 1000, Wall(3600 + s));
  }
  EXPECT_DOUBLE_EQ(st.GroupGetTps("G", "T"), 6.0);
}

TEST(BrokerStatsTest, MorningTotalsRollAtLocalMidnight) {
  BrokerStats st(false);
  st.Sample(0, Wall(3600));  // 01:00 on day 1
  st.OnMessagesStored(7);
  st.OnPull("G", "T", 0, 1, 2);
  st.Sample(1000, Wall(86400 - 1));  // 23:59:59, same day
  auto d = st.DailyTotals();
  EXPECT_EQ(d.put_today_morning, 0);
  EXPECT_EQ(d.put_now, 7);
  st.Sample(2000, Wall(86400 + 1));  // next day
  st.OnMessagesStored(3);
  d = st.DailyTotals();
  EXPECT_EQ(d.put_yesterday_morning, 0);
  EXPECT_EQ(d.put_today_morning, 7);
  EXPECT_EQ(d.put_now, 10);
  EXPECT_EQ(d.get_today_morning, 2);
  st.Sample(3000, Wall(2 * 86400 + 5));  // and the day after
  d = st.DailyTotals();
  EXPECT_EQ(d.put_yesterday_morning, 7);
  EXPECT_EQ(d.put_today_morning, 10);
}

TEST(BrokerStatsTest, RemembersTheLastPullerOfEachQueueAndForgetsIdleGroups) {
  BrokerStats st(false);
  EXPECT_FALSE(st.LastPuller("G", "T", 0).has_value());
  st.OnPull("G", "T", 0, 41, 1);
  st.OnPull("G", "T", 1, 42, 0);
  st.OnPull("G", "T", 0, 43, 0);  // queue 0 moved to another member
  EXPECT_EQ(st.LastPuller("G", "T", 0), 43u);
  EXPECT_EQ(st.LastPuller("G", "T", 1), 42u);
  EXPECT_FALSE(st.LastPuller("G", "T", 2).has_value());
  EXPECT_FALSE(st.LastPuller("G", "U", 0).has_value());
  // Ten minutes without a pull: the counters go.
  for (int s = 0; s <= 601; ++s) st.Sample(s * 1000, Wall(3600 + s));
  EXPECT_FALSE(st.LastPuller("G", "T", 0).has_value());
  st.OnPull("G", "T", 0, 44, 0);
  EXPECT_EQ(st.LastPuller("G", "T", 0), 44u);
}

TEST(BrokerStatsTest, ConcurrentWritersLoseNothing) {
  BrokerStats st(/*start_sampler=*/true);  // the real sampler runs alongside
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&st, t] {
      for (int i = 0; i < 20000; ++i) {
        st.OnMessagesStored(1);
        st.OnPull("G" + std::to_string(i % 3), "T", i % 8, static_cast<uint64_t>(t), 2);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(st.PutTotal(), 80000);
  EXPECT_EQ(st.GetTotal(), 160000);
}

}  // namespace
}  // namespace sprocket::broker
