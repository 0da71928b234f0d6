// Conformance: the log as bytes for replication. A follower fed a leader's ReadLog chunks
// through AppendReplica holds the same records at the same positions and queue offsets, and
// ReadLog on both gives byte-identical bytes; TruncateLog cuts a diverged tail and
// replication resumes from there.
#include <algorithm>
#include <set>

#include "conformance_fixture.h"

namespace sprocket::conformance {
namespace {

struct Appended {
  AppendResult result;
  std::string topic;
  int32_t queue = 0;
  std::string key;
};

// ~120 records of 0.5-6 KiB over three queues, with tags and keys: several 64 KiB units, so
// a file log ends segments (blanks) on the way.
std::vector<Appended> FillLeader(MessageStore& leader, int count = 120, const std::string& label = "r") {
  std::vector<Appended> out;
  const char* tags[] = {"TagA", "TagB", ""};
  for (int i = 0; i < count; i += 6) {
    std::vector<AppendRequest> reqs;
    std::vector<Appended> batch;
    for (int k = i; k < i + 6 && k < count; ++k) {
      RecordSpec s;
      s.topic = k % 3 == 2 ? "repl-b" : "repl-a";
      s.queue_id = k % 2;
      s.body = Body(label + std::to_string(k), 500 + (k * 977) % 5500);
      s.tags = tags[k % 3];
      s.keys = "key-" + label + std::to_string(k);
      reqs.push_back(MakeRecord(s));
      batch.push_back(Appended{{}, s.topic, s.queue_id, s.keys});
    }
    std::vector<AppendResult> r = AppendAll(leader, std::move(reqs));
    EXPECT_EQ(r.size(), batch.size());
    for (size_t k = 0; k < r.size() && k < batch.size(); ++k) {
      EXPECT_TRUE(r[k].status.ok()) << r[k].status.ToString();
      batch[k].result = r[k];
      out.push_back(batch[k]);
    }
  }
  return out;
}

// Copies the leader's log from `from` to its end into the follower, `chunk` bytes at a time.
void Replicate(MessageStore& leader, MessageStore& follower, LogPosition from, int64_t chunk) {
  const LogPosition end = leader.Stats().log_end;
  for (int guard = 0; from < end; ++guard) {
    ASSERT_LT(guard, 100000) << "ReadLog does not advance";
    Result<LogChunk> c = leader.ReadLog(from, chunk);
    ASSERT_TRUE(c.ok()) << "ReadLog(" << from.value << "): " << c.status().ToString();
    ASSERT_EQ(c->start, from);
    ASSERT_GT(c->bytes.size, 0u) << "a chunk below the log end holds at least one entry";
    ASSERT_EQ(c->next.value, from.value + static_cast<int64_t>(c->bytes.size));
    Status s = follower.AppendReplica(from, c->bytes);
    ASSERT_TRUE(s.ok()) << "AppendReplica(" << from.value << ", " << c->bytes.size
                        << " bytes): " << s.ToString();
    from = c->next;
  }
}

std::set<std::pair<std::string, int32_t>> Queues(MessageStore& s) {
  std::vector<std::pair<std::string, int32_t>> v = s.ListQueues();
  return {v.begin(), v.end()};
}

// The follower serves exactly what the leader serves.
void ExpectSameContent(MessageStore& leader, MessageStore& follower, LogPosition from) {
  EXPECT_EQ(follower.Stats().log_end, leader.Stats().log_end);
  Result<std::string> a = ReadWholeLog(leader, from);
  Result<std::string> b = ReadWholeLog(follower, from);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->size(), b->size());
  EXPECT_TRUE(*a == *b) << "the follower's log differs from the leader's";
  EXPECT_EQ(Queues(follower), Queues(leader));
  TagFilter tag_a;
  tag_a.match_all = false;
  tag_a.codes = {protocol::JavaStringHash("TagA")};
  ReadLimits limits;
  limits.max_count = limits.max_count_on_disk = 1000;
  limits.max_bytes = limits.max_bytes_on_disk = 1 << 30;
  for (const auto& [topic, q] : Queues(leader)) {
    QueueRangeResult lr = leader.QueueRange(topic, q), fr = follower.QueueRange(topic, q);
    EXPECT_EQ(fr.min_offset, lr.min_offset) << topic << "/" << q;
    EXPECT_EQ(fr.max_offset, lr.max_offset) << topic << "/" << q;
    std::vector<ReadRecord> lrecs = ReadQueueAll(leader, topic, q), frecs = ReadQueueAll(follower, topic, q);
    ASSERT_EQ(frecs.size(), lrecs.size()) << topic << "/" << q;
    for (size_t i = 0; i < lrecs.size(); ++i) {
      EXPECT_TRUE(frecs[i].bytes == lrecs[i].bytes)
          << topic << "/" << q << " offset " << lrecs[i].msg.queue_offset;
      Result<RecordRead> at = follower.ReadAt(LogPosition(lrecs[i].msg.commit_log_offset));
      ASSERT_TRUE(at.ok()) << at.status().ToString();
      EXPECT_TRUE(std::string_view(at->record.data, at->record.size) == lrecs[i].bytes);
    }
    // The follower filters by tag as the leader does (its tag codes came from the records).
    ReadQueueResult lf = leader.ReadQueue(topic, q, lr.min_offset, limits, tag_a);
    ReadQueueResult ff = follower.ReadQueue(topic, q, fr.min_offset, limits, tag_a);
    EXPECT_EQ(ff.outcome, lf.outcome);
    EXPECT_EQ(ff.records.size(), lf.records.size()) << topic << "/" << q;
    EXPECT_EQ(ff.next_offset, lf.next_offset);
    const int64_t mid = lrecs.empty() ? 0 : lrecs[lrecs.size() / 2].msg.store_timestamp;
    EXPECT_EQ(follower.OffsetForTime(topic, q, mid), leader.OffsetForTime(topic, q, mid));
  }
}

TEST_P(StoreConformance, ReplicationByteIdenticalFollower) {
  auto& leader = OpenStore("leader");
  auto& follower = OpenStore("follower");
  std::vector<Appended> recs = FillLeader(*leader);
  ASSERT_EQ(recs.size(), 120u);
  const LogPosition end = leader->Stats().log_end;

  // ReadLog at the log end is an empty chunk; inside a record or past the end is refused.
  Result<LogChunk> c = leader->ReadLog(end, 4096);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->bytes.size, 0u);
  EXPECT_EQ(c->start, end);
  EXPECT_EQ(c->next, end);
  EXPECT_EQ(leader->ReadLog(recs[3].result.position + 1, 4096).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(leader->ReadLog(end + 1, 4096).status().code(), Status::Code::kInvalidArgument);
  // At least one entry, however small max_bytes is.
  c = leader->ReadLog(recs[0].result.position, 1);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->bytes.size, static_cast<size_t>(recs[0].result.size));

  // Chunks of two sizes: small ones split the log at many record boundaries.
  const LogPosition start = leader->Stats().log_min;
  ASSERT_NO_FATAL_FAILURE(Replicate(*leader, *follower, start, 10000));
  ASSERT_NO_FATAL_FAILURE(ExpectSameContent(*leader, *follower, start));

  // The leader goes on; so does the follower, with one big chunk.
  const LogPosition resume = leader->Stats().log_end;
  std::vector<Appended> more = FillLeader(*leader, 30, "s");
  ASSERT_NO_FATAL_FAILURE(Replicate(*leader, *follower, resume, 1 << 20));
  ASSERT_NO_FATAL_FAILURE(ExpectSameContent(*leader, *follower, start));

  if (plugin().has_key_index) {
    for (const Appended* a : {&recs[5], &more[7]}) {
      Result<std::vector<LogPosition>> lk = follower->LookupKey(a->topic, a->key, 0, INT64_MAX, 10);
      ASSERT_TRUE(lk.ok()) << lk.status().ToString();
      EXPECT_NE(std::find(lk->begin(), lk->end(), a->result.position), lk->end()) << "key index of a replica";
    }
  }

  // A chunk at the wrong place is refused and changes nothing.
  Result<LogChunk> first = leader->ReadLog(start, 1);
  ASSERT_TRUE(first.ok());
  const LogPosition follower_end = follower->Stats().log_end;
  EXPECT_FALSE(follower->AppendReplica(follower_end + 8, first->bytes).ok());
  EXPECT_FALSE(follower->AppendReplica(start, first->bytes).ok());
  EXPECT_EQ(follower->Stats().log_end, follower_end);

  // A record whose PHYSICALOFFSET is not where it is being put is Corruption.
  auto& other = OpenStore("other");
  std::string forged(first->bytes.data, first->bytes.size);
  forged[kLogPositionField + 7] ^= 0x10;
  Status s = other->AppendReplica(start, ByteView{forged.data(), forged.size()});
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_EQ(other->Stats().log_end.value, 0) << "nothing stored from a refused chunk";

  if (!plugin().is_volatile) {  // replicated records are stored like appended ones
    ASSERT_NO_FATAL_FAILURE(follower.Reopen());
    ASSERT_NO_FATAL_FAILURE(ExpectSameContent(*leader, *follower, start));
  }
}

TEST_P(StoreConformance, ReplicaStartsMidLog) {
  // A new follower of a leader whose log no longer starts at 0 (retention) starts its own
  // log where it is told: an empty store accepts a first chunk at any position.
  auto& leader = OpenStore("leader");
  auto& follower = OpenStore("follower");
  std::vector<Appended> recs = FillLeader(*leader);
  ASSERT_EQ(recs.size(), 120u);
  const Appended& from = recs[57];
  ASSERT_NO_FATAL_FAILURE(Replicate(*leader, *follower, from.result.position, 8192));
  EXPECT_EQ(follower->Stats().log_end, leader->Stats().log_end);
  Result<std::string> a = ReadWholeLog(*leader, from.result.position);
  Result<std::string> b = ReadWholeLog(*follower, from.result.position);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString() << " / " << b.status().ToString();
  EXPECT_TRUE(*a == *b);
  // Each queue starts at the first offset the follower was given and ends where the leader's does.
  std::map<std::pair<std::string, int32_t>, int64_t> first_offset;
  for (size_t i = 57; i < recs.size(); ++i)
    first_offset.try_emplace({recs[i].topic, recs[i].queue}, recs[i].result.queue_offset.value);
  for (const auto& [tq, offset] : first_offset) {
    QueueRangeResult range = follower->QueueRange(tq.first, tq.second);
    EXPECT_EQ(range.min_offset.value, offset) << tq.first << "/" << tq.second;
    EXPECT_EQ(range.max_offset, leader->QueueRange(tq.first, tq.second).max_offset);
    std::vector<ReadRecord> read = ReadQueueAll(*follower, tq.first, tq.second);
    EXPECT_EQ(static_cast<int64_t>(read.size()), range.max_offset.value - offset);
  }
  EXPECT_FALSE(follower->ReadAt(recs[10].result.position).ok()) << "the follower never held it";
}

void PutBE64(std::string& s, size_t at, int64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) s[at + static_cast<size_t>(i)] = static_cast<char>(v & 0xFF);
}

TEST_P(StoreConformance, AppendReplicaAcceptsBlanks) {
  // What a file-log leader sends at the end of a segment: record | blank up to the segment
  // (unit) end | record at the next unit. Every store must accept the blank and keep the
  // positions it covers empty, whether or not it writes blanks itself.
  auto& follower = OpenStore("follower");
  constexpr int64_t kUnit = 65536;
  auto record = [](const std::string& body, int64_t queue_offset, int64_t position) {
    RecordSpec s;
    s.topic = "blanks";
    s.body = body;
    s.tags = "TagA";
    s.keys = "blank-key-" + body;
    AppendRequest r = MakeRecord(s);
    PutBE64(r.record, kQueueOffsetField, queue_offset);
    PutBE64(r.record, kLogPositionField, position);
    PutBE64(r.record, r.store_timestamp_field, NowMs());
    return r.record;
  };
  const std::string first = record("first", 0, 0);
  std::string blank(static_cast<size_t>(kUnit) - first.size(), '\0');
  const uint32_t len = static_cast<uint32_t>(blank.size());
  for (int i = 0; i < 4; ++i) {
    blank[static_cast<size_t>(i)] = static_cast<char>(len >> (24 - 8 * i));
    blank[static_cast<size_t>(4 + i)] = static_cast<char>(kBlankMagic >> (24 - 8 * i));
  }
  const std::string second = record("second", 1, kUnit);
  const std::string chunk = first + blank + second;
  Status s = follower->AppendReplica(LogPosition(0), ByteView{chunk.data(), chunk.size()});
  ASSERT_TRUE(s.ok()) << s.ToString();

  EXPECT_EQ(follower->Stats().log_end.value, kUnit + static_cast<int64_t>(second.size()));
  EXPECT_EQ(follower->QueueRange("blanks", 0).max_offset.value, 2);
  std::vector<ReadRecord> read = ReadQueueAll(*follower, "blanks", 0);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].bytes, first);
  EXPECT_EQ(read[1].bytes, second);
  Result<RecordRead> at = follower->ReadAt(LogPosition(kUnit));
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  EXPECT_TRUE(std::string_view(at->record.data, at->record.size) == second);
  EXPECT_EQ(follower->ReadAt(LogPosition(static_cast<int64_t>(first.size()))).status().code(),
            Status::Code::kNotFound)
      << "a blank is no record";
  // The follower's log reads back as it was given, blank included, from either entry start.
  Result<std::string> whole = ReadWholeLog(*follower, LogPosition(0), 1 << 20);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_TRUE(*whole == chunk) << "ReadLog differs from the chunk stored";
  Result<LogChunk> from_blank = follower->ReadLog(LogPosition(static_cast<int64_t>(first.size())), 1);
  ASSERT_TRUE(from_blank.ok()) << from_blank.status().ToString();
  EXPECT_EQ(from_blank->bytes.size, blank.size()) << "the blank is one entry";
  // And it goes on after it: the next record at the log end, with the queue's next offset.
  const std::string third = record("third", 2, follower->Stats().log_end.value);
  s = follower->AppendReplica(follower->Stats().log_end, ByteView{third.data(), third.size()});
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(follower->QueueRange("blanks", 0).max_offset.value, 3);
}

TEST_P(StoreConformance, TruncatedFollowerResumes) {
  auto& leader = OpenStore("leader");
  auto& follower = OpenStore("follower");
  std::vector<Appended> recs = FillLeader(*leader);
  ASSERT_EQ(recs.size(), 120u);
  const LogPosition start = leader->Stats().log_min;
  ASSERT_NO_FATAL_FAILURE(Replicate(*leader, *follower, start, 20000));

  const LogPosition end = follower->Stats().log_end;
  const Appended& cut = recs[70];
  const LogPosition p = cut.result.position;
  EXPECT_FALSE(follower->TruncateLog(p + 1).ok()) << "not a record boundary";
  EXPECT_FALSE(follower->TruncateLog(end + 100).ok()) << "past the log end";
  EXPECT_EQ(follower->Stats().log_end, end) << "a refused truncation changes nothing";
  ASSERT_TRUE(follower->TruncateLog(end).ok()) << "truncating at the end is a no-op";
  Status s = follower->TruncateLog(p);
  ASSERT_TRUE(s.ok()) << s.ToString();

  auto check_truncated = [&](const std::string& when) {
    SCOPED_TRACE(when);
    EXPECT_EQ(follower->Stats().log_end, p);
    std::map<std::pair<std::string, int32_t>, int64_t> kept;
    for (const Appended& a : recs) {
      const bool gone = a.result.position >= p;
      EXPECT_EQ(follower->ReadAt(a.result.position).ok(), !gone) << "record at " << a.result.position.value;
      if (!gone) kept[{a.topic, a.queue}] = a.result.queue_offset.value + 1;
    }
    for (const auto& [topic, q] : Queues(*leader))
      EXPECT_EQ(follower->QueueRange(topic, q).max_offset.value, (kept[{topic, q}])) << topic << "/" << q;
    Result<LogChunk> c = follower->ReadLog(p, 4096);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->bytes.size, 0u) << "the truncation point is the new log end";
    if (plugin().has_key_index) {
      Result<std::vector<LogPosition>> lk = follower->LookupKey(cut.topic, cut.key, 0, INT64_MAX, 10);
      ASSERT_TRUE(lk.ok()) << lk.status().ToString();
      for (LogPosition f : *lk) EXPECT_LT(f, p) << "LookupKey returned a truncated record";
    }
  };
  ASSERT_NO_FATAL_FAILURE(check_truncated("after TruncateLog"));
  if (!plugin().is_volatile) {  // durable on return
    ASSERT_NO_FATAL_FAILURE(follower.Reopen());
    ASSERT_NO_FATAL_FAILURE(check_truncated("after a restart"));
  }

  // Replication resumes from the cut and the follower is identical again.
  ASSERT_NO_FATAL_FAILURE(Replicate(*leader, *follower, p, 20000));
  ASSERT_NO_FATAL_FAILURE(ExpectSameContent(*leader, *follower, start));

  // Appends after a truncation go to the truncation point with the queue's next offset.
  const Appended& cut2 = recs[100];
  ASSERT_TRUE(leader->TruncateLog(cut2.result.position).ok());
  RecordSpec spec;
  spec.topic = cut2.topic;
  spec.queue_id = cut2.queue;
  spec.body = "after truncation";
  AppendResult r = AppendOne(*leader, MakeRecord(spec));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.position, cut2.result.position);
  EXPECT_EQ(r.queue_offset, cut2.result.queue_offset);
  Result<RecordRead> back = leader->ReadAt(r.position);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(DecodeOrFail(back->record).msg.body, "after truncation");
}

}  // namespace
}  // namespace sprocket::conformance
