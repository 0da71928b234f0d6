// filelog storage plugin: the on-disk layout (FORMAT.md) — segment rolls with the blank
// marker, consume-queue files and entries, the checkpoint and abort files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "support/filelog_test_util.h"

namespace sprocket::testing::filelog {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kSeg = 65536;
constexpr int32_t kBlankMagic = static_cast<int32_t>(0xCBD43194);

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string SegmentName(int64_t start) {
  char name[32];
  std::snprintf(name, sizeof name, "%020lld", static_cast<long long>(start));
  return name;
}

// The blank marker at `position`: int32 bytes left in the segment, int32 0xCBD43194.
void ExpectBlankAt(const StoreHarness& h, int64_t position) {
  const int64_t seg_start = position / kSeg * kSeg;
  const std::string file = ReadFileBytes(h.Path("commitlog/" + SegmentName(seg_start)));
  const size_t at = static_cast<size_t>(position - seg_start);
  ASSERT_GE(file.size(), at + 8);
  EXPECT_EQ(BigEndian32(file, at), kSeg - (position - seg_start));
  EXPECT_EQ(BigEndian32(file, at + 4), kBlankMagic);
}

TEST(FileLogSegmentTest, RecordsNeverSpanSegmentsAndABlankMarksTheRoll) {
  StoreHarness h;
  h.Open();
  std::vector<AppendResult> results;
  for (int b = 0; b < 15; ++b) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 10; ++i)
      batch.push_back(MakeRecord("Roll", i % 2, std::string(1000, 'a' + (b + i) % 26)));
    for (AppendResult& r : AppendAndWait(h.store(), std::move(batch))) {
      ASSERT_TRUE(r.status.ok());
      results.push_back(r);
    }
  }
  std::vector<std::string> files = FilesIn(h.Path("commitlog"));
  ASSERT_GE(files.size(), 3u);
  EXPECT_EQ(files[0], "00000000000000000000");
  EXPECT_EQ(files[1], "00000000000000065536");
  EXPECT_EQ(files[2], "00000000000000131072");

  for (size_t i = 0; i < results.size(); ++i) {
    const int64_t pos = results[i].position.value;
    const int64_t end = pos + results[i].size;
    // Whole record in one segment, with at least 8 bytes left for the marker.
    EXPECT_LE(pos % kSeg + results[i].size + 8, kSeg) << i;
    if (i + 1 < results.size() && results[i + 1].position.value != end) {
      // A roll: the next record opens the next segment and a blank fills the gap.
      EXPECT_EQ(results[i + 1].position.value, (pos / kSeg + 1) * kSeg);
      ExpectBlankAt(h, end);
      EXPECT_TRUE(h->ReadAt(LogPosition(end)).status().IsNotFound());
      EXPECT_TRUE(h->ReadAt(LogPosition(end + 8)).status().IsNotFound());  // the unwritten rest
    }
  }
  EXPECT_EQ(ReadAll(h.store(), "Roll", 0).size() + ReadAll(h.store(), "Roll", 1).size(), results.size());
}

// Bytes the file system has allocated to `path` (st_blocks), -1 if it cannot stat it.
int64_t AllocatedBytes(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_blocks) * 512;
}

// Whether the file system under `dir` supports fallocate (tmpfs, ext4, xfs do).
bool CanFallocate(const std::string& dir) {
  const std::string probe = dir + "/fallocate-probe";
  const int fd = ::open(probe.c_str(), O_CREAT | O_RDWR, 0644);
  if (fd < 0) return false;
  const bool ok = ::fallocate(fd, 0, 0, kSeg) == 0;
  ::close(fd);
  ::unlink(probe.c_str());
  return ok;
}

// ASYNC_FLUSH segments are fallocated when created (block allocation off the writer's path,
// commit_log.cc); SYNC_FLUSH segments stay sparse, taking blocks as records are written.
TEST(FileLogSegmentTest, AsyncFlushSegmentsAreFallocatedAndSyncFlushOnesSparse) {
  for (const std::string mode : {"ASYNC_FLUSH", "SYNC_FLUSH"}) {
    SCOPED_TRACE(mode);
    std::map<std::string, std::string> options = SmallStoreOptions();
    options["flushDiskType"] = mode;
    StoreHarness h(options);
    h.Open();
    if (!CanFallocate(h.data_dir())) GTEST_SKIP() << "no fallocate on the test file system";
    std::vector<AppendRequest> one;
    one.push_back(MakeRecord("Alloc", 0, "x"));
    ASSERT_TRUE(AppendAndWait(h.store(), std::move(one))[0].status.ok());
    const int64_t allocated = AllocatedBytes(h.Path("commitlog/" + SegmentName(0)));
    if (mode == "ASYNC_FLUSH") {
      EXPECT_GE(allocated, kSeg);
    } else {
      EXPECT_GE(allocated, 0);
      EXPECT_LT(allocated, kSeg / 2);
    }
  }
}

TEST(FileLogSegmentTest, ARecordFitsOnlyWithRoomLeftForTheBlank) {
  const size_t base = MakeRecord("F", 0, "").record.size();
  for (int slack : {8, 7}) {
    StoreHarness h;
    h.Open();
    AppendResult a = AppendOne(h.store(), MakeRecord("F", 0, std::string(100, 'a')));
    const int64_t remaining = kSeg - a.size;
    // B's total size is remaining - slack: it fits only when 8 bytes stay free after it.
    AppendResult b = AppendOne(
        h.store(), MakeRecord("F", 0, std::string(static_cast<size_t>(remaining - slack) - base, 'b')));
    ASSERT_TRUE(b.status.ok());
    ASSERT_EQ(b.size, remaining - slack);
    AppendResult c = AppendOne(h.store(), MakeRecord("F", 0, "c"));
    if (slack == 8) {
      EXPECT_EQ(b.position.value, a.size);
      EXPECT_EQ(c.position.value, kSeg);
      ExpectBlankAt(h, kSeg - 8);  // exactly the marker's 8 bytes were left
    } else {
      EXPECT_EQ(b.position.value, kSeg);
      ExpectBlankAt(h, a.size);
      EXPECT_EQ(c.position.value, kSeg + b.size);
    }
    std::vector<protocol::MessageExt> all = ReadAll(h.store(), "F", 0);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[2].body, "c");
  }
}

TEST(FileLogSegmentTest, ConsumeQueueFilesHoldBigEndianEntries) {
  StoreHarness h;  // 2000-byte consume-queue files: 100 entries each
  h.Open();
  std::vector<AppendResult> results;
  for (int b = 0; b < 5; ++b) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 50; ++i)
      batch.push_back(MakeRecord("Q", 0, "q" + std::to_string(b * 50 + i), "TagA"));
    for (AppendResult& r : AppendAndWait(h.store(), std::move(batch))) results.push_back(r);
  }
  ASSERT_TRUE(h->Flush().ok());
  EXPECT_EQ(
      FilesIn(h.Path("consumequeue/Q/0")),
      (std::vector<std::string>{"00000000000000000000", "00000000000000002000", "00000000000000004000"}));
  const std::string second = ReadFileBytes(h.Path("consumequeue/Q/0/00000000000000002000"));
  ASSERT_EQ(second.size(), 2000u);
  for (int offset : {100, 150, 199}) {
    const size_t at = static_cast<size_t>(offset * 20 - 2000);
    EXPECT_EQ(BigEndian64(second, at), results[offset].position.value);
    EXPECT_EQ(BigEndian32(second, at + 8), results[offset].size);
    EXPECT_EQ(BigEndian64(second, at + 12), 2598919);  // "TagA".hashCode()
  }
  std::vector<protocol::MessageExt> all = ReadAll(h.store(), "Q", 0, 32);  // reads cross file ends
  ASSERT_EQ(all.size(), 250u);
  for (int i = 0; i < 250; ++i) EXPECT_EQ(all[i].body, "q" + std::to_string(i));
}

TEST(FileLogSegmentTest, CheckpointAbortAndLockFiles) {
  StoreHarness h;
  h.Open();
  EXPECT_TRUE(fs::exists(h.Path("abort")));
  EXPECT_TRUE(fs::exists(h.Path("lock")));
  EXPECT_TRUE(fs::exists(h.Path("checkpoint")));
  AppendResult last;
  for (int i = 0; i < 3; ++i) last = AppendOne(h.store(), MakeRecord("K", 0, "k"));
  ASSERT_TRUE(h->Close().ok());
  EXPECT_FALSE(fs::exists(h.Path("abort")));

  const std::string cp = ReadFileBytes(h.Path("checkpoint"));
  ASSERT_EQ(cp.size(), 64u);
  EXPECT_EQ(cp.substr(0, 8), "SPRKCKPT");
  EXPECT_EQ(BigEndian32(cp, 8), 2);   // version
  EXPECT_EQ(BigEndian32(cp, 12), 1);  // clean shutdown
  EXPECT_EQ(BigEndian64(cp, 16), kSeg);
  EXPECT_EQ(BigEndian64(cp, 24), 2000);
  EXPECT_EQ(BigEndian64(cp, 32), 0);                                // log min
  EXPECT_EQ(BigEndian64(cp, 40), last.position.value + last.size);  // log durable end
  EXPECT_EQ(BigEndian64(cp, 48), last.position.value + last.size);  // consume queues durable
}

}  // namespace
}  // namespace sprocket::testing::filelog
