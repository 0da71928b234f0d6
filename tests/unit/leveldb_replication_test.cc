// leveldb storage plugin: the log as bytes (ReadLog / AppendReplica / TruncateLog).
// A follower fed a leader's chunks holds the same records at the same positions and queue
// offsets, and serves byte-identical chunks itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "support/filelog_test_util.h"

namespace sprocket::testing::leveldb_store {
namespace {

using filelog::AppendAndWait;
using filelog::AppendOne;
using filelog::Decode;
using filelog::MakeRecord;
using filelog::NowMs;
using filelog::ReadAll;

// A leveldb store in a fresh temporary directory, reopenable (restart tests).
struct Harness : filelog::StoreHarness {
  explicit Harness(std::map<std::string, std::string> options = filelog::SmallLevelDbOptions())
      : StoreHarness(std::move(options), "leveldb") {}
};

// The whole log of `store` from `from` as one string, read `chunk` bytes at a time.
std::string WholeLog(MessageStore& store, int64_t from, int64_t chunk = 1 << 20) {
  std::string out;
  LogPosition at(from);
  const LogPosition end = store.Stats().log_end;
  while (at < end) {
    Result<LogChunk> c = store.ReadLog(at, chunk);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok() || c->bytes.size == 0) break;
    EXPECT_EQ(c->start, at);
    EXPECT_EQ(c->next.value, at.value + static_cast<int64_t>(c->bytes.size));
    out.append(c->bytes.data, c->bytes.size);
    at = c->next;
  }
  return out;
}

// Feeds the follower everything the leader holds past the follower's end.
void Replicate(MessageStore& leader, MessageStore& follower, int64_t chunk_bytes) {
  LogPosition at = follower.Stats().log_end;
  const LogPosition end = leader.Stats().log_end;
  int chunks = 0;
  while (at < end) {
    Result<LogChunk> c = leader.ReadLog(at, chunk_bytes);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_GT(c->bytes.size, 0u);
    Status s = follower.AppendReplica(at, c->bytes);
    ASSERT_TRUE(s.ok()) << s.ToString();
    at = c->next;
    ASSERT_EQ(follower.Stats().log_end, at);
    ++chunks;
  }
  EXPECT_GT(chunks, 0);
}

// A record as a leader stored it: QUEUEOFFSET, PHYSICALOFFSET and STORETIMESTAMP patched.
std::string StoredRecord(const std::string& topic, int32_t queue_id, const std::string& body,
                         int64_t queue_offset, int64_t position, const std::string& tags = "") {
  AppendRequest r = MakeRecord(topic, queue_id, body, tags);
  auto put64 = [&](size_t at, int64_t v) {
    for (int i = 0; i < 8; ++i)
      r.record[at + i] = static_cast<char>(static_cast<uint64_t>(v) >> (56 - 8 * i));
  };
  put64(kQueueOffsetField, queue_offset);
  put64(kLogPositionField, position);
  put64(r.store_timestamp_field, NowMs());
  return r.record;
}

std::string Blank(int32_t size) {
  std::string b(static_cast<size_t>(size), '\x5A');
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(static_cast<uint32_t>(size) >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) b[4 + i] = static_cast<char>(kBlankMagic >> (24 - 8 * i));
  return b;
}

void ExpectSameQueues(MessageStore& a, MessageStore& b) {
  std::vector<std::pair<std::string, int32_t>> qa = a.ListQueues(), qb = b.ListQueues();
  std::sort(qa.begin(), qa.end());
  std::sort(qb.begin(), qb.end());
  EXPECT_EQ(qa, qb);
  for (const auto& [topic, id] : qa) {
    EXPECT_EQ(a.QueueRange(topic, id).min_offset, b.QueueRange(topic, id).min_offset) << topic << "/" << id;
    EXPECT_EQ(a.QueueRange(topic, id).max_offset, b.QueueRange(topic, id).max_offset) << topic << "/" << id;
  }
}

TEST(LevelDbReplicationTest, FollowerIsByteIdenticalAndIndexesTheRecords) {
  Harness leader, follower;
  leader.Open();
  follower.Open();
  std::vector<AppendResult> sent;
  for (int round = 0; round < 30; ++round) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 8; ++i) {
      const int n = round * 8 + i;
      batch.push_back(MakeRecord(n % 3 == 0 ? "RA" : "RB", n % 4, "body-" + std::to_string(n),
                                 n % 2 ? "odd" : "even", "KEYS\x01key-" + std::to_string(n)));
      batch.back().keys = "key-" + std::to_string(n);
    }
    for (const AppendResult& r : AppendAndWait(leader.store(), std::move(batch))) sent.push_back(r);
  }
  ASSERT_TRUE(AppendOne(leader.store(), MakeRecord("RA", 0, std::string(1 << 20, 'L'))).status.ok());

  Replicate(leader.store(), follower.store(), 4096);
  EXPECT_EQ(follower->Stats().log_end, leader->Stats().log_end);
  const std::string leader_log = WholeLog(leader.store(), 0);
  EXPECT_EQ(WholeLog(follower.store(), 0), leader_log);
  EXPECT_EQ(WholeLog(follower.store(), 0, 1000), leader_log);
  ExpectSameQueues(leader.store(), follower.store());

  // Tag codes were rebuilt from the records: the filter works on the follower.
  TagFilter odd;
  odd.match_all = false;
  odd.codes = {protocol::JavaStringHash("odd")};
  ReadQueueResult lr = leader->ReadQueue("RB", 1, QueueOffset(0), ReadLimits{}, odd);
  ReadQueueResult fr = follower->ReadQueue("RB", 1, QueueOffset(0), ReadLimits{}, odd);
  ASSERT_EQ(fr.outcome, ReadOutcome::kFound);
  ASSERT_EQ(lr.records.size(), fr.records.size());
  for (size_t i = 0; i < lr.records.size(); ++i)
    EXPECT_EQ(std::string_view(lr.records[i].data, lr.records[i].size),
              std::string_view(fr.records[i].data, fr.records[i].size));
  EXPECT_EQ(lr.next_offset, fr.next_offset);

  // Keys were indexed from the records (KEYS property).
  Result<std::vector<LogPosition>> found = follower->LookupKey("RB", "key-13", 0, INT64_MAX, 4);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0], sent[13].position);
  EXPECT_EQ(follower->OffsetForTime("RA", 0, 0), leader->OffsetForTime("RA", 0, 0));

  // Restart and continue incrementally.
  follower.Reopen();
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(AppendOne(leader.store(), MakeRecord("RC", 0, "more")).status.ok());
  Replicate(leader.store(), follower.store(), 100);  // below one record: one entry per chunk
  EXPECT_EQ(WholeLog(follower.store(), 0), WholeLog(leader.store(), 0));
  ExpectSameQueues(leader.store(), follower.store());
}

TEST(LevelDbReplicationTest, BlanksFromAFileLogLeaderKeepTheirPositionsEmpty) {
  Harness follower;
  follower.Open();
  std::string chunk = StoredRecord("FB", 0, "before the blank", 0, 0, "t1");
  const int64_t blank_at = static_cast<int64_t>(chunk.size());
  chunk += Blank(100);
  const int64_t second_at = static_cast<int64_t>(chunk.size());
  chunk += StoredRecord("FB", 0, "after the blank", 1, second_at);
  ASSERT_TRUE(follower->AppendReplica(LogPosition(0), ByteView{chunk.data(), chunk.size()}).ok());

  EXPECT_EQ(follower->Stats().log_end.value, static_cast<int64_t>(chunk.size()));
  EXPECT_EQ(follower->ReadAt(LogPosition(blank_at)).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(follower->ReadAt(LogPosition(blank_at + 8)).status().code(), Status::Code::kNotFound);
  ASSERT_TRUE(follower->ReadAt(LogPosition(second_at)).ok());
  std::vector<protocol::MessageExt> all = ReadAll(follower.store(), "FB", 0);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].body, "after the blank");
  EXPECT_EQ(all[1].commit_log_offset, second_at);
  EXPECT_EQ(WholeLog(follower.store(), 0), chunk);
  Result<LogChunk> from_blank = follower->ReadLog(LogPosition(blank_at), 1);
  ASSERT_TRUE(from_blank.ok());
  EXPECT_EQ(std::string(from_blank->bytes.data, from_blank->bytes.size), Blank(100));
  follower.Reopen();
  EXPECT_EQ(WholeLog(follower.store(), 0), chunk);
}

TEST(LevelDbReplicationTest, AnEmptyFollowerStartsItsLogWhereTheChunkDoes) {
  Harness leader, follower;
  leader.Open();
  follower.Open();
  std::vector<AppendResult> sent;
  for (int i = 0; i < 40; ++i)
    sent.push_back(AppendOne(leader.store(), MakeRecord("E", 0, "e" + std::to_string(i))));
  const LogPosition start = sent[25].position;
  Result<LogChunk> c = leader->ReadLog(start, 1 << 20);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(follower->AppendReplica(start, c->bytes).ok());
  EXPECT_EQ(follower->Stats().log_min, start);
  EXPECT_EQ(follower->QueueRange("E", 0).min_offset.value, 25);
  EXPECT_EQ(follower->QueueRange("E", 0).max_offset.value, 40);
  EXPECT_EQ(follower->ReadQueue("E", 0, QueueOffset(3), ReadLimits{}, TagFilter{}).outcome,
            ReadOutcome::kOffsetTooSmall);
  EXPECT_EQ(follower->ReadLog(LogPosition(0), 100).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(WholeLog(follower.store(), start.value), WholeLog(leader.store(), start.value));
  follower.Reopen();
  EXPECT_EQ(follower->Stats().log_min, start);
  EXPECT_EQ(ReadAll(follower.store(), "E", 0, 8, 25).size(), 15u);
}

TEST(LevelDbReplicationTest, BadChunksAndPositionsAreRefusedWithoutChangingTheStore) {
  Harness follower;
  follower.Open();
  std::string good = StoredRecord("X", 0, "x0", 0, 0);
  ASSERT_TRUE(follower->AppendReplica(LogPosition(0), ByteView{good.data(), good.size()}).ok());
  const int64_t end = static_cast<int64_t>(good.size());

  std::string next = StoredRecord("X", 0, "x1", 1, end);
  EXPECT_EQ(follower->AppendReplica(LogPosition(end + 1), ByteView{next.data(), next.size()}).code(),
            Status::Code::kInvalidArgument);
  std::string wrong_position = StoredRecord("X", 0, "x1", 1, end + 5);
  EXPECT_EQ(follower->AppendReplica(LogPosition(end), ByteView{wrong_position.data(), wrong_position.size()})
                .code(),
            Status::Code::kCorruption);
  std::string wrong_offset = StoredRecord("X", 0, "x1", 7, end);
  EXPECT_EQ(
      follower->AppendReplica(LogPosition(end), ByteView{wrong_offset.data(), wrong_offset.size()}).code(),
      Status::Code::kCorruption);
  std::string torn = next.substr(0, next.size() - 1);
  EXPECT_EQ(follower->AppendReplica(LogPosition(end), ByteView{torn.data(), torn.size()}).code(),
            Status::Code::kCorruption);
  std::string garbage(64, '\x01');
  EXPECT_EQ(follower->AppendReplica(LogPosition(end), ByteView{garbage.data(), garbage.size()}).code(),
            Status::Code::kCorruption);
  EXPECT_EQ(follower->Stats().log_end.value, end);
  EXPECT_EQ(follower->QueueRange("X", 0).max_offset.value, 1);
  ASSERT_TRUE(follower->AppendReplica(LogPosition(end), ByteView{next.data(), next.size()}).ok());
  EXPECT_EQ(follower->QueueRange("X", 0).max_offset.value, 2);
  // ReadLog must start at an entry.
  EXPECT_EQ(follower->ReadLog(LogPosition(3), 100).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(follower->ReadLog(LogPosition(1 << 30), 100).status().code(), Status::Code::kInvalidArgument);
  Result<LogChunk> at_end = follower->ReadLog(follower->Stats().log_end, 100);
  ASSERT_TRUE(at_end.ok());
  EXPECT_EQ(at_end->bytes.size, 0u);
}

TEST(LevelDbReplicationTest, TruncateLogDropsTheTailWithItsIndexes) {
  Harness h;
  h.Open();
  std::vector<AppendResult> sent;
  // Batches of 5: the cut falls inside a stored block and inside each queue's run of entries.
  for (int b = 0; b < 4; ++b) {
    std::vector<AppendRequest> batch;
    for (int i = b * 5; i < b * 5 + 5; ++i) {
      batch.push_back(
          MakeRecord(i % 2 ? "T1" : "T2", 0, "t" + std::to_string(i), "", "KEYS\x01k" + std::to_string(i)));
      batch.back().keys = "k" + std::to_string(i);
    }
    for (const AppendResult& r : AppendAndWait(h.store(), std::move(batch))) sent.push_back(r);
  }
  const LogPosition cut = sent[12].position;
  EXPECT_EQ(h->ReadAt(sent[11].position).status().code(), Status::Code::kOk);
  EXPECT_EQ(h->TruncateLog(LogPosition(cut.value + 1)).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(h->TruncateLog(LogPosition(1 << 30)).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(h->TruncateLog(cut).ok());
  EXPECT_EQ(h->Stats().log_end, cut);
  EXPECT_EQ(h->QueueRange("T2", 0).max_offset.value, 6);  // records 0,2,..,10
  EXPECT_EQ(h->QueueRange("T1", 0).max_offset.value, 6);  // records 1,3,..,11
  EXPECT_EQ(h->ReadAt(cut).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(h->LookupKey("T1", "k15", 0, INT64_MAX, 5)->empty());
  EXPECT_EQ(h->LookupKey("T1", "k11", 0, INT64_MAX, 5)->size(), 1u);

  AppendResult again = AppendOne(h.store(), MakeRecord("T2", 0, "again"));
  EXPECT_EQ(again.position, cut);
  EXPECT_EQ(again.queue_offset.value, 6);
  h.Reopen();
  EXPECT_EQ(h->QueueRange("T1", 0).max_offset.value, 6);
  std::vector<protocol::MessageExt> t2 = ReadAll(h.store(), "T2", 0);
  ASSERT_EQ(t2.size(), 7u);
  EXPECT_EQ(t2[5].body, "t10");
  EXPECT_EQ(t2.back().body, "again");
  EXPECT_EQ(ReadAll(h.store(), "T1", 0).back().body, "t11");
  // Truncating inside the first block, at a record that is not the block's first.
  ASSERT_TRUE(h->TruncateLog(sent[2].position).ok());
  EXPECT_EQ(h->QueueRange("T2", 0).max_offset.value, 1);
  EXPECT_EQ(h->QueueRange("T1", 0).max_offset.value, 1);
  EXPECT_EQ(ReadAll(h.store(), "T1", 0).size(), 1u);
  EXPECT_EQ(h->ReadAt(sent[2].position).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(h->ReadAt(sent[1].position).ok());

  ASSERT_TRUE(h->TruncateLog(LogPosition(0)).ok());  // everything: the queues are gone
  EXPECT_TRUE(h->ListQueues().empty());
  EXPECT_EQ(h->Stats().log_end.value, 0);
  h.Reopen();
  EXPECT_TRUE(h->ListQueues().empty());
  EXPECT_EQ(AppendOne(h.store(), MakeRecord("T1", 0, "fresh")).queue_offset.value, 0);
}

}  // namespace
}  // namespace sprocket::testing::leveldb_store
