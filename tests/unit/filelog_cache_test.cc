// filelog storage plugin: the commit log's page cache is held to commitLogPageCacheWindow
// bytes behind the log end (cache_trimmer.h); older bytes are written back and dropped, and
// stay readable.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
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
  // The trimmer looks every 100 ms; give it up to 10 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int64_t resident_old = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    resident_old = 0;
    for (int64_t s = 0; s < 4; ++s) resident_old += ResidentPages(SegmentPathFor(h, s * kSeg, kSeg));
    if (resident_old == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(resident_old, 0) << "the first four segments are still cached";
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
