// filelog's key index (plugins/storage/filelog/index_file.{h,cc}): RocketMQ's IndexFile
// format byte by byte, lookups (collisions, time ranges, newest first), rolling, truncation,
// retention, reopening, recovery from a process that died between flushes, batched adds,
// and what a power loss leaves of a newly created file.
//
// The index is private to the filelog plugin (a shared object), so its sources and the two
// it uses are compiled into this test.
#include <dirent.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "../../plugins/storage/common/stored_record.cc"
#include "../../plugins/storage/filelog/file_util.cc"
#include "../../plugins/storage/filelog/index_file.cc"
#include "support/test_process.h"

// --- What a power loss would leave, as far as syncs go. fsync and fdatasync are defined
// here, so every call in this executable (the index's sources are compiled in) comes here
// first and then goes to the kernel. While a SyncRecording runs, a file sync under the
// watched directory records the file's bytes (what the disk now holds for it), and a sync of
// the directory records every name in it (now durable) with its file's last synced bytes.
namespace sync_model {

struct Durable {
  bool synced = false;
  std::string bytes;  // the file as of its last sync (size included)
};
using Names = std::map<std::string, Durable>;  // name in the directory -> its durable content

std::mutex mu;
std::string watched;                   // directory watched; empty: not recording
std::map<std::string, Durable> files;  // path -> content as of its last sync
std::vector<Names> dir_syncs;          // one per fsync of the watched directory

void OnSync(int fd) {
  std::lock_guard lock(mu);
  if (watched.empty()) return;
  char link[PATH_MAX];
  const ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), link, sizeof link - 1);
  struct stat st;
  if (n <= 0 || ::fstat(fd, &st) != 0) return;
  const std::string path(link, static_cast<size_t>(n));
  if (S_ISDIR(st.st_mode)) {
    if (path != watched) return;
    Names names;
    if (DIR* d = ::opendir(path.c_str())) {
      while (dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        auto it = files.find(path + "/" + name);
        names[name] = it == files.end() ? Durable{} : it->second;
      }
      ::closedir(d);
    }
    dir_syncs.push_back(std::move(names));
  } else if (S_ISREG(st.st_mode) && path.rfind(watched + "/", 0) == 0 && st.st_size <= (1 << 20)) {
    Durable d{true, std::string(static_cast<size_t>(st.st_size), '\0')};
    if (::pread(fd, d.bytes.data(), d.bytes.size(), 0) != static_cast<ssize_t>(d.bytes.size())) return;
    files[path] = std::move(d);
  }
}

}  // namespace sync_model

extern "C" int fsync(int fd) {
  sync_model::OnSync(fd);
  return static_cast<int>(::syscall(SYS_fsync, fd));
}

extern "C" int fdatasync(int fd) {
  sync_model::OnSync(fd);
  return static_cast<int>(::syscall(SYS_fdatasync, fd));
}

namespace sprocket::filelog {
namespace {

// Records syncs under `dir` (sync_model above) until Stop or destruction.
class SyncRecording {
 public:
  explicit SyncRecording(std::string dir) {
    std::lock_guard lock(sync_model::mu);
    sync_model::watched = std::filesystem::canonical(dir).string();
    sync_model::files.clear();
    sync_model::dir_syncs.clear();
  }
  ~SyncRecording() { Stop(); }
  // Every directory fsync seen, in order.
  std::vector<sync_model::Names> Stop() {
    std::lock_guard lock(sync_model::mu);
    sync_model::watched.clear();
    return std::move(sync_model::dir_syncs);
  }
};

namespace fs = std::filesystem;
using testing::TempDir;

std::shared_ptr<spdlog::logger> NullLogger() {
  return std::make_shared<spdlog::logger>("index-test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

constexpr int64_t kT0 = 1700000000000;  // a store time, ms

class IndexTest : public ::testing::Test {
 protected:
  KeyIndexOptions Options(int32_t slots = 64, int32_t count = 1000, const std::string& sub = "index") {
    KeyIndexOptions o;
    o.dir = tmp_.Sub(sub);
    o.max_hash_slots = slots;
    o.max_index_count = count;
    return o;
  }
  std::unique_ptr<KeyIndex> OpenIndex(KeyIndexOptions o) {
    auto r = KeyIndex::Open(std::move(o), NullLogger());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r.value()) : nullptr;
  }
  std::vector<int64_t> Find(KeyIndex& index, std::string_view topic, std::string_view key, int64_t begin = 0,
                            int64_t end = INT64_MAX, int32_t max = 64) {
    auto r = index.Lookup(topic, key, begin, end, max);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<int64_t> out;
    if (r.ok()) {
      for (auto p : *r) out.push_back(p.value);
    }
    return out;
  }
  std::vector<std::string> Files(const std::string& sub = "index") {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(tmp_.Sub(sub))) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::string ReadFile(const std::string& name, const std::string& sub = "index") {
    std::ifstream in(tmp_.Sub(sub) + "/" + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void WriteFile(const std::string& name, const std::string& bytes, const std::string& sub = "index") {
    std::ofstream out(tmp_.Sub(sub) + "/" + name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  // Runs `fn` in a child process that then dies without closing anything (like SIGKILL):
  // what it wrote to the mappings is in the page cache, unflushed state and all.
  void InChildThatDies(const std::function<void()>& fn) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      fn();
      ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }

  TempDir tmp_;
};

TEST_F(IndexTest, AddAndLookupByEveryKeyOfARecord) {
  auto index = OpenIndex(Options());
  ASSERT_TRUE(index);
  ASSERT_TRUE(index->Add("TopicA", "UNIQ1 order-1 user-7", LogPosition(0), kT0).ok());
  ASSERT_TRUE(index->Add("TopicA", "UNIQ2 order-2", LogPosition(200), kT0 + 10).ok());
  ASSERT_TRUE(index->Add("TopicB", "UNIQ3  order-1 ", LogPosition(400), kT0 + 20).ok());  // stray spaces

  EXPECT_EQ(Find(*index, "TopicA", "UNIQ1"), std::vector<int64_t>{0});
  EXPECT_EQ(Find(*index, "TopicA", "user-7"), std::vector<int64_t>{0});
  EXPECT_EQ(Find(*index, "TopicA", "order-2"), std::vector<int64_t>{200});
  // The topic is part of the key.
  EXPECT_EQ(Find(*index, "TopicA", "order-1"), std::vector<int64_t>{0});
  EXPECT_EQ(Find(*index, "TopicB", "order-1"), std::vector<int64_t>{400});
  EXPECT_TRUE(Find(*index, "TopicB", "UNIQ1").empty());
  EXPECT_TRUE(Find(*index, "TopicA", "missing").empty());
  EXPECT_TRUE(Find(*index, "TopicA", "").empty());
  EXPECT_EQ(index->FileCount(), 1u);
}

TEST_F(IndexTest, NewestFirstAndAtMostMaxResults) {
  auto index = OpenIndex(Options());
  ASSERT_TRUE(index);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(index->Add("T", "same", LogPosition(i * 100), kT0 + i * 1000).ok());
  }
  EXPECT_EQ(Find(*index, "T", "same", 0, INT64_MAX, 3), (std::vector<int64_t>{900, 800, 700}));
  EXPECT_EQ(Find(*index, "T", "same").size(), 10u);
  EXPECT_TRUE(Find(*index, "T", "same", 0, INT64_MAX, 0).empty());
  // A key repeated within one record is indexed once.
  ASSERT_TRUE(index->Add("T", "dup dup", LogPosition(5000), kT0 + 20000).ok());
  EXPECT_EQ(Find(*index, "T", "dup"), std::vector<int64_t>{5000});
}

TEST_F(IndexTest, CollisionsShareSlotsAndOnlyEqualHashesAreReturned) {
  // One slot: every key is in one chain, which the lookup filters by hash.
  auto index = OpenIndex(Options(/*slots=*/1));
  ASSERT_TRUE(index);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(index->Add("T", "k" + std::to_string(i), LogPosition(i * 10), kT0).ok());
  }
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(Find(*index, "T", "k" + std::to_string(i)), std::vector<int64_t>{i * 10}) << i;
  }
  // "Aa" and "BB" have the same Java hashCode, so "T#Aa" and "T#BB" do too: the index
  // cannot tell them apart and returns both (the caller reads the records and checks).
  ASSERT_TRUE(index->Add("T", "Aa", LogPosition(1000), kT0).ok());
  ASSERT_TRUE(index->Add("T", "BB", LogPosition(1100), kT0).ok());
  EXPECT_EQ(Find(*index, "T", "Aa"), (std::vector<int64_t>{1100, 1000}));
  EXPECT_EQ(Find(*index, "T", "BB"), (std::vector<int64_t>{1100, 1000}));
}

TEST_F(IndexTest, TimeRangeToTheSecond) {
  auto index = OpenIndex(Options());
  ASSERT_TRUE(index);
  // Store times 0 s, 10.5 s, 20 s, 30.999 s after kT0.
  const std::vector<int64_t> times = {kT0, kT0 + 10500, kT0 + 20000, kT0 + 30999};
  for (size_t i = 0; i < times.size(); ++i) {
    ASSERT_TRUE(index->Add("T", "k", LogPosition(static_cast<int64_t>(i) * 100), times[i]).ok());
  }
  EXPECT_EQ(Find(*index, "T", "k", kT0, kT0 + 40000), (std::vector<int64_t>{300, 200, 100, 0}));
  EXPECT_EQ(Find(*index, "T", "k", kT0 + 15000, kT0 + 25000), std::vector<int64_t>{200});
  // Exactly the store time of the 10.5 s record, which the file keeps as 10 s: still found.
  EXPECT_EQ(Find(*index, "T", "k", kT0 + 10500, kT0 + 10500), std::vector<int64_t>{100});
  EXPECT_EQ(Find(*index, "T", "k", kT0 + 30999, INT64_MAX), std::vector<int64_t>{300});
  EXPECT_TRUE(Find(*index, "T", "k", kT0 + 40000, INT64_MAX).empty());
  EXPECT_TRUE(Find(*index, "T", "k", 0, kT0 - 1).empty());
  EXPECT_TRUE(Find(*index, "T", "k", kT0 + 5000, kT0 + 1000).empty());  // end before begin
}

TEST_F(IndexTest, FileLayoutIsRocketMQsIndexFile) {
  const int32_t slots = 64, count = 100;
  auto index = OpenIndex(Options(slots, count));
  ASSERT_TRUE(index);
  ASSERT_TRUE(index->Add("T", "k", LogPosition(4096), kT0 + 123).ok());
  ASSERT_TRUE(index->Add("T", "k", LogPosition(8192), kT0 + 5123).ok());
  ASSERT_TRUE(index->Flush().ok());
  auto names = Files();
  ASSERT_EQ(names.size(), 1u);
  ASSERT_EQ(names[0].size(), 17u);  // yyyyMMddHHmmssSSS
  EXPECT_TRUE(std::all_of(names[0].begin(), names[0].end(), ::isdigit)) << names[0];
  EXPECT_EQ(names[0].substr(0, 2), "20");
  const std::string file = ReadFile(names[0]);
  ASSERT_EQ(file.size(), 40u + 4u * slots + 20u * count);
  EXPECT_EQ(GetInt64(&file[0]), kT0 + 123);   // beginTimestamp
  EXPECT_EQ(GetInt64(&file[8]), kT0 + 5123);  // endTimestamp
  EXPECT_EQ(GetInt64(&file[16]), 4096);       // beginPhyOffset
  EXPECT_EQ(GetInt64(&file[24]), 8192);       // endPhyOffset
  EXPECT_EQ(GetInt32(&file[32]), 2);          // hashSlotCount (puts)
  EXPECT_EQ(GetInt32(&file[36]), 3);          // indexCount = 1 + entries
  // Java: "T#k".hashCode() = (84 * 31 + 35) * 31 + 107 = 81916.
  const int32_t hash = 81916;
  const size_t slot_at = 40 + 4 * (hash % slots);
  EXPECT_EQ(GetInt32(&file[slot_at]), 2);  // the newest entry
  const size_t entries = 40 + 4 * slots;
  EXPECT_EQ(GetInt32(&file[entries + 20 * 1]), hash);
  EXPECT_EQ(GetInt64(&file[entries + 20 * 1 + 4]), 4096);
  EXPECT_EQ(GetInt32(&file[entries + 20 * 1 + 12]), 0);  // timeDiff, s
  EXPECT_EQ(GetInt32(&file[entries + 20 * 1 + 16]), 0);  // end of chain
  EXPECT_EQ(GetInt32(&file[entries + 20 * 2]), hash);
  EXPECT_EQ(GetInt64(&file[entries + 20 * 2 + 4]), 8192);
  EXPECT_EQ(GetInt32(&file[entries + 20 * 2 + 12]), 5);
  EXPECT_EQ(GetInt32(&file[entries + 20 * 2 + 16]), 1);  // prevIndex
  // Entry 0 is never used.
  EXPECT_EQ(file.substr(entries, 20), std::string(20, '\0'));
}

TEST_F(IndexTest, RollsToANewFileWhenFullAndLooksUpAcrossFiles) {
  // 5 entries per file minus the unused entry 0: four keys per file.
  auto index = OpenIndex(Options(8, 5));
  ASSERT_TRUE(index);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        index->Add("T", "k" + std::to_string(i % 3) + " all", LogPosition(i * 100), kT0 + i * 1000).ok());
  }
  // 20 keys at 4 per file.
  EXPECT_EQ(index->FileCount(), 5u);
  EXPECT_EQ(Files().size(), 5u);
  EXPECT_EQ(Find(*index, "T", "all"), (std::vector<int64_t>{900, 800, 700, 600, 500, 400, 300, 200, 100, 0}));
  EXPECT_EQ(Find(*index, "T", "k0"), (std::vector<int64_t>{900, 600, 300, 0}));
  EXPECT_EQ(Find(*index, "T", "k1", kT0 + 4000, kT0 + 7000), (std::vector<int64_t>{700, 400}));
  ASSERT_TRUE(index->Close().ok());

  auto reopened = OpenIndex(Options(8, 5));
  ASSERT_TRUE(reopened);
  EXPECT_EQ(Find(*reopened, "T", "all").size(), 10u);
  EXPECT_EQ(reopened->DurableEnd().value, 900);
}

TEST_F(IndexTest, TruncateDropsTheTailAndAddsContinueFromThere) {
  auto index = OpenIndex(Options(4, 7));  // six keys per file
  ASSERT_TRUE(index);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(index->Add("T", "k all", LogPosition(i * 100), kT0 + i).ok());
  }
  ASSERT_EQ(index->FileCount(), 4u);  // 20 keys, 6 per file
  ASSERT_TRUE(index->TruncateFrom(LogPosition(450)).ok());
  EXPECT_EQ(Find(*index, "T", "k"), (std::vector<int64_t>{400, 300, 200, 100, 0}));
  EXPECT_EQ(Find(*index, "T", "all").size(), 5u);
  EXPECT_EQ(index->FileCount(), 2u);  // 10 keys left
  EXPECT_EQ(Files().size(), 2u);
  EXPECT_EQ(index->DurableEnd().value, 400);
  // Positions after the cut are new again.
  ASSERT_TRUE(index->Add("T", "k", LogPosition(450), kT0 + 100).ok());
  ASSERT_TRUE(index->Add("T", "fresh", LogPosition(600), kT0 + 101).ok());
  EXPECT_EQ(Find(*index, "T", "k"), (std::vector<int64_t>{450, 400, 300, 200, 100, 0}));
  EXPECT_EQ(Find(*index, "T", "fresh"), std::vector<int64_t>{600});

  // Truncation is durable on return: a process that dies right after it leaves the same.
  ASSERT_TRUE(index->TruncateFrom(LogPosition(200)).ok());
  EXPECT_EQ(Find(*index, "T", "k"), (std::vector<int64_t>{100, 0}));
  index.reset();
  auto reopened = OpenIndex(Options(4, 7));
  ASSERT_TRUE(reopened);
  EXPECT_EQ(Find(*reopened, "T", "k"), (std::vector<int64_t>{100, 0}));
  EXPECT_TRUE(Find(*reopened, "T", "fresh").empty());
  EXPECT_EQ(reopened->DurableEnd().value, 100);

  // Everything.
  ASSERT_TRUE(reopened->TruncateFrom(LogPosition(0)).ok());
  EXPECT_TRUE(Find(*reopened, "T", "k").empty());
  EXPECT_EQ(reopened->FileCount(), 0u);
  ASSERT_TRUE(reopened->Add("T", "k", LogPosition(0), kT0).ok());
  EXPECT_EQ(Find(*reopened, "T", "k"), std::vector<int64_t>{0});
}

TEST_F(IndexTest, TruncateInsideOneChainKeepsOlderEntriesReachable) {
  auto index = OpenIndex(Options(/*slots=*/1, 100));
  ASSERT_TRUE(index);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(index->Add("T", "k" + std::to_string(i % 4), LogPosition(i * 10), kT0).ok());
  }
  ASSERT_TRUE(index->TruncateFrom(LogPosition(125)).ok());
  EXPECT_EQ(Find(*index, "T", "k0"), (std::vector<int64_t>{120, 80, 40, 0}));
  EXPECT_EQ(Find(*index, "T", "k1"), (std::vector<int64_t>{90, 50, 10}));
  EXPECT_EQ(Find(*index, "T", "k3"), (std::vector<int64_t>{110, 70, 30}));
}

TEST_F(IndexTest, DeleteBeforeRemovesWholeOldFilesButNeverTheNewest) {
  auto index = OpenIndex(Options(8, 3));  // two keys per file
  ASSERT_TRUE(index);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(index->Add("T", "k", LogPosition(i * 100), kT0 + i).ok());
  }
  ASSERT_EQ(index->FileCount(), 4u);                        // [0,100] [200,300] [400,500] [600,700]
  ASSERT_TRUE(index->DeleteBefore(LogPosition(300)).ok());  // 100 < 300; 300 is not
  EXPECT_EQ(index->FileCount(), 3u);
  // The kept file's record at 200 is gone from the log: not returned either.
  EXPECT_EQ(Find(*index, "T", "k"), (std::vector<int64_t>{700, 600, 500, 400, 300}));
  ASSERT_TRUE(index->DeleteBefore(LogPosition(650)).ok());
  EXPECT_EQ(index->FileCount(), 1u);
  EXPECT_EQ(Files().size(), 1u);
  EXPECT_EQ(Find(*index, "T", "k"), std::vector<int64_t>{700});
  ASSERT_TRUE(index->DeleteBefore(LogPosition(10000)).ok());
  EXPECT_EQ(index->FileCount(), 1u);  // never the newest file
  EXPECT_TRUE(Find(*index, "T", "k").empty());
  EXPECT_GT(index->DiskBytes(), 0);
}

TEST_F(IndexTest, ReopenKeepsFlushedEntriesAndSkipsRecordsAlreadyIndexed) {
  {
    auto index = OpenIndex(Options());
    ASSERT_TRUE(index);
    EXPECT_EQ(index->DurableEnd().value, 0);
    ASSERT_TRUE(index->Add("T", "a", LogPosition(100), kT0).ok());
    ASSERT_TRUE(index->Add("T", "b", LogPosition(300), kT0 + 1).ok());
    EXPECT_EQ(index->DurableEnd().value, 0);  // not flushed yet
    ASSERT_TRUE(index->Flush().ok());
    EXPECT_EQ(index->DurableEnd().value, 300);
    ASSERT_TRUE(index->Add("T", "", LogPosition(500), kT0 + 2).ok());  // no keys: position only
    ASSERT_TRUE(index->Close().ok());
    EXPECT_FALSE(index->Add("T", "c", LogPosition(700), kT0).ok());  // closed
  }
  auto index = OpenIndex(Options());
  ASSERT_TRUE(index);
  EXPECT_EQ(index->DurableEnd().value, 500);
  EXPECT_EQ(Find(*index, "T", "a"), std::vector<int64_t>{100});
  EXPECT_EQ(Find(*index, "T", "b"), std::vector<int64_t>{300});
  // Recovery re-adds from DurableEnd: what is already there is not indexed twice.
  ASSERT_TRUE(index->Add("T", "b", LogPosition(300), kT0 + 1).ok());
  ASSERT_TRUE(index->Add("T", "c", LogPosition(700), kT0 + 3).ok());
  EXPECT_EQ(Find(*index, "T", "b"), std::vector<int64_t>{300});
  EXPECT_EQ(Find(*index, "T", "c"), std::vector<int64_t>{700});
}

TEST_F(IndexTest, ChangedSizesAreRefused) {
  {
    auto index = OpenIndex(Options(64, 100));
    ASSERT_TRUE(index);
    ASSERT_TRUE(index->Add("T", "a", LogPosition(0), kT0).ok());
  }
  auto r = KeyIndex::Open(Options(128, 100), NullLogger());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("maxHashSlotNum=128"), std::string::npos) << r.status().ToString();
  EXPECT_FALSE(KeyIndex::Open(Options(0, 100), NullLogger()).ok());
  EXPECT_FALSE(KeyIndex::Open(Options(8, 1), NullLogger()).ok());
}

TEST_F(IndexTest, CrashBetweenFlushesLosesOnlyUnflushedEntries) {
  // One slot: the flushed and unflushed entries form one chain, whose head (in the file)
  // points past the flushed count after the crash.
  InChildThatDies([&] {
    auto r = KeyIndex::Open(Options(1, 100), NullLogger());
    if (!r.ok()) ::_exit(3);
    KeyIndex& index = **r;
    for (int i = 0; i < 10; ++i) {
      if (!index.Add("T", "k" + std::to_string(i % 3), LogPosition(i * 100), kT0 + i).ok()) ::_exit(4);
    }
    if (!index.Flush().ok()) ::_exit(5);
    for (int i = 10; i < 15; ++i) {
      if (!index.Add("T", "k" + std::to_string(i % 3), LogPosition(i * 100), kT0 + i).ok()) ::_exit(6);
    }
    ::_exit(0);  // no Close, no destructor
  });
  auto index = OpenIndex(Options(1, 100));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->DurableEnd().value, 900);
  EXPECT_EQ(Find(*index, "T", "k0"), (std::vector<int64_t>{900, 600, 300, 0}));
  EXPECT_EQ(Find(*index, "T", "k1"), (std::vector<int64_t>{700, 400, 100}));
  // Recovery re-adds the records from DurableEnd on.
  for (int i = 9; i < 15; ++i) {
    ASSERT_TRUE(index->Add("T", "k" + std::to_string(i % 3), LogPosition(i * 100), kT0 + i).ok());
  }
  EXPECT_EQ(Find(*index, "T", "k0"), (std::vector<int64_t>{1200, 900, 600, 300, 0}));
  EXPECT_EQ(Find(*index, "T", "k1"), (std::vector<int64_t>{1300, 1000, 700, 400, 100}));
}

TEST_F(IndexTest, LostPagesAfterACrashAreRebuiltFromTheFlushedEntries) {
  InChildThatDies([&] {
    auto r = KeyIndex::Open(Options(1, 100), NullLogger());
    if (!r.ok()) ::_exit(3);
    KeyIndex& index = **r;
    for (int i = 0; i < 6; ++i) {
      if (!index.Add("T", "k" + std::to_string(i % 2), LogPosition(i * 100), kT0).ok()) ::_exit(4);
    }
    if (!index.Flush().ok()) ::_exit(5);
    if (!index.Add("T", "k0", LogPosition(600), kT0).ok()) ::_exit(6);
    ::_exit(0);
  });
  // Power loss: the slot page reached the disk, the page of entry 7 did not.
  auto names = Files();
  ASSERT_EQ(names.size(), 1u);
  const std::string path = tmp_.Sub("index") + "/" + names[0];
  {
    std::string file = ReadFile(names[0]);
    ASSERT_EQ(GetInt32(&file[36]), 7);  // flushed: 6 entries
    ASSERT_EQ(GetInt32(&file[40]), 7);  // the slot names the unflushed entry
    std::fstream out(path, std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(40 + 4 + 20 * 7);
    out.write(std::string(20, '\0').data(), 20);
  }
  auto index = OpenIndex(Options(1, 100));
  ASSERT_TRUE(index);
  EXPECT_EQ(Find(*index, "T", "k0"), (std::vector<int64_t>{400, 200, 0}));
  EXPECT_EQ(Find(*index, "T", "k1"), (std::vector<int64_t>{500, 300, 100}));
}

TEST_F(IndexTest, ARollNotYetFlushedDropsTheNewerFiles) {
  InChildThatDies([&] {
    auto r = KeyIndex::Open(Options(8, 3), NullLogger());
    if (!r.ok()) ::_exit(3);
    KeyIndex& index = **r;
    if (!index.Add("T", "a", LogPosition(0), kT0).ok() || !index.Flush().ok()) ::_exit(4);
    // Fill the first file and roll twice without a flush.
    for (int i = 1; i < 5; ++i) {
      if (!index.Add("T", "a", LogPosition(i * 100), kT0 + i).ok()) ::_exit(5);
    }
    ::_exit(index.FileCount() == 3 ? 0 : 6);
  });
  ASSERT_EQ(Files().size(), 3u);
  auto index = OpenIndex(Options(8, 3));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->FileCount(), 1u);
  EXPECT_EQ(Files().size(), 1u);
  EXPECT_EQ(index->DurableEnd().value, 0);
  EXPECT_EQ(Find(*index, "T", "a"), std::vector<int64_t>{0});
  for (int i = 1; i < 5; ++i) ASSERT_TRUE(index->Add("T", "a", LogPosition(i * 100), kT0 + i).ok());
  EXPECT_EQ(Find(*index, "T", "a"), (std::vector<int64_t>{400, 300, 200, 100, 0}));
}

TEST_F(IndexTest, LookupsRunWhileTheWriterAdds) {
  auto index = OpenIndex(Options(16, 500));  // rolls every 499 keys
  ASSERT_TRUE(index);
  constexpr int kRecords = 3000;
  std::atomic<int> added{0};
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    for (int i = 0; i < kRecords; ++i) {
      if (!index
               ->Add("T", "r" + std::to_string(i) + " even" + std::to_string(i % 2), LogPosition(i * 64),
                     kT0 + i)
               .ok()) {
        failed = true;
        return;
      }
      added.store(i + 1, std::memory_order_release);
    }
  });
  std::thread flusher([&] {
    while (added.load() < kRecords && !failed) {
      if (!index->Flush().ok()) failed = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  int checks = 0;
  while (added.load(std::memory_order_acquire) < kRecords && !failed && checks < 100000) {
    int n = added.load(std::memory_order_acquire);
    if (n == 0) continue;
    int probe = (checks * 7919) % n;  // added before this lookup started
    auto r = index->Lookup("T", "r" + std::to_string(probe), 0, INT64_MAX, 4);
    ASSERT_TRUE(r.ok());
    // (Another key with the same hash could come too; the record itself must.)
    ASSERT_NE(std::find(r->begin(), r->end(), LogPosition(probe * 64)), r->end()) << probe;
    ++checks;
  }
  writer.join();
  flusher.join();
  ASSERT_FALSE(failed);
  EXPECT_GT(checks, 0);
  EXPECT_EQ(Find(*index, "T", "even0", 0, INT64_MAX, 5000).size(), kRecords / 2u);
  ASSERT_TRUE(index->Flush().ok());
  EXPECT_EQ(index->DurableEnd().value, (kRecords - 1) * 64);
}

// The records AddBatch tests use: three topics, records without keys, repeated keys and stray
// spaces, keys shared between records.
std::vector<std::pair<std::string, std::string>> MixedRecords(int n) {
  std::vector<std::pair<std::string, std::string>> out;
  for (int i = 0; i < n; ++i) {
    std::string topic = "T" + std::to_string(i % 3);
    std::string id = std::to_string(i);
    std::string keys;
    switch (i % 5) {
      case 0:
        keys = "";
        break;
      case 1:
        keys = "dup dup k" + id;
        break;
      case 2:
        keys = " k" + id + "  y" + std::to_string(i % 7) + " ";
        break;
      default:
        keys = "k" + id + " y" + std::to_string(i % 7);
        break;
    }
    out.emplace_back(std::move(topic), std::move(keys));
  }
  return out;
}

TEST_F(IndexTest, AddBatchWritesTheSameFilesAsAddOneByOne) {
  const auto records = MixedRecords(3000);
  auto one = OpenIndex(Options(16, 500, "one"));  // rolls every 499 keys
  auto batched = OpenIndex(Options(16, 500, "batch"));
  ASSERT_TRUE(one && batched);
  for (size_t i = 0; i < records.size(); ++i) {
    ASSERT_TRUE(
        one->Add(records[i].first, records[i].second, LogPosition(int64_t(i) * 64), kT0 + int64_t(i) * 10)
            .ok());
  }
  // Batches of many sizes, so that rolls fall inside batches and on their edges.
  const size_t sizes[] = {1, 2, 5, 64, 1000, 333, 7};
  std::vector<KeyIndex::Record> batch;
  size_t calls = 0;
  for (size_t at = 0; at < records.size(); ++calls) {
    batch.clear();
    for (size_t k = 0; k < sizes[calls % std::size(sizes)] && at < records.size(); ++k, ++at) {
      batch.push_back(
          {records[at].first, records[at].second, LogPosition(int64_t(at) * 64), kT0 + int64_t(at) * 10});
    }
    KeyIndex::BatchErrors errors;
    ASSERT_TRUE(batched->AddBatch(batch, &errors).ok());
    EXPECT_EQ(errors.count, 0u);
  }
  ASSERT_TRUE(one->Flush().ok());
  ASSERT_TRUE(batched->Flush().ok());
  EXPECT_EQ(batched->DurableEnd(), one->DurableEnd());
  const auto one_files = Files("one");
  const auto batch_files = Files("batch");
  ASSERT_EQ(one_files.size(), batch_files.size());
  ASSERT_GT(one_files.size(), 5u);
  for (size_t i = 0; i < one_files.size(); ++i) {
    EXPECT_TRUE(ReadFile(one_files[i], "one") == ReadFile(batch_files[i], "batch")) << "file " << i;
  }
  EXPECT_EQ(Find(*batched, "T1", "k1"), std::vector<int64_t>{64});
  EXPECT_EQ(Find(*batched, "T2", "k2993"), std::vector<int64_t>{2993 * 64});
  EXPECT_EQ(Find(*batched, "T1", "dup"), Find(*one, "T1", "dup"));
}

TEST_F(IndexTest, AddBatchSkipsWhatItHoldsAndReportsRecordsItCouldNotAdd) {
  auto index = OpenIndex(Options(8, 3));  // two keys per file
  ASSERT_TRUE(index);
  using R = KeyIndex::Record;
  std::vector<R> first = {{"T", "a", LogPosition(0), kT0}, {"T", "b", LogPosition(100), kT0 + 1}};
  ASSERT_TRUE(index->AddBatch(first).ok());  // the file is full
  // Without its directory the index cannot roll: the keyed records fail, each one tried (as
  // Add would one by one); the record without keys needs no new file.
  fs::remove_all(tmp_.Sub("index"));
  std::vector<R> second = {{"T", "c", LogPosition(200), kT0 + 2},
                           {"T", "d", LogPosition(300), kT0 + 3},
                           {"T", "", LogPosition(400), kT0 + 4}};
  KeyIndex::BatchErrors errors;
  Status s = index->AddBatch(second, &errors);
  EXPECT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  EXPECT_EQ(errors.count, 2u);
  EXPECT_EQ(errors.first, 0u);
  EXPECT_TRUE(Find(*index, "T", "c").empty());
  EXPECT_EQ(Find(*index, "T", "a"), std::vector<int64_t>{0});

  fs::create_directories(tmp_.Sub("index"));
  // Records at or before the last one added are skipped; the rest go in.
  std::vector<R> third = {{"T", "b", LogPosition(100), kT0 + 1},
                          {"T", "", LogPosition(400), kT0 + 4},
                          {"T", "e b", LogPosition(500), kT0 + 5}};
  ASSERT_TRUE(index->AddBatch(third, &errors).ok());
  EXPECT_EQ(errors.count, 0u);
  EXPECT_EQ(Find(*index, "T", "b"), (std::vector<int64_t>{500, 100}));
  EXPECT_EQ(Find(*index, "T", "e"), std::vector<int64_t>{500});
  EXPECT_EQ(Files().size(), 1u);

  ASSERT_TRUE(index->Close().ok());
  s = index->AddBatch(third, &errors);
  EXPECT_EQ(s.code(), Status::Code::kAborted);
  EXPECT_EQ(errors.count, 3u);
  EXPECT_TRUE(index->AddBatch({}, &errors).ok());  // nothing to add
}

TEST_F(IndexTest, ANewFileHasItsSizeAndHeaderOnDiskBeforeItsName) {
  const int32_t slots = 8, count = 3;  // two keys per file
  const size_t file_size = 40 + 4 * slots + 20 * count;
  auto index = OpenIndex(Options(slots, count));
  ASSERT_TRUE(index);
  SyncRecording recording(tmp_.Sub("index"));
  ASSERT_TRUE(index->Add("T", "a", LogPosition(0), kT0).ok());        // creates the first file
  ASSERT_TRUE(index->Add("T", "b", LogPosition(100), kT0 + 1).ok());  // fills it
  ASSERT_TRUE(index->Add("T", "c", LogPosition(200), kT0 + 2).ok());  // rolls to a second one
  const std::vector<sync_model::Names> dir_syncs = recording.Stop();
  const auto names = Files();
  ASSERT_EQ(names.size(), 2u);
  ASSERT_FALSE(dir_syncs.empty());
  // Whenever a directory fsync made names durable, each file behind them was on disk with
  // its full size and a header (a power loss then must not leave a short file).
  std::set<std::string> durable_names;
  for (const sync_model::Names& sync : dir_syncs) {
    for (const auto& [name, d] : sync) {
      durable_names.insert(name);
      EXPECT_TRUE(d.synced) << name << ": its name was made durable before its content";
      ASSERT_EQ(d.bytes.size(), file_size) << name;
      EXPECT_EQ(GetInt32(&d.bytes[36]), 1) << name;  // indexCount of a file without entries
    }
  }
  EXPECT_EQ(durable_names, std::set<std::string>(names.begin(), names.end()));
  // The second file's header as synced: it starts where the first ended.
  const std::string& rolled = dir_syncs.back().at(names[1]).bytes;
  EXPECT_EQ(GetInt64(&rolled[0]), kT0 + 1);  // beginTimestamp
  EXPECT_EQ(GetInt64(&rolled[16]), 100);     // beginPhyOffset
  EXPECT_EQ(GetInt64(&rolled[24]), 100);     // endPhyOffset

  // The power goes now: the disk holds each durable name with its synced bytes. That
  // opens, and nothing there was ever flushed: the re-add starts from the beginning.
  const std::string lost = tmp_.Sub("after-power-loss");
  fs::create_directories(lost);
  for (const auto& [name, d] : dir_syncs.back()) WriteFile(name, d.bytes, "after-power-loss");
  auto reopened = OpenIndex(Options(slots, count, "after-power-loss"));
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->DurableEnd().value, 0);
  EXPECT_TRUE(Find(*reopened, "T", "a").empty());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(reopened->Add("T", std::string(1, char('a' + i)), LogPosition(i * 100), kT0 + i).ok());
  }
  EXPECT_EQ(Find(*reopened, "T", "c"), std::vector<int64_t>{200});
}

// A logger whose lines a test can read.
struct CapturedLog {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger =
      std::make_shared<spdlog::logger>("index-test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  std::string text() {
    logger->flush();
    return out.str();
  }
};

TEST_F(IndexTest, EmptyFilesLeftByAnInterruptedCreationAreRemovedAtOpen) {
  {
    auto index = OpenIndex(Options(8, 3));
    ASSERT_TRUE(index);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(index->Add("T", std::string(1, char('a' + i)), LogPosition(i * 100), kT0 + i).ok());
    }
    ASSERT_TRUE(index->Close().ok());
  }
  const auto names = Files();
  ASSERT_EQ(names.size(), 2u);
  // A 0-byte file (a power loss before new files were synced, or a process killed between
  // creating a file and sizing it), and a newer file after it, never flushed: both go.
  WriteFile("29991231235959998", "");
  WriteFile("29991231235959999", ReadFile(names[1]));
  CapturedLog log;
  auto r = KeyIndex::Open(Options(8, 3), log.logger);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  KeyIndex& index = **r;
  EXPECT_EQ(Files(), names);
  EXPECT_EQ(index.FileCount(), 2u);
  EXPECT_EQ(index.DurableEnd().value, 200);
  EXPECT_EQ(Find(index, "T", "c"), std::vector<int64_t>{200});
  const std::string text = log.text();
  EXPECT_NE(text.find("29991231235959998 is empty (0 bytes)"), std::string::npos) << text;
  EXPECT_NE(text.find("removing it and 1 newer file(s)"), std::string::npos) << text;
  ASSERT_TRUE(index.Close().ok());

  // The only file, empty: an empty index, which adds as usual.
  fs::remove_all(tmp_.Sub("index"));
  fs::create_directories(tmp_.Sub("index"));
  WriteFile("20240101000000000", "");
  CapturedLog log2;
  auto r2 = KeyIndex::Open(Options(8, 3), log2.logger);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ((*r2)->FileCount(), 0u);
  EXPECT_TRUE(Files().empty());
  EXPECT_NE(log2.text().find("20240101000000000 is empty (0 bytes)"), std::string::npos) << log2.text();
  ASSERT_TRUE((*r2)->Add("T", "x", LogPosition(0), kT0).ok());
  EXPECT_EQ(Find(**r2, "T", "x"), std::vector<int64_t>{0});
}

TEST_F(IndexTest, AShortFileIsRefusedWithAClearErrorNotMapped) {
  {
    auto index = OpenIndex(Options(8, 3));
    ASSERT_TRUE(index);
    ASSERT_TRUE(index->Add("T", "a", LogPosition(0), kT0).ok());
  }
  // Shorter than the sizes make, though not empty: damage (or changed sizes), never what
  // the index writes. Mapping it would kill the process (SIGBUS) on the first read.
  WriteFile("29991231235959999", std::string(100, '\x01'));
  auto r = KeyIndex::Open(Options(8, 3), NullLogger());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  const std::string msg = r.status().message();
  EXPECT_NE(msg.find("29991231235959999 has 100 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("damaged"), std::string::npos) << msg;
}

}  // namespace
}  // namespace sprocket::filelog
