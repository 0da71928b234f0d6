// filelog storage plugin: the commit log's page cache is held to commitLogPageCacheWindow
// bytes behind the log end (cache_trimmer.h); older bytes are written back and dropped, and
// stay readable.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "support/filelog_test_util.h"

namespace sprocket::testing::filelog {
namespace {

constexpr int64_t kSeg = 1 << 20;

// Pages of `path` in the page cache, seen through a mapping of our own (mincore reports the
// page cache for file mappings). -1 when the file cannot be mapped.
int64_t ResidentPages(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return -1;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return -1;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> vec((size + page - 1) / page);
  int64_t resident = -1;
  if (::mincore(map, size, vec.data()) == 0) {
    resident = 0;
    for (unsigned char v : vec) resident += v & 1;
  }
  ::munmap(map, size);
  return resident;
}

// Polls `pages` (every 20 ms, 10 s at most) until `done` holds for its value; returns the
// last value.
template <typename Pages, typename Done>
int64_t PollPages(Pages pages, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int64_t n = pages();
  while (!done(n) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    n = pages();
  }
  return n;
}

// Waits until no page of the segments below `below` is cached: the trimmer has dropped them
// and unmapped them from the store's mappings, so from then on the test can drop them again
// itself (a page the store has mapped cannot be dropped from outside).
bool WaitUntilDropped(const StoreHarness& h, int64_t below, int64_t segment_size) {
  auto pages = [&] {
    int64_t resident = 0;
    for (int64_t at = 0; at < below; at += segment_size) resident += ResidentPages(SegmentPathFor(h, at, segment_size));
    return resident;
  };
  return PollPages(pages, [](int64_t n) { return n == 0; }) == 0;
}

// Waits until at least `want` pages of `path` are cached; returns how many were.
int64_t WaitForResident(const std::string& path, int64_t want) {
  return PollPages([&] { return ResidentPages(path); }, [want](int64_t n) { return n >= want; });
}

std::map<std::string, std::string> Options(const std::string& window) {
  auto o = SmallStoreOptions();
  o["mapedFileSizeCommitLog"] = std::to_string(kSeg);
  o["commitLogPageCacheWindow"] = window;
  return o;
}

// ~6 MiB of 4 KiB records into one queue: six segments.
int64_t Fill(StoreHarness& h) {
  int64_t end = 0;
  for (int b = 0; b < 50; ++b) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 30; ++i) batch.push_back(MakeRecord("Cache", 0, std::string(4096, 'a' + (b + i) % 26)));
    for (const AppendResult& r : AppendAndWait(h.store(), std::move(batch))) {
      EXPECT_TRUE(r.status.ok()) << r.status.ToString();
      end = std::max(end, r.position.value + r.size);
    }
  }
  return end;
}

TEST(FileLogCacheTest, BytesBehindTheWindowLeaveThePageCacheAndStayReadable) {
  StoreHarness h(Options("131072"));
  h.Open();
  const int64_t end = Fill(h);
  ASSERT_GT(end, 5 * kSeg);
  // The trimmer looks every 100 ms.
  EXPECT_TRUE(WaitUntilDropped(h, 4 * kSeg, kSeg)) << "the first four segments are still cached";
  // The newest bytes (inside the window) are left alone.
  EXPECT_GT(ResidentPages(SegmentPathFor(h, end - 1, kSeg)), 0);

  // Dropped bytes read back intact (the body CRC is checked) from the disk.
  std::vector<protocol::MessageExt> all = ReadAll(h.store(), "Cache", 0);
  ASSERT_EQ(all.size(), 1500u);
  for (size_t i = 0; i < all.size(); ++i)
    EXPECT_EQ(all[i].body, std::string(4096, 'a' + (i / 30 + i % 30) % 26)) << i;
}

TEST(FileLogCacheTest, WindowZeroLeavesThePageCacheToTheKernel) {
  StoreHarness h(Options("0"));
  h.Open();
  Fill(h);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_GT(ResidentPages(SegmentPathFor(h, 0, kSeg)), 0);
}

// Writes back and drops every commit-log file from the page cache: the next reads are cold.
void DropLogFromPageCache(const StoreHarness& h) {
  for (const auto& e : std::filesystem::directory_iterator(h.Path("commitlog"))) {
    int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0) << e.path();
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

TEST(FileLogCacheTest, ColdReadsReturnWhatWarmReadsReturn) {
  // Queues 0-2 interleaved in the log (a read's records are not contiguous), queue 3 alone
  // (contiguous runs: one pread), across many 64 KiB segments; a 64 KiB cache window.
  auto o = SmallStoreOptions();
  o["commitLogPageCacheWindow"] = "65536";
  StoreHarness h(o);
  h.Open();
  std::map<int, std::vector<std::string>> sent;
  for (int b = 0; b < 20; ++b) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 12; ++i) {
      sent[i % 3].push_back("m" + std::to_string(b * 12 + i) + std::string(300, 'x'));
      batch.push_back(MakeRecord("Cold", i % 3, sent[i % 3].back()));
    }
    AppendAndWait(h.store(), std::move(batch));
  }
  for (int b = 0; b < 10; ++b) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 20; ++i) {
      sent[3].push_back(std::string(700, 'a' + (b + i) % 26));
      batch.push_back(MakeRecord("Cold", 3, sent[3].back()));
    }
    AppendAndWait(h.store(), std::move(batch));
  }
  // Padding, so that every segment holding queue data falls behind the window.
  for (int i = 0; i < 4; ++i) AppendOne(h.store(), MakeRecord("Pad", 0, std::string(60000, 'p')));
  ASSERT_TRUE(WaitUntilDropped(h, 4 * 65536, 65536)) << "the trimmer did not drop the old segments";
  for (int batch : {7, 1, 32}) {
    DropLogFromPageCache(h);
    for (int q = 0; q < 4; ++q) {
      std::vector<std::string> cold;
      for (const auto& m : ReadAll(h.store(), "Cold", q, batch)) cold.push_back(m.body);  // CRCs checked
      EXPECT_EQ(cold, sent[q]) << "queue " << q << ", " << batch << " per read";
    }
  }
}

TEST(FileLogCacheTest, AColdReadNeverServesARecordItsEntryDoesNotName) {
  auto o = SmallStoreOptions();
  o["commitLogPageCacheWindow"] = "65536";
  StoreHarness h(o);
  h.Open();
  std::vector<AppendResult> r;
  for (int i = 0; i < 6; ++i) r.push_back(AppendOne(h.store(), MakeRecord("D", 0, std::to_string(i) + ":body")));
  for (int i = 0; i < 3; ++i) AppendOne(h.store(), MakeRecord("Pad", 0, std::string(60000, 'p')));
  ASSERT_TRUE(WaitUntilDropped(h, 65536, 65536));
  OverwriteBytes(SegmentPathFor(h, 0), r[3].position.value + 20, std::string(8, '\x7f'));  // QUEUEOFFSET
  DropLogFromPageCache(h);
  ASSERT_EQ(ResidentPages(SegmentPathFor(h, 0)), 0);
  ReadQueueResult got = h->ReadQueue("D", 0, QueueOffset(2), ReadLimits{}, TagFilter{});
  ASSERT_EQ(got.outcome, ReadOutcome::kFound);
  EXPECT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.next_offset.value, 3);
  DropLogFromPageCache(h);
  got = h->ReadQueue("D", 0, QueueOffset(3), ReadLimits{}, TagFilter{});
  EXPECT_EQ(got.status.code(), Status::Code::kCorruption) << got.status.ToString();
  EXPECT_TRUE(got.records.empty());
}

TEST(FileLogCacheTest, AConsumerOfAColdBacklogIsReadAheadOfAndNotMuchFurther) {
  // One 96 MiB segment holding ~90 MiB of one queue's 64 KiB records, dropped from the page
  // cache. The prefetcher keeps 32 MiB ahead of the consumer (prefetcher.h); the kernel's
  // own read-ahead of the first pread adds at most read_ahead_kb (8 MiB on the development
  // VM), so the bounds leave room for that.
  constexpr int64_t kBig = 96 << 20, kMiB = 1 << 20, kPage = 4096;
  auto o = SmallStoreOptions();
  o["mapedFileSizeCommitLog"] = std::to_string(kBig);
  o["commitLogPageCacheWindow"] = "0";
  StoreHarness h(o);
  h.Open();
  const std::string body(65536, 'c');
  for (int b = 0; b < 45; ++b) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 32; ++i) batch.push_back(MakeRecord("Backlog", 0, body));
    AppendAndWait(h.store(), std::move(batch));
  }
  h.Reopen();  // pages the store mapped while writing cannot be dropped from outside
  const std::string segment = SegmentPathFor(h, 0, kBig);
  DropLogFromPageCache(h);
  const int64_t kept = ResidentPages(segment);  // the tail recovery read through its mapping
  ASSERT_LT(kept, kMiB / kPage);

  ReadLimits limits;
  limits.max_count = 8;
  ReadQueueResult got = h->ReadQueue("Backlog", 0, QueueOffset(0), limits, TagFilter{});
  ASSERT_EQ(got.outcome, ReadOutcome::kFound);
  ASSERT_FALSE(got.records.empty());  // up to the byte limit: a few hundred KiB
  int64_t resident = WaitForResident(segment, kept + 30 * kMiB / kPage) - kept;
  EXPECT_GE(resident, 30 * kMiB / kPage) << "the range ahead of the consumer was not read ahead";
  EXPECT_LE(resident, 44 * kMiB / kPage) << "read ahead much further than the window";

  // The consumer moves on 24 MiB: the window follows it.
  int64_t next = got.next_offset.value;
  while (next < 24 * 16) {
    got = h->ReadQueue("Backlog", 0, QueueOffset(next), limits, TagFilter{});
    ASSERT_EQ(got.outcome, ReadOutcome::kFound);
    next = got.next_offset.value;
  }
  resident = WaitForResident(segment, kept + 54 * kMiB / kPage) - kept;
  EXPECT_GE(resident, 54 * kMiB / kPage) << "the read-ahead did not follow the consumer";
  EXPECT_LE(resident, 68 * kMiB / kPage) << "read ahead much further than the window";
}

TEST(FileLogCacheTest, BadWindowValuesAreRejected) {
  for (const char* value : {"-1", "1G", "lots"}) {
    StoreHarness h(Options(value));
    Status s = h.TryOpen();
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << value << ": " << s.ToString();
    EXPECT_NE(s.message().find("commitLogPageCacheWindow"), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace sprocket::testing::filelog
