// filelog storage plugin: the log as bytes — ReadLog / AppendReplica / TruncateLog give a
// byte-identical follower; an empty store starts its log anywhere; big (4 MiB) records.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/filelog_test_util.h"

namespace sprocket::testing::filelog {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kSeg = 65536;

// Records of mixed sizes over three queues of two topics, with tags and keys, until the
// log has `segments` segments.
void FillLeader(StoreHarness& h, int64_t segments) {
  int n = 0;
  while (h->Stats().log_end.value < segments * kSeg) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 6; ++i, ++n) {
      AppendRequest r = MakeRecord(n % 3 ? "Lead" : "Other", n % 2,
                                   std::string(200 + (n * 37) % 1500, 'a' + n % 26), n % 4 ? "TagA" : "TagB");
      r.keys = "key" + std::to_string(n);
      batch.push_back(std::move(r));
    }
    for (const AppendResult& r : AppendAndWait(h.store(), std::move(batch))) ASSERT_TRUE(r.status.ok());
  }
}

// Copies the leader's log from the follower's end to the leader's end, in chunks.
void Replicate(MessageStore& leader, MessageStore& follower, int64_t max_chunk = 10000) {
  for (int guard = 0; guard < 100000; ++guard) {
    const LogPosition from = follower.Stats().log_end;
    if (from == leader.Stats().log_end) return;
    Result<LogChunk> c = leader.ReadLog(from, max_chunk);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_GT(c->bytes.size, 0u);
    ASSERT_EQ(c->start, from);
    ASSERT_EQ(c->next.value - c->start.value, static_cast<int64_t>(c->bytes.size));
    Status s = follower.AppendReplica(c->start, c->bytes);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  FAIL() << "replication did not finish";
}

// Every chunk from `from` to the end, concatenated.
std::string LogBytes(MessageStore& store, int64_t from) {
  std::string all;
  LogPosition at(from);
  while (at < store.Stats().log_end) {
    Result<LogChunk> c = store.ReadLog(at, 1 << 20);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) break;
    all.append(c->bytes.data, c->bytes.size);
    at = c->next;
  }
  return all;
}

std::vector<std::string> RawQueue(MessageStore& store, const std::string& topic, int32_t q, QueueOffset at) {
  std::vector<std::string> out;
  while (true) {
    ReadQueueResult r = store.ReadQueue(topic, q, at, ReadLimits{}, TagFilter{});
    if (r.outcome != ReadOutcome::kFound) break;
    for (const ByteView& v : r.records) out.emplace_back(v.data, v.size);
    at = r.next_offset;
  }
  return out;
}

// Where two sequences first differ (or -1), without printing megabytes of record bytes.
template <typename T>
int64_t FirstDifference(const T& a, const T& b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (a[i] != b[i]) return static_cast<int64_t>(i);
  return a.size() == b.size() ? -1 : static_cast<int64_t>(std::min(a.size(), b.size()));
}

// `b` (a follower) holds `a`'s log from position `from` on, byte for byte, and the same queues.
void ExpectSameStore(MessageStore& a, MessageStore& b, int64_t from) {
  EXPECT_EQ(a.Stats().log_end, b.Stats().log_end);
  const std::string la = LogBytes(a, from);
  const std::string lb = LogBytes(b, from);
  EXPECT_EQ(FirstDifference(la, lb), -1) << "log bytes differ; sizes " << la.size() << " and " << lb.size();
  EXPECT_EQ(a.ListQueues(), b.ListQueues());
  for (const auto& [topic, q] : a.ListQueues()) {
    const QueueOffset b_min = b.QueueRange(topic, q).min_offset;
    if (from == a.Stats().log_min.value) {
      EXPECT_EQ(a.QueueRange(topic, q).min_offset, b_min) << topic << "/" << q;
    }
    EXPECT_EQ(a.QueueRange(topic, q).max_offset, b.QueueRange(topic, q).max_offset) << topic << "/" << q;
    const std::vector<std::string> ra = RawQueue(a, topic, q, b_min);
    const std::vector<std::string> rb = RawQueue(b, topic, q, b_min);
    EXPECT_EQ(FirstDifference(ra, rb), -1)
        << topic << "/" << q << ": records differ; counts " << ra.size() << " and " << rb.size();
  }
}

TEST(FileLogReplicationTest, AFollowerFedByReadLogIsByteIdentical) {
  StoreHarness leader;
  leader.Open();
  FillLeader(leader, 3);
  StoreHarness follower;
  follower.Open();
  Replicate(leader.store(), follower.store());
  ExpectSameStore(leader.store(), follower.store(), 0);
  // Tag codes were rebuilt from the records: filtering works on the follower.
  TagFilter only_b;
  only_b.match_all = false;
  only_b.codes = {protocol::JavaStringHash("TagB")};
  ReadQueueResult l = leader->ReadQueue("Other", 0, QueueOffset(0), ReadLimits{}, only_b);
  ReadQueueResult f = follower->ReadQueue("Other", 0, QueueOffset(0), ReadLimits{}, only_b);
  EXPECT_EQ(l.records.size(), f.records.size());
  EXPECT_EQ(l.next_offset, f.next_offset);

  // The leader goes on; the follower catches up in one big chunk at a time, across a restart.
  FillLeader(leader, 5);
  follower.Reopen();
  Replicate(leader.store(), follower.store(), 1 << 20);
  ExpectSameStore(leader.store(), follower.store(), 0);
  follower.Reopen();
  ExpectSameStore(leader.store(), follower.store(), 0);
  // OffsetForTime works on the leader's store times.
  for (int64_t t : {int64_t{0}, NowMs() - 50, NowMs() + 1000})
    EXPECT_EQ(leader->OffsetForTime("Lead", 1, t), follower->OffsetForTime("Lead", 1, t));
}

TEST(FileLogReplicationTest, AnEmptyStoreStartsItsLogAnywhere) {
  StoreHarness leader;
  leader.Open();
  FillLeader(leader, 3);
  // A position inside the second segment where a record starts.
  Result<LogChunk> probe = leader->ReadLog(LogPosition(kSeg), 3000);
  ASSERT_TRUE(probe.ok());
  const LogPosition start = probe->next;
  ASSERT_GT(start.value, kSeg);

  StoreHarness follower;
  follower.Open();
  Result<LogChunk> first = leader->ReadLog(start, 5000);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(follower->AppendReplica(start, first->bytes).ok());
  EXPECT_EQ(follower->Stats().log_min, start);
  Replicate(leader.store(), follower.store());
  ExpectSameStore(leader.store(), follower.store(), start.value);
  EXPECT_TRUE(follower->ReadAt(LogPosition(0)).status().IsNotFound());
  EXPECT_TRUE(follower->ReadLog(LogPosition(0), 100).status().IsNotFound());
  // Each queue starts at its first record's offset; below it: offset too small.
  for (const auto& [topic, q] : follower->ListQueues()) {
    const QueueRangeResult range = follower->QueueRange(topic, q);
    EXPECT_GT(range.min_offset.value, 0) << topic << "/" << q;
    EXPECT_EQ(follower->ReadQueue(topic, q, QueueOffset(0), ReadLimits{}, TagFilter{}).outcome,
              ReadOutcome::kOffsetTooSmall);
  }
  follower.Reopen();  // the start inside a segment is kept by the checkpoint
  EXPECT_EQ(follower->Stats().log_min, start);
  ExpectSameStore(leader.store(), follower.store(), start.value);
}

TEST(FileLogReplicationTest, BadChunksAndPositionsAreRefused) {
  StoreHarness leader;
  leader.Open();
  FillLeader(leader, 1);
  Result<LogChunk> c = leader->ReadLog(LogPosition(0), 4000);
  ASSERT_TRUE(c.ok());
  const std::string bytes(c->bytes.data, c->bytes.size);

  StoreHarness follower;
  follower.Open();
  std::string wrong_position = bytes;
  wrong_position[28 + 7] ^= 1;  // PHYSICALOFFSET of the first record
  EXPECT_EQ(
      follower->AppendReplica(LogPosition(0), ByteView{wrong_position.data(), wrong_position.size()}).code(),
      Status::Code::kCorruption);
  EXPECT_EQ(follower->AppendReplica(LogPosition(0), ByteView{bytes.data(), bytes.size() - 1}).code(),
            Status::Code::kCorruption);           // the last record cut short
  EXPECT_EQ(follower->Stats().log_end.value, 0);  // nothing of a refused chunk is stored
  ASSERT_TRUE(follower->AppendReplica(LogPosition(0), ByteView{bytes.data(), bytes.size()}).ok());
  EXPECT_EQ(follower->AppendReplica(LogPosition(0), ByteView{bytes.data(), bytes.size()}).code(),
            Status::Code::kInvalidArgument);  // not the log end

  // ReadLog: only at entry boundaries, at most the end.
  EXPECT_EQ(leader->ReadLog(LogPosition(5), 100).status().code(), Status::Code::kInvalidArgument);
  const LogPosition end = leader->Stats().log_end;
  EXPECT_EQ(leader->ReadLog(end + 1, 100).status().code(), Status::Code::kInvalidArgument);
  Result<LogChunk> empty = leader->ReadLog(end, 100);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->bytes.size, 0u);
  EXPECT_EQ(empty->next, end);
}

TEST(FileLogReplicationTest, TruncateLogDropsRecordsQueueEntriesAndLaterSegments) {
  StoreHarness h;
  h.Open();
  std::vector<AppendResult> all;
  for (int b = 0; b < 20; ++b) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 8; ++i)
      batch.push_back(MakeRecord("Tr", i % 2, std::to_string(b * 8 + i) + std::string(900, 't')));
    for (const AppendResult& r : AppendAndWait(h.store(), std::move(batch))) all.push_back(r);
  }
  ASSERT_GT(all.back().position.value, 2 * kSeg);
  const AppendResult& cut = all[30];                                                   // in the first segment
  EXPECT_EQ(h->TruncateLog(cut.position + 1).code(), Status::Code::kInvalidArgument);  // not a boundary
  EXPECT_EQ(h->TruncateLog(h->Stats().log_end + 1).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(h->TruncateLog(cut.position).ok());

  EXPECT_EQ(h->Stats().log_end, cut.position);
  EXPECT_EQ(h->Stats().durable_end, cut.position);
  EXPECT_EQ(h->QueueRange("Tr", 0).max_offset.value, 15);  // records 0, 2, .., 28
  EXPECT_EQ(h->QueueRange("Tr", 1).max_offset.value, 15);  // records 1, 3, .., 29
  EXPECT_TRUE(h->ReadAt(cut.position).status().IsNotFound());
  EXPECT_FALSE(fs::exists(h.Path("commitlog/00000000000000131072")));
  AppendResult next = AppendOne(h.store(), MakeRecord("Tr", 0, "30:again"));
  EXPECT_EQ(next.position, cut.position);
  EXPECT_EQ(next.queue_offset.value, 15);
  h.Reopen();
  EXPECT_EQ(h->Stats().log_end.value, next.position.value + next.size);
  std::vector<protocol::MessageExt> q0 = ReadAll(h.store(), "Tr", 0);
  ASSERT_EQ(q0.size(), 16u);
  EXPECT_EQ(q0.back().body, "30:again");
  EXPECT_EQ(ReadAll(h.store(), "Tr", 1).size(), 15u);

  // Truncating to the log start empties the store: it may then start anywhere.
  ASSERT_TRUE(h->TruncateLog(h->Stats().log_min).ok());
  EXPECT_EQ(h->Stats().log_end, h->Stats().log_min);
  EXPECT_EQ(h->QueueRange("Tr", 0).max_offset, h->QueueRange("Tr", 0).min_offset);
}

TEST(FileLogReplicationTest, TruncationNeverLetsTheFlusherClaimTheOldEnd) {
  // The flusher syncs every millisecond while the log is cut back again and again: a sync
  // that read the end before a cut must not record it (appends after the cut would then be
  // reported durable without an fsync).
  auto options = SmallStoreOptions();
  options["flushIntervalCommitLog"] = "1";
  options["flushIntervalConsumeQueue"] = "1";
  StoreHarness h(options);
  h.Open();
  for (int round = 0; round < 40; ++round) {
    const LogPosition start = h->Stats().log_end;
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 30; ++i) batch.push_back(MakeRecord("Race", i % 3, std::string(500, 'r')));
    for (const AppendResult& r : AppendAndWait(h.store(), std::move(batch))) ASSERT_TRUE(r.status.ok());
    ASSERT_TRUE(h->TruncateLog(start).ok());
    const StoreStats s = h->Stats();
    ASSERT_EQ(s.log_end, start);
    ASSERT_LE(s.durable_end, s.log_end) << "round " << round;
    AppendResult one = AppendOne(h.store(), MakeRecord("Race", 0, "kept"));
    ASSERT_TRUE(one.status.ok());
  }
  h.Reopen();
  EXPECT_EQ(ReadAll(h.store(), "Race", 0).size(), 40u);
}

TEST(FileLogReplicationTest, ADivergedFollowerTruncatesAndResyncs) {
  StoreHarness leader;
  leader.Open();
  FillLeader(leader, 2);
  StoreHarness follower;
  follower.Open();
  Replicate(leader.store(), follower.store());
  const LogPosition common = leader->Stats().log_end;
  // The follower got records an old leader wrote and the new one never had.
  StoreHarness old_leader;
  old_leader.Open();
  Replicate(leader.store(), old_leader.store());
  for (int i = 0; i < 20; ++i)
    AppendOne(old_leader.store(), MakeRecord("Lead", 1, "stale" + std::to_string(i)));
  Replicate(old_leader.store(), follower.store());
  ASSERT_GT(follower->Stats().log_end, common);

  FillLeader(leader, 3);  // the new leader's own records after the common point
  ASSERT_TRUE(follower->TruncateLog(common).ok());
  Replicate(leader.store(), follower.store());
  ExpectSameStore(leader.store(), follower.store(), 0);
}

TEST(FileLogReplicationTest, FourMiBRecordsAreStoredReadAndReplicated) {
  auto options = SmallStoreOptions();
  options["mapedFileSizeCommitLog"] = std::to_string(16 << 20);
  StoreHarness h(options);
  h.Open();
  std::vector<AppendResult> big;
  for (int i = 0; i < 7; ++i) {  // 4 MiB bodies: three per 16 MiB segment, then a roll
    AppendResult r =
        AppendOne(h.store(), MakeRecord("Big", 0, std::string(4 << 20, static_cast<char>('A' + i))));
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    big.push_back(r);
  }
  EXPECT_EQ(big[3].position.value, 16 << 20);
  AppendResult empty = AppendOne(h.store(), MakeRecord("Big", 0, ""));
  ASSERT_TRUE(empty.status.ok());

  ReadLimits limits;  // 256 KiB: a single 4 MiB record is still returned
  ReadQueueResult r = h->ReadQueue("Big", 0, QueueOffset(0), limits, TagFilter{});
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.next_offset.value, 1);
  std::vector<protocol::MessageExt> all = ReadAll(h.store(), "Big", 0, 4);
  ASSERT_EQ(all.size(), 8u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(all[i].body, std::string(4 << 20, static_cast<char>('A' + i)));
  EXPECT_EQ(all[7].body, "");

  Result<LogChunk> one = h->ReadLog(big[1].position, 1);  // at least one entry, however large
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(static_cast<int64_t>(one->bytes.size), big[1].size);
  StoreHarness follower(options);
  follower.Open();
  Replicate(h.store(), follower.store(), 1 << 20);
  ExpectSameStore(h.store(), follower.store(), 0);
  h.Reopen();
  EXPECT_EQ(ReadAll(h.store(), "Big", 0, 2).size(), 8u);
}

}  // namespace
}  // namespace sprocket::testing::filelog
