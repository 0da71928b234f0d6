// filelog storage plugin: recovery after a crash (power loss simulated on the files).
//
// Each test appends records, saves the checkpoint at some moment, closes the store, puts that
// checkpoint back with an abort file (so the directory looks like the store died right after
// writing it), and then damages the files the way lost or torn pages would: zeros, a cut
// file, flipped bytes. Recovery must check everything past the checkpoint (magic, size,
// PHYSICALOFFSET, body CRC), cut the log at the first bad record, rebuild consume queues to
// match, and never serve a damaged record.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/filelog_test_util.h"

namespace sprocket::testing::filelog {
namespace {

namespace fs = std::filesystem;

// Flushes come only from the test (Flush) and from Close, so the saved checkpoint is the
// last one written before the simulated crash.
std::map<std::string, std::string> CrashOptions() {
  auto o = SmallStoreOptions();
  o["flushIntervalCommitLog"] = "100000";
  o["flushIntervalConsumeQueue"] = "100000";
  return o;
}

struct Appended {
  std::vector<AppendResult> before;  // covered by the saved checkpoint
  std::vector<AppendResult> after;   // written after it
  std::string checkpoint;
};

// `before` records, Flush (the checkpoint is saved), `after` records, clean close.
Appended AppendAroundCheckpoint(StoreHarness& h, const std::string& topic, int before, int after,
                                size_t body_size = 100) {
  Appended a;
  for (int i = 0; i < before + after; ++i) {
    if (i == before) {
      EXPECT_TRUE(h->Flush().ok());
      a.checkpoint = ReadFileBytes(h.Path("checkpoint"));
    }
    std::string body = std::to_string(i) + ":" + std::string(body_size, static_cast<char>('a' + i % 26));
    AppendResult r = AppendOne(h.store(), MakeRecord(topic, 0, body));
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    (i < before ? a.before : a.after).push_back(r);
  }
  h.Shutdown();
  return a;
}

int64_t EndOf(const AppendResult& r) { return r.position.value + r.size; }
int64_t InSegment(int64_t position) { return position % 65536; }

// Body offset of a record built by MakeRecord (IPv4 hosts): 4+4+4+4+4+8+8+4+8+8+8+8+4+8+4.
constexpr int64_t kBodyOffset = 88;

void ExpectBodies(MessageStore& store, const std::string& topic, size_t count) {
  std::vector<protocol::MessageExt> all = ReadAll(store, topic, 0);  // CRCs checked
  ASSERT_EQ(all.size(), count);
  for (size_t i = 0; i < count; ++i) {
    EXPECT_EQ(all[i].body.substr(0, all[i].body.find(':')), std::to_string(i));
    EXPECT_EQ(all[i].queue_offset, static_cast<int64_t>(i));
  }
}

TEST(FileLogCrashTest, BadMagicPastTheCheckpointCutsTheLogAndItsQueueEntries) {
  StoreHarness h(CrashOptions());
  h.Open();
  Appended a = AppendAroundCheckpoint(h, "M", 5, 5);
  SimulateCrashAfterCheckpoint(h, a.checkpoint);
  const AppendResult& bad = a.after[4];
  OverwriteBytes(SegmentPathFor(h, bad.position.value), InSegment(bad.position.value) + 4,
                 std::string(4, '\0'));

  h.Open();
  EXPECT_EQ(h->Stats().log_end, bad.position);
  EXPECT_EQ(h->QueueRange("M", 0).max_offset.value, 9);
  ExpectBodies(h.store(), "M", 9);
  AppendResult again = AppendOne(h.store(), MakeRecord("M", 0, "9:again"));
  EXPECT_EQ(again.position, bad.position);
  EXPECT_EQ(again.queue_offset.value, 9);
}

TEST(FileLogCrashTest, BodyCrcMismatchCutsFromTheDamagedRecord) {
  StoreHarness h(CrashOptions());
  h.Open();
  Appended a = AppendAroundCheckpoint(h, "C", 5, 5);
  SimulateCrashAfterCheckpoint(h, a.checkpoint);
  const AppendResult& bad = a.after[2];  // record 7: header intact, one body byte flipped
  const std::string path = SegmentPathFor(h, bad.position.value);
  const int64_t at = InSegment(bad.position.value) + kBodyOffset + 3;
  OverwriteBytes(path, at,
                 std::string(1, static_cast<char>(ReadFileBytes(path)[static_cast<size_t>(at)] ^ 0x20)));

  h.Open();
  EXPECT_EQ(h->Stats().log_end, bad.position);
  ExpectBodies(h.store(), "C", 7);
  EXPECT_TRUE(h->ReadAt(a.after[3].position).status().IsNotFound());  // cut, so gone
  // The records after the cut were zeroed: a later crash cannot bring them back.
  const std::string seg = ReadFileBytes(path);
  EXPECT_EQ(seg.substr(static_cast<size_t>(InSegment(bad.position.value)),
                       static_cast<size_t>(EndOf(a.after.back()) - bad.position.value)),
            std::string(static_cast<size_t>(EndOf(a.after.back()) - bad.position.value), '\0'));
}

TEST(FileLogCrashTest, LostPagesBeforeSurvivingOnesCutAtTheHole) {
  // Pages reach the disk in any order: record 6's bytes were lost while record 8 survived.
  StoreHarness h(CrashOptions());
  h.Open();
  Appended a = AppendAroundCheckpoint(h, "P", 5, 5);
  SimulateCrashAfterCheckpoint(h, a.checkpoint);
  const AppendResult& lost = a.after[1];
  OverwriteBytes(SegmentPathFor(h, lost.position.value), InSegment(lost.position.value) + 20,
                 std::string(static_cast<size_t>(EndOf(a.after[2]) - lost.position.value - 20), '\0'));

  h.Open();
  EXPECT_EQ(h->Stats().log_end, lost.position);
  ExpectBodies(h.store(), "P", 6);
  // Appending again must not resurrect record 8 behind the new ones.
  for (int i = 6; i < 12; ++i)
    ASSERT_TRUE(AppendOne(h.store(), MakeRecord("P", 0, std::to_string(i) + ":new")).status.ok());
  h.Shutdown();
  h.Open();
  ExpectBodies(h.store(), "P", 12);
}

TEST(FileLogCrashTest, FileCutShortIsExtendedAndItsTailRecordsDropped) {
  StoreHarness h(CrashOptions());
  h.Open();
  Appended a = AppendAroundCheckpoint(h, "S", 5, 5);
  SimulateCrashAfterCheckpoint(h, a.checkpoint);
  const AppendResult& torn = a.after[3];
  fs::resize_file(SegmentPathFor(h, torn.position.value),
                  static_cast<uintmax_t>(InSegment(torn.position.value) + 30));

  h.Open();
  EXPECT_EQ(h->Stats().log_end, torn.position);
  EXPECT_EQ(fs::file_size(SegmentPathFor(h, torn.position.value)), 65536u);
  ExpectBodies(h.store(), "S", 8);
}

TEST(FileLogCrashTest, RecordCutInItsPropertiesOrTopicIsCut) {
  // A process killed inside pwritev leaves a prefix of the write and zeros after it. Cut in
  // the properties or the topic, a record still parses and its body matches BODYCRC; served,
  // it would be a record without its UNIQ_KEY, tags or keys (seen once in the SIGKILL
  // conformance case: "not a workload record").
  for (const int cut_back : {1, 5, 20}) {  // bytes zeroed at the end of the last record
    SCOPED_TRACE("properties cut " + std::to_string(cut_back) + " bytes short");
    StoreHarness h(CrashOptions());
    h.Open();
    Appended a = AppendAroundCheckpoint(h, "Cut", 5, 3);
    SimulateCrashAfterCheckpoint(h, a.checkpoint);
    const AppendResult& torn = a.after.back();
    OverwriteBytes(SegmentPathFor(h, torn.position.value), InSegment(EndOf(torn)) - cut_back,
                   std::string(static_cast<size_t>(cut_back), '\0'));
    h.Open();
    EXPECT_EQ(h->Stats().log_end, torn.position);
    ExpectBodies(h.store(), "Cut", 7);
    AppendResult again = AppendOne(h.store(), MakeRecord("Cut", 0, "7:again"));
    EXPECT_EQ(again.position, torn.position);
    EXPECT_EQ(again.queue_offset.value, 7);
  }
  // Without properties a record ends in its topic and PROPLEN (zero either way): a cut of 3
  // bytes reaches into the topic.
  StoreHarness h(CrashOptions());
  h.Open();
  Appended a = AppendAroundCheckpoint(h, "Cut", 5, 1);
  h.Open();
  const AppendResult whole = AppendOne(h.store(), MakeRecordWithProperties("Cut", 0, "6:no properties", ""));
  ASSERT_TRUE(whole.status.ok()) << whole.status.ToString();
  const AppendResult torn = AppendOne(h.store(), MakeRecordWithProperties("Cut", 0, "7:no properties", ""));
  ASSERT_TRUE(torn.status.ok()) << torn.status.ToString();
  h.Shutdown();
  SimulateCrashAfterCheckpoint(h, a.checkpoint);
  OverwriteBytes(SegmentPathFor(h, torn.position.value), InSegment(EndOf(torn)) - 3, std::string(3, '\0'));
  h.Open();
  EXPECT_EQ(h->Stats().log_end.value, EndOf(whole));
  ExpectBodies(h.store(), "Cut", 7);
}

TEST(FileLogCrashTest, ConsumeQueueEntriesPastTheCheckpointAreRebuilt) {
  StoreHarness h(CrashOptions());
  h.Open();
  Appended a = AppendAroundCheckpoint(h, "Q", 50, 80);  // crosses a 100-entry file
  SimulateCrashAfterCheckpoint(h, a.checkpoint);
  // Entries 60..69 lost, 70..99 survived, entries of the second file garbage.
  const std::string first = h.Path("consumequeue/Q/0/00000000000000000000");
  OverwriteBytes(first, 60 * 20, std::string(200, '\0'));
  OverwriteBytes(h.Path("consumequeue/Q/0/00000000000000002000"), 0, std::string(600, '\x5a'));

  h.Open();
  EXPECT_EQ(h->QueueRange("Q", 0).max_offset.value, 130);
  ExpectBodies(h.store(), "Q", 130);
}

TEST(FileLogCrashTest, CrashAcrossASegmentRollKeepsTheBlankAndCutsTheNextSegment) {
  StoreHarness h(CrashOptions());
  h.Open();
  Appended a = AppendAroundCheckpoint(h, "Roll", 20, 60, 1500);  // ~1.6 KiB records: ~40 per segment
  ASSERT_LT(a.after.front().position.value, 65536);
  ASSERT_GT(a.after.back().position.value, 65536);
  SimulateCrashAfterCheckpoint(h, a.checkpoint);
  // The third record of the second segment loses its magic.
  size_t k = 0;
  while (a.after[k].position.value < 65536) ++k;
  const AppendResult& bad = a.after[k + 2];
  OverwriteBytes(SegmentPathFor(h, bad.position.value), InSegment(bad.position.value) + 4, "XXXX");

  h.Open();
  EXPECT_EQ(h->Stats().log_end, bad.position);
  ExpectBodies(h.store(), "Roll", 20 + k + 2);
}

TEST(FileLogCrashTest, DamageBelowTheCheckpointIsNeverServedAsARecord) {
  // After a clean close nothing is re-checked (the checkpoint says it was fsynced); damage
  // there is found when the record is read.
  StoreHarness h;
  h.Open();
  std::vector<AppendResult> r;
  for (int i = 0; i < 6; ++i)
    r.push_back(AppendOne(h.store(), MakeRecord("D", 0, std::to_string(i) + ":body")));
  h.Shutdown();
  const std::string path = SegmentPathFor(h, 0);
  OverwriteBytes(path, r[1].position.value + kBodyOffset, "#");            // body of record 1
  OverwriteBytes(path, r[3].position.value + 20, std::string(8, '\x7f'));  // QUEUEOFFSET of record 3
  h.Open();
  Result<RecordRead> body_damaged = h->ReadAt(r[1].position);
  EXPECT_EQ(body_damaged.status().code(), Status::Code::kCorruption) << body_damaged.status().ToString();
  EXPECT_TRUE(h->ReadAt(r[2].position).ok());
  // A read reaching record 3 stops before it, and one starting there fails: no wrong record.
  ReadQueueResult got = h->ReadQueue("D", 0, QueueOffset(2), ReadLimits{}, TagFilter{});
  ASSERT_EQ(got.outcome, ReadOutcome::kFound);
  EXPECT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.next_offset.value, 3);
  got = h->ReadQueue("D", 0, QueueOffset(3), ReadLimits{}, TagFilter{});
  EXPECT_EQ(got.status.code(), Status::Code::kCorruption) << got.status.ToString();
  EXPECT_TRUE(got.records.empty());
}

TEST(FileLogCrashTest, UncleanShutdownWithIntactFilesLosesNothing) {
  // What a SIGKILL leaves: the page cache was intact, only the abort file tells.
  StoreHarness h(CrashOptions());
  h.Open();
  Appended a = AppendAroundCheckpoint(h, "K", 30, 30);
  SimulateCrashAfterCheckpoint(h, a.checkpoint);
  h.Open();
  EXPECT_EQ(h->Stats().log_end.value, EndOf(a.after.back()));
  ExpectBodies(h.store(), "K", 60);
}

}  // namespace
}  // namespace sprocket::testing::filelog
