// The push consumer's pure parts: offset tracking of a process queue, queue allocation,
// tag re-filtering, retry-topic restore.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "allocate.h"
#include "message_util.h"
#include "process_queue.h"

namespace sprocket::sdk {
namespace {

MessageExt Msg(int64_t offset, std::string body = "x") {
  MessageExt m;
  m.setQueueOffset(offset);
  m.setBody(std::move(body));
  return m;
}

std::vector<MessageExt> Msgs(std::initializer_list<int64_t> offsets) {
  std::vector<MessageExt> out;
  for (int64_t o : offsets) out.push_back(Msg(o));
  return out;
}

TEST(SdkProcessQueueTest, CommitsStartOffsetUntilSomethingIsConsumed) {
  ProcessQueue pq(100);
  EXPECT_EQ(pq.CommitOffset(), 100);
  pq.PutMessages(Msgs({100, 101, 102}), 103);
  EXPECT_EQ(pq.CommitOffset(), 100);
  EXPECT_EQ(pq.CachedCount(), 3u);
}

TEST(SdkProcessQueueTest, NeverCommitsPastAnUnconsumedMessage) {
  ProcessQueue pq(0);
  pq.PutMessages(Msgs({0, 1, 2, 3}), 4);
  // Out of order completion: 1 and 3 first.
  EXPECT_EQ(pq.RemoveMessages(Msgs({1})), 0);
  EXPECT_EQ(pq.RemoveMessages(Msgs({3})), 0);
  EXPECT_EQ(pq.RemoveMessages(Msgs({0})), 2);
  EXPECT_EQ(pq.RemoveMessages(Msgs({2})), 4);  // all done: the pull position
  EXPECT_EQ(pq.CachedCount(), 0u);
}

TEST(SdkProcessQueueTest, FilteredGapsCountAsConsumed) {
  ProcessQueue pq(10);
  // The pull scanned 10..19 but only 12 and 15 matched the subscription.
  pq.PutMessages(Msgs({12, 15}), 20);
  EXPECT_EQ(pq.CommitOffset(), 12);
  pq.RemoveMessages(Msgs({12, 15}));
  EXPECT_EQ(pq.CommitOffset(), 20);
  // Nothing matched at all.
  pq.PutMessages({}, 30);
  EXPECT_EQ(pq.CommitOffset(), 30);
}

TEST(SdkProcessQueueTest, PullOffsetMovesWithoutMessages) {
  ProcessQueue pq(5);
  pq.SetPullOffset(9);
  EXPECT_EQ(pq.CommitOffset(), 9);
  pq.SetPullOffset(3);  // offset moved backwards
  EXPECT_EQ(pq.CommitOffset(), 3);
  pq.PutMessages(Msgs({3}), 4);
  pq.SetPullOffset(50);
  EXPECT_EQ(pq.CommitOffset(), 3);  // still in flight
}

TEST(SdkProcessQueueTest, DuplicatesAndUnknownRemovalsAreHarmless) {
  ProcessQueue pq(0);
  pq.PutMessages(Msgs({0, 1}), 2);
  pq.PutMessages(Msgs({1}), 2);  // redelivered duplicate
  EXPECT_EQ(pq.CachedCount(), 2u);
  EXPECT_EQ(pq.RemoveMessages(Msgs({7})), 0);
  EXPECT_EQ(pq.RemoveMessages(Msgs({0, 1, 1})), 2);
}

TEST(SdkProcessQueueTest, TracksCachedBytesAndDrop) {
  ProcessQueue pq(0);
  pq.PutMessages({Msg(0, "abc"), Msg(1, "defgh")}, 2);
  EXPECT_EQ(pq.CachedBytes(), 8u);
  pq.RemoveMessages({Msg(0)});
  EXPECT_EQ(pq.CachedBytes(), 5u);
  EXPECT_FALSE(pq.dropped());
  pq.Drop();
  EXPECT_TRUE(pq.dropped());
}

std::vector<MessageQueue> AllocateAveragely(const std::vector<MessageQueue>& all,
                                            const std::vector<std::string>& cids,
                                            const std::string& me) {
  AllocateMessageQueueAveragely avg;
  return Allocate(avg, "G", me, all, cids);
}
std::vector<MessageQueue> AllocateByCircle(const std::vector<MessageQueue>& all,
                                           const std::vector<std::string>& cids,
                                           const std::string& me) {
  AllocateMessageQueueAveragelyByCircle circle;
  return Allocate(circle, "G", me, all, cids);
}

std::vector<MessageQueue> Queues(int per_broker) {
  std::vector<MessageQueue> out;
  for (const char* b : {"broker-b", "broker-a"}) {
    for (int i = 0; i < per_broker; ++i) out.emplace_back("T", b, i);
  }
  return out;
}

TEST(SdkAllocateTest, SoleMemberGetsEveryQueue) {
  auto all = Queues(4);
  auto mine = AllocateAveragely(all, {"10.0.0.1@1"}, "10.0.0.1@1");
  std::sort(all.begin(), all.end());
  EXPECT_EQ(mine, all);
}

TEST(SdkAllocateTest, NonMemberGetsNothing) {
  EXPECT_TRUE(AllocateAveragely(Queues(4), {"a", "b"}, "c").empty());
  EXPECT_TRUE(AllocateAveragely({}, {"a"}, "a").empty());
}

TEST(SdkAllocateTest, AverageSplitIsContiguousAndCoversEverything) {
  auto all = Queues(4);  // 8 queues
  std::vector<std::string> cids = {"c3", "c1", "c2"};  // unsorted on purpose
  std::multiset<MessageQueue> covered;
  std::vector<size_t> sizes;
  for (const auto& me : cids) {
    auto mine = AllocateAveragely(all, cids, me);
    sizes.push_back(mine.size());
    covered.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(covered.size(), all.size());
  EXPECT_EQ(std::set<MessageQueue>(covered.begin(), covered.end()).size(), all.size());
  // Sorted members c1, c2, c3 get 3, 3, 2.
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 3, 3}));
  auto c1 = AllocateAveragely(all, cids, "c1");
  std::sort(all.begin(), all.end());
  EXPECT_EQ(c1, std::vector<MessageQueue>(all.begin(), all.begin() + 3));
}

TEST(SdkAllocateTest, MoreMembersThanQueues) {
  std::vector<MessageQueue> all = {{"T", "b", 0}, {"T", "b", 1}};
  EXPECT_EQ(AllocateAveragely(all, {"a", "b", "c"}, "a").size(), 1u);
  EXPECT_EQ(AllocateAveragely(all, {"a", "b", "c"}, "b").size(), 1u);
  EXPECT_TRUE(AllocateAveragely(all, {"a", "b", "c"}, "c").empty());
}

TEST(SdkAllocateTest, ByCircleDealsQueuesLikeCards) {
  auto all = Queues(4);  // 8 queues
  std::vector<std::string> cids = {"c2", "c3", "c1"};
  std::vector<MessageQueue> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  auto c1 = AllocateByCircle(all, cids, "c1");
  auto c2 = AllocateByCircle(all, cids, "c2");
  auto c3 = AllocateByCircle(all, cids, "c3");
  EXPECT_EQ(c1, (std::vector<MessageQueue>{sorted[0], sorted[3], sorted[6]}));
  EXPECT_EQ(c2, (std::vector<MessageQueue>{sorted[1], sorted[4], sorted[7]}));
  EXPECT_EQ(c3, (std::vector<MessageQueue>{sorted[2], sorted[5]}));
  EXPECT_TRUE(AllocateByCircle(all, cids, "c4").empty());
}

TEST(SdkAllocateTest, DuplicateMemberIdsCountOnce) {
  auto all = Queues(2);  // 4 queues
  EXPECT_EQ(AllocateAveragely(all, {"a", "b", "a"}, "a").size(), 2u);
  EXPECT_EQ(AllocateByCircle(all, {"a", "b", "b"}, "b").size(), 2u);
}

TEST(SdkFilterTest, TagStringsAreCheckedAgain) {
  auto sub = protocol::BuildTagSubscription("T", "TagA || TagB", 1);
  MessageExt m;
  m.setTags("TagA");
  EXPECT_TRUE(MatchesSubscription(m, sub));
  m.setTags("TagC");
  EXPECT_FALSE(MatchesSubscription(m, sub));
  m.setTags("");
  EXPECT_FALSE(MatchesSubscription(m, sub));
  auto all = protocol::BuildTagSubscription("T", "*", 1);
  EXPECT_TRUE(MatchesSubscription(m, all));
}

TEST(SdkFilterTest, RetryTopicIsRestored) {
  MessageExt m;
  m.setTopic("%RETRY%G1");
  m.setProperty("RETRY_TOPIC", "Orders");
  RestoreRetryTopic(&m, "G1");
  EXPECT_EQ(m.getTopic(), "Orders");
  MessageExt other;
  other.setTopic("%RETRY%G2");
  other.setProperty("RETRY_TOPIC", "Orders");
  RestoreRetryTopic(&other, "G1");  // another group's retry topic: untouched
  EXPECT_EQ(other.getTopic(), "%RETRY%G2");
}

}  // namespace
}  // namespace sprocket::sdk
