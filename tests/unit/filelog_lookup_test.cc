// filelog storage plugin: LookupKey through the key index (index_file.h) as the store keeps it
// in step with the log — appends, restarts, crash recovery, retention, truncation, replicas.
// The index file format itself is tested in filelog_index_test.cc.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/filelog_test_util.h"

namespace sprocket::testing::filelog {
namespace {

// A record with KEYS "<tag>-a <tag>-b" and its AppendRequest::keys as the broker builds it:
// UNIQ_KEY, a space, then KEYS.
AppendRequest Keyed(const std::string& topic, const std::string& tag, const std::string& body = "") {
  AppendRequest r =
      MakeRecord(topic, 0, body.empty() ? tag : body, "", "KEYS\x01" + tag + "-a " + tag + "-b");
  size_t consumed = 0;
  Result<protocol::MessageExt> m = protocol::DecodeRecord(r.record, &consumed, false);
  EXPECT_TRUE(m.ok());
  r.keys = std::string(m->properties.Get(protocol::Prop::kUniqKey)) + " " + tag + "-a " + tag + "-b";
  return r;
}

std::string UniqKeyOf(const AppendRequest& r) { return r.keys.substr(0, r.keys.find(' ')); }

std::vector<int64_t> Lookup(MessageStore& store, const std::string& topic, const std::string& key) {
  Result<std::vector<LogPosition>> found = store.LookupKey(topic, key, 0, NowMs() + 60000, 64);
  EXPECT_TRUE(found.ok()) << found.status().ToString();
  std::vector<int64_t> out;
  if (found.ok())
    for (LogPosition p : *found) out.push_back(p.value);
  return out;
}

bool Contains(const std::vector<int64_t>& v, int64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(FileLogLookupTest, FindsRecordsByEveryKeyAndUniqKey) {
  StoreHarness h;
  h.Open();
  std::vector<AppendRequest> reqs;
  std::vector<std::string> uniq;
  for (int i = 0; i < 50; ++i) {
    reqs.push_back(Keyed(i % 2 ? "KA" : "KB", "k" + std::to_string(i)));
    uniq.push_back(UniqKeyOf(reqs.back()));
  }
  std::vector<AppendResult> r = AppendAndWait(h.store(), std::move(reqs));
  ASSERT_EQ(r.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    const std::string topic = i % 2 ? "KA" : "KB";
    for (const std::string& key : {"k" + std::to_string(i) + "-a", "k" + std::to_string(i) + "-b", uniq[i]}) {
      std::vector<int64_t> found = Lookup(h.store(), topic, key);
      EXPECT_TRUE(Contains(found, r[i].position.value)) << topic << " " << key;
    }
    // Keys are per topic.
    EXPECT_FALSE(Contains(Lookup(h.store(), i % 2 ? "KB" : "KA", "k" + std::to_string(i) + "-a"),
                          r[i].position.value));
  }
  EXPECT_TRUE(Lookup(h.store(), "KA", "no-such-key").empty());
  // A time range that ends before the records were stored finds nothing.
  Result<std::vector<LogPosition>> early = h->LookupKey("KA", "k1-a", 0, r[1].store_timestamp - 5000, 64);
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->empty());
}

TEST(FileLogLookupTest, KeysSurviveARestartAndACrash) {
  auto options = SmallStoreOptions();
  options["flushIntervalCommitLog"] = "100000";
  options["flushIntervalConsumeQueue"] = "100000";
  StoreHarness h(options);
  h.Open();
  std::vector<AppendResult> r;
  for (int i = 0; i < 20; ++i) r.push_back(AppendOne(h.store(), Keyed("Crash", "c" + std::to_string(i))));
  h.Reopen();  // clean restart
  for (int i = 0; i < 20; ++i)
    EXPECT_TRUE(Contains(Lookup(h.store(), "Crash", "c" + std::to_string(i) + "-a"), r[i].position.value));
  const std::string cp = ReadFileBytes(h.Path("checkpoint"));
  for (int i = 20; i < 30; ++i) r.push_back(AppendOne(h.store(), Keyed("Crash", "c" + std::to_string(i))));
  h.Shutdown();
  // Crash right after the restart's checkpoint; record 25 lost its magic, so 25..29 go.
  SimulateCrashAfterCheckpoint(h, cp);
  OverwriteBytes(SegmentPathFor(h, r[25].position.value), r[25].position.value % 65536 + 4, "BAD!");
  h.Open();
  for (int i = 0; i < 25; ++i)
    EXPECT_TRUE(Contains(Lookup(h.store(), "Crash", "c" + std::to_string(i) + "-b"), r[i].position.value))
        << i;
  for (int i = 25; i < 30; ++i)
    EXPECT_TRUE(Lookup(h.store(), "Crash", "c" + std::to_string(i) + "-b").empty()) << i;
  // A new record at the cut position is found under its own keys only.
  AppendResult again = AppendOne(h.store(), Keyed("Crash", "new"));
  EXPECT_EQ(again.position, r[25].position);
  EXPECT_TRUE(Contains(Lookup(h.store(), "Crash", "new-a"), again.position.value));
  EXPECT_FALSE(Contains(Lookup(h.store(), "Crash", "c25-a"), again.position.value));
}

// More records than one index batch (StoreCore::kIndexBatch, 1024) at a time, through the
// dispatcher and then through recovery: a batch edge must lose no record.
TEST(FileLogLookupTest, ManyRecordsAreIndexedInBatchesAndReindexedByRecovery) {
  StoreHarness h;
  h.Open();
  constexpr int kRecords = 2600;
  std::vector<AppendRequest> reqs;
  for (int i = 0; i < kRecords; ++i) reqs.push_back(Keyed("Many", "m" + std::to_string(i)));
  std::vector<AppendResult> r;
  for (int at = 0; at < kRecords; at += 1300) {  // two appends of 1300 records
    std::vector<AppendRequest> part(std::make_move_iterator(reqs.begin() + at),
                                    std::make_move_iterator(reqs.begin() + at + 1300));
    std::vector<AppendResult> done = AppendAndWait(h.store(), std::move(part));
    r.insert(r.end(), done.begin(), done.end());
  }
  ASSERT_EQ(r.size(), static_cast<size_t>(kRecords));
  auto check_all = [&](const char* when) {
    int missing = 0;
    for (int i = 0; i < kRecords; ++i)
      if (!Contains(Lookup(h.store(), "Many", "m" + std::to_string(i) + "-b"), r[i].position.value))
        ++missing;
    EXPECT_EQ(missing, 0) << when;
  };
  check_all("after the appends");
  // Without its index, the store re-indexes every record from the log when it opens.
  h.Shutdown();
  std::filesystem::remove_all(h.Path("index"));
  h.Open();
  check_all("after recovery rebuilt the index");
  EXPECT_TRUE(Contains(Lookup(h.store(), "Many", "m0-a"), r[0].position.value));
  EXPECT_TRUE(Contains(Lookup(h.store(), "Many", "m2599-a"), r[kRecords - 1].position.value));
}

TEST(FileLogLookupTest, RetentionAndTruncationDropPositions) {
  StoreHarness h;
  h.Open();
  std::vector<AppendResult> r;
  for (int i = 0; i < 200; ++i)
    r.push_back(AppendOne(h.store(), Keyed("Gone", "g" + std::to_string(i), std::string(900, 'g'))));
  ASSERT_GT(r.back().position.value, 2 * 65536);
  RetentionPolicy p;
  p.expire_before_ms = NowMs() + 60000;
  p.max_units = 1;
  Result<RetentionResult> del = h->DeleteExpired(p);
  ASSERT_TRUE(del.ok());
  ASSERT_EQ(del->units_deleted, 1);
  EXPECT_TRUE(Lookup(h.store(), "Gone", "g0-a").empty());  // its segment was deleted
  EXPECT_TRUE(Contains(Lookup(h.store(), "Gone", "g150-a"), r[150].position.value));

  ASSERT_TRUE(h->TruncateLog(r[150].position).ok());
  EXPECT_TRUE(Lookup(h.store(), "Gone", "g150-a").empty());
  EXPECT_TRUE(Lookup(h.store(), "Gone", "g199-b").empty());
  EXPECT_TRUE(Contains(Lookup(h.store(), "Gone", "g149-b"), r[149].position.value));
  AppendResult again = AppendOne(h.store(), Keyed("Gone", "back"));
  EXPECT_TRUE(Contains(Lookup(h.store(), "Gone", "back-a"), again.position.value));
}

TEST(FileLogLookupTest, ReplicaRecordsAreIndexedFromTheirProperties) {
  StoreHarness leader;
  leader.Open();
  std::vector<AppendResult> r;
  for (int i = 0; i < 30; ++i) r.push_back(AppendOne(leader.store(), Keyed("Rep", "r" + std::to_string(i))));
  StoreHarness follower;
  follower.Open();
  Result<LogChunk> c = leader->ReadLog(LogPosition(0), 1 << 20);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(follower->AppendReplica(c->start, c->bytes).ok());
  for (int i = 0; i < 30; ++i)
    EXPECT_TRUE(
        Contains(Lookup(follower.store(), "Rep", "r" + std::to_string(i) + "-b"), r[i].position.value));
}

TEST(FileLogLookupTest, WithoutTheIndexLookupIsNotSupported) {
  auto options = SmallStoreOptions();
  options["messageIndexEnable"] = "false";
  StoreHarness h(options);
  h.Open();
  AppendOne(h.store(), Keyed("Off", "x"));
  EXPECT_EQ(h->LookupKey("Off", "x-a", 0, NowMs() + 1000, 10).status().code(), Status::Code::kNotSupported);
  EXPECT_FALSE(std::filesystem::exists(h.Path("index")));
}

}  // namespace
}  // namespace sprocket::testing::filelog
