// leveldb storage plugin: durability. SYNC_FLUSH group commit (one synced write covers every
// append waiting then), syncFlushTimeout, ASYNC_FLUSH's periodic sync, and a child process
// killed with SIGKILL while appending: the store keeps a prefix of the log and every
// acknowledged record.
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "support/filelog_test_util.h"

namespace sprocket::testing::leveldb_store {
namespace {

using filelog::AppendAndWait;
using filelog::Decode;
using filelog::MakeRecord;
using filelog::ReadAll;

std::map<std::string, std::string> Options(const std::string& flush) {
  return {{"mappedFileSizeCommitLog", "65536"},
          {"flushIntervalCommitLog", "20"},
          {"leveldbWriteBufferSize", "1048576"},
          {"flushDiskType", flush}};
}

// A leveldb store in `dir` (a fresh temporary directory when empty).
struct Harness : filelog::StoreHarness {
  explicit Harness(std::map<std::string, std::string> options, std::string dir = "")
      : StoreHarness(std::move(options), "leveldb", std::move(dir)) {}
};

// `in_flight` producers in a closed loop (each sends its next record when the previous one
// completes) until `total` records are acknowledged. Each completion notes the store's
// durable_end: with SYNC_FLUSH it moves once per synced write and not between the write and
// the completions it covers, so its distinct values count the synced writes.
struct GroupCommit {
  int acked = 0;
  int failed = 0;
  int not_durable = 0;  // completed before durable_end covered the record
  std::set<int64_t> durable_ends;
  double PerSync() const {
    return durable_ends.empty() ? 0 : static_cast<double>(acked) / durable_ends.size();
  }
};

GroupCommit RunClosedLoop(MessageStore& store, int in_flight, int total, size_t body_bytes = 1024) {
  std::vector<AppendRequest> records;
  for (int i = 0; i < total; ++i) records.push_back(MakeRecord("G", i % 8, std::string(body_bytes, 'g')));
  std::mutex mu;
  std::condition_variable cv;
  GroupCommit g;
  int next = 0;
  int completed = 0;
  std::function<void()> send_next = [&] {
    int i;
    {
      std::lock_guard lock(mu);
      if (next == total) return;
      i = next++;
    }
    std::vector<AppendRequest> v;
    v.push_back(std::move(records[i]));
    store.Append(std::move(v), [&](std::span<const AppendResult> r) {
      const int64_t durable = store.Stats().durable_end.value;
      {
        std::lock_guard lock(mu);
        if (r[0].status.ok()) {
          ++g.acked;
          g.durable_ends.insert(durable);
          if (durable < r[0].position.value + r[0].size) ++g.not_durable;
        } else {
          ++g.failed;
        }
      }
      send_next();
      // Counted last, so the loop's locals outlive every use by this callback.
      std::lock_guard lock(mu);
      if (++completed == total) cv.notify_all();
    });
  };
  for (int p = 0; p < in_flight; ++p) send_next();
  std::unique_lock lock(mu);
  if (!cv.wait_for(lock, std::chrono::seconds(120), [&] { return completed == total; })) {
    // Returning would leave callbacks pointing at this frame.
    std::fprintf(stderr, "appends did not complete within 120 s (%d of %d)\n", completed, total);
    std::abort();
  }
  return g;
}

TEST(LevelDbSyncFlushTest, OneSyncedWriteCoversEveryAppendWaiting) {
  Harness h(Options("SYNC_FLUSH"));
  h.Open();
  GroupCommit g256 = RunClosedLoop(h.store(), 256, 4096);
  EXPECT_EQ(g256.acked, 4096);
  EXPECT_EQ(g256.failed, 0);
  EXPECT_EQ(g256.not_durable, 0);
  GroupCommit g32 = RunClosedLoop(h.store(), 32, 1024);
  EXPECT_EQ(g32.acked, 1024);
  EXPECT_EQ(g32.not_durable, 0);
  std::printf("SYNC_FLUSH group commit: %.1f msgs per synced write with 256 in flight, %.1f with 32\n",
              g256.PerSync(), g32.PerSync());
  // Without group commit every append would get its own sync (1 per write).
  EXPECT_GE(g256.PerSync(), 30.0);
  EXPECT_GE(g32.PerSync(), 8.0);
  EXPECT_EQ(h->Stats().durable_end, h->Stats().log_end);
}

// The same from 8 threads, each sending its next message when the previous one completed.
TEST(LevelDbSyncFlushTest, AppendsFromManyThreadsShareSyncedWrites) {
  Harness h(Options("SYNC_FLUSH"));
  h.Open();
  std::mutex mu;
  std::set<int64_t> durable_ends;
  int acked = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        std::promise<void> done;
        std::vector<AppendRequest> v;
        v.push_back(MakeRecord("M", t, "m" + std::to_string(i)));
        h->Append(std::move(v), [&](std::span<const AppendResult> r) {
          // On the writer thread, right after the synced write that covered this group and
          // before the next one: durable_end names that write.
          const int64_t durable = h->Stats().durable_end.value;
          {
            std::lock_guard lock(mu);
            EXPECT_TRUE(r[0].status.ok()) << r[0].status.ToString();
            EXPECT_GE(durable, r[0].position.value + r[0].size);  // completed only once synced
            durable_ends.insert(durable);
            ++acked;
          }
          done.set_value();
        });
        ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(acked, 800);
  // At most 8 can share a sync (each thread waits for its own); without group commit every
  // append would get its own.
  const double per_sync = static_cast<double>(acked) / static_cast<double>(durable_ends.size());
  std::printf("SYNC_FLUSH from 8 threads: %.1f msgs per synced write\n", per_sync);
  EXPECT_GE(per_sync, 1.5);
}

TEST(LevelDbSyncFlushTest, ASlowSyncCompletesWithTimeoutButTheRecordIsStored) {
  auto options = Options("SYNC_FLUSH");
  options["syncFlushTimeout"] = "1";
  Harness h(options);
  h.Open();
  int timeouts = 0;
  int64_t stored = 0;
  // Writing and syncing 24 MiB takes far longer than 1 ms; retry in case the watchdog
  // thread was not scheduled before the write finished.
  for (int attempt = 0; attempt < 5 && timeouts == 0; ++attempt) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 6; ++i)
      batch.push_back(MakeRecord("S", 0, std::string(4 << 20, static_cast<char>('a' + i))));
    for (const AppendResult& r : AppendAndWait(h.store(), std::move(batch))) {
      EXPECT_TRUE(r.status.ok() || r.status.IsTimeout()) << r.status.ToString();
      if (r.status.IsTimeout()) ++timeouts;
      ++stored;
    }
  }
  EXPECT_GT(timeouts, 0);
  ASSERT_TRUE(h->Flush().ok());
  EXPECT_EQ(h->QueueRange("S", 0).max_offset.value, stored);  // Timeout records are stored
  EXPECT_EQ(static_cast<int64_t>(ReadAll(h.store(), "S", 0, 2).size()), stored);
}

TEST(LevelDbSyncFlushTest, AsyncFlushMakesEverythingDurableWithinTheInterval) {
  Harness h(Options("ASYNC_FLUSH"));
  h.Open();
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 50; ++i) batch.push_back(MakeRecord("A", 0, "async"));
  AppendAndWait(h.store(), std::move(batch));
  const LogPosition end = h->Stats().log_end;
  bool durable = false;
  for (int i = 0; i < 500 && !durable; ++i) {  // 20 ms interval: at most 5 s
    durable = h->Stats().durable_end == end;
    if (!durable) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(durable);
}

// --- Crash: a child process appends until it is killed with SIGKILL.

constexpr const char* kChildDirEnv = "SPROCKET_LEVELDB_CHILD_DIR";
constexpr const char* kChildFlushEnv = "SPROCKET_LEVELDB_CHILD_FLUSH";
constexpr const char* kChildRoundEnv = "SPROCKET_LEVELDB_CHILD_ROUND";
constexpr const char* kChildWriteBufferEnv = "SPROCKET_LEVELDB_CHILD_WRITE_BUFFER";
constexpr const char* kChildFlushIntervalEnv = "SPROCKET_LEVELDB_CHILD_FLUSH_INTERVAL";

// Run only as the child of CrashKeepsAPrefixAndEveryAcknowledgedRecord. Prints one
// "ACK round topic queue offset position size" line per acknowledged append.
TEST(LevelDbCrashChild, DISABLED_AppendUntilKilled) {
  const char* dir = std::getenv(kChildDirEnv);
  const char* flush = std::getenv(kChildFlushEnv);
  const char* round = std::getenv(kChildRoundEnv);
  if (dir == nullptr || flush == nullptr || round == nullptr) GTEST_SKIP() << "only run as a child process";
  std::map<std::string, std::string> options = Options(flush);
  if (const char* wb = std::getenv(kChildWriteBufferEnv)) options["leveldbWriteBufferSize"] = wb;
  if (const char* ms = std::getenv(kChildFlushIntervalEnv)) options["flushIntervalCommitLog"] = ms;
  TestPluginHost host(1, options);
  host.SetDataDir(dir);
  Result<std::shared_ptr<MessageStore>> s = PluginLoader(SPROCKET_PLUGIN_DIR).CreateStorage("leveldb", host);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::shared_ptr<MessageStore> store = *s;
  std::mutex mu;
  std::atomic<int> seq{0};
  std::function<void()> send_next = [&] {
    const int n = seq++;
    std::vector<AppendRequest> v;
    v.push_back(
        MakeRecord("K" + std::to_string(n % 3), n % 4,
                   "round-" + std::string(round) + "-" + std::to_string(n) + std::string(n % 700, 'p')));
    store->Append(std::move(v), [&](std::span<const AppendResult> r) {
      if (r[0].status.ok()) {
        const int64_t durable = store->Stats().durable_end.value;
        std::lock_guard lock(mu);
        std::printf("ACK %s %lld %lld %d %lld\n", round, static_cast<long long>(r[0].queue_offset.value),
                    static_cast<long long>(r[0].position.value), r[0].size, static_cast<long long>(durable));
        std::fflush(stdout);
      }
      send_next();
    });
  };
  for (int i = 0; i < 16; ++i) send_next();
  std::this_thread::sleep_for(std::chrono::seconds(60));  // the parent kills us long before
  std::_Exit(0);
}

struct Ack {
  int64_t queue_offset;
  int64_t position;
  int32_t size;
  int64_t durable_end;  // the store's durable_end when this append completed
};

// Checks the store in `dir` after a crash: its log is a prefix (entries laid end to end
// from log_min, each at its PHYSICALOFFSET, queue offsets dense), every record in `acked`
// is there, and so is everything below the largest durable_end the child reported.
void CheckStore(const std::string& dir, const std::string& flush, const std::vector<Ack>& acked,
                int64_t* end) {
  Harness h(Options(flush), dir);
  h.Open();
  const StoreStats st = h->Stats();
  // The log is a prefix: entries laid end to end from log_min, each at its PHYSICALOFFSET.
  int64_t at = st.log_min.value;
  std::map<std::pair<std::string, int32_t>, int64_t> next_offset;
  while (at < st.log_end.value) {
    Result<LogChunk> c = h->ReadLog(LogPosition(at), 1 << 20);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    size_t p = 0;
    while (p < c->bytes.size) {
      size_t consumed = 0;
      Result<protocol::MessageExt> m =
          protocol::DecodeRecord(std::string_view(c->bytes.data + p, c->bytes.size - p), &consumed, true);
      ASSERT_TRUE(m.ok()) << "at " << at << ": " << m.status().ToString();
      EXPECT_EQ(m->commit_log_offset, at);
      const auto key = std::make_pair(m->topic, m->queue_id);
      auto [it, fresh] = next_offset.try_emplace(key, m->queue_offset);
      EXPECT_EQ(m->queue_offset, it->second) << "queue offsets must be dense";
      it->second = m->queue_offset + 1;
      p += consumed;
      at += static_cast<int64_t>(consumed);
    }
  }
  for (const auto& [key, next] : next_offset)
    EXPECT_EQ(h->QueueRange(key.first, key.second).max_offset.value, next);
  int64_t durable = 0;
  for (const Ack& a : acked) durable = std::max(durable, a.durable_end);
  EXPECT_GE(st.log_end.value, durable) << "data below a reported durable_end was lost";
  // Every acknowledged record is there, where it was acknowledged.
  for (const Ack& a : acked) {
    if (a.position < 0) continue;  // not promised (ASYNC_FLUSH power loss)
    Result<RecordRead> r = h->ReadAt(LogPosition(a.position));
    ASSERT_TRUE(r.ok()) << "acknowledged record at " << a.position << ": " << r.status().ToString();
    size_t consumed = 0;
    Result<protocol::MessageExt> m =
        protocol::DecodeRecord(std::string_view(r->record.data, r->record.size), &consumed, true);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->queue_offset, a.queue_offset);
    EXPECT_EQ(m->store_size, a.size);
  }
  *end = st.log_end.value;
}

// The conformance suite's power-loss shim (tests/conformance/crash_shim.c): it keeps a shadow
// copy of what the disk would hold if the power went now (only synced data).
std::string CrashShim() { return std::string(SPROCKET_BIN_DIR) + "/../libexec/sprocket/crash_shim.so"; }

// `power_loss`: the child runs under the shim and its data directory is replaced by the
// shadow after the kill; `write_buffer`: a small memtable makes LevelDB switch log files often.
void CrashRounds(const std::string& flush, bool power_loss = false, const std::string& write_buffer = "") {
  namespace fs = std::filesystem;
  TempDir tmp;
  const std::string dir = tmp.Sub("store");
  const std::string shadow = tmp.Sub("shadow");
  fs::create_directories(dir);
  std::vector<Ack> acked;
  int64_t last_end = 0;
  for (int round = 0; round < 3; ++round) {
    std::map<std::string, std::string> env = {
        {kChildDirEnv, dir}, {kChildFlushEnv, flush}, {kChildRoundEnv, std::to_string(round)}};
    if (!write_buffer.empty()) env[kChildWriteBufferEnv] = write_buffer;
    if (power_loss) {
      fs::remove_all(shadow);
      fs::copy(dir, shadow, fs::copy_options::recursive);  // a clean Close left this on disk
      env["LD_PRELOAD"] = CrashShim();
      env["SPROCKET_CRASH_DATA_DIR"] = dir;
      env["SPROCKET_CRASH_SHADOW_DIR"] = shadow;
      env["ASAN_OPTIONS"] = "verify_asan_link_order=0:detect_leaks=0";
    }
    ChildProcess child;
    ASSERT_TRUE(child.Start({"/proc/self/exe", "--gtest_filter=LevelDbCrashChild.DISABLED_AppendUntilKilled",
                             "--gtest_also_run_disabled_tests"},
                            env));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    size_t acks = 0;
    while (std::chrono::steady_clock::now() < deadline && child.Running()) {
      acks = 0;
      for (const std::string& line : child.Lines()) acks += line.rfind("ACK ", 0) == 0;
      if (acks >= 400u * (round + 1)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    child.Kill();
    const size_t round_start = acked.size();
    size_t round_acks = 0;
    for (const std::string& line : child.Lines()) {
      if (line.rfind("ACK ", 0) != 0) continue;
      std::istringstream in(line.substr(4));
      int r = 0;
      Ack a{};
      in >> r >> a.queue_offset >> a.position >> a.size >> a.durable_end;
      ASSERT_FALSE(in.fail()) << line;
      acked.push_back(a);
      ++round_acks;
    }
    ASSERT_GT(round_acks, 0u) << child.Stderr();
    if (power_loss) {
      fs::remove_all(dir);
      fs::rename(shadow, dir);
    }
    // With ASYNC_FLUSH only what was synced is promised after a power loss.
    if (power_loss && flush == "ASYNC_FLUSH")
      for (size_t i = round_start; i < acked.size(); ++i) acked[i].position = -1;
    int64_t end = 0;
    CheckStore(dir, flush, acked, &end);
    if (::testing::Test::HasFatalFailure()) return;
    if (!power_loss) {
      EXPECT_GT(end, last_end);
    }
    last_end = end;
  }
}

TEST(LevelDbCrashTest, SyncFlushKeepsAPrefixAndEveryAcknowledgedRecord) { CrashRounds("SYNC_FLUSH"); }

// SIGKILL loses no data LevelDB has written (the kernel keeps it), so acknowledged ASYNC
// appends survive too; a power loss would cut the unsynced tail (see README.md).
TEST(LevelDbCrashTest, AsyncFlushKeepsAPrefixAndEveryAcknowledgedRecord) { CrashRounds("ASYNC_FLUSH"); }

// A power loss keeps only synced data. A 64 KiB memtable makes LevelDB close a log file every
// few batches: those closes must not leave a hole before later synced data (syncing_env.h).
TEST(LevelDbCrashTest, PowerLossWithSyncFlushKeepsEveryAcknowledgedRecord) {
  if (!std::filesystem::exists(CrashShim()))
    GTEST_SKIP() << CrashShim() << " is not built (sprocket_crash_shim)";
  CrashRounds("SYNC_FLUSH", /*power_loss=*/true, "65536");
}

TEST(LevelDbCrashTest, PowerLossWithAsyncFlushKeepsAPrefixAndWhatWasSynced) {
  if (!std::filesystem::exists(CrashShim()))
    GTEST_SKIP() << CrashShim() << " is not built (sprocket_crash_shim)";
  CrashRounds("ASYNC_FLUSH", /*power_loss=*/true, "65536");
}

}  // namespace
}  // namespace sprocket::testing::leveldb_store

namespace sprocket::testing::leveldb_store {
namespace {

// Runs the child until it has `acks` acknowledged appends, kills it, returns the ACK lines.
std::vector<Ack> RunChildUntil(const std::map<std::string, std::string>& env, size_t acks) {
  ChildProcess child;
  EXPECT_TRUE(child.Start({"/proc/self/exe", "--gtest_filter=LevelDbCrashChild.DISABLED_AppendUntilKilled",
                           "--gtest_also_run_disabled_tests"},
                          env));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && child.Running()) {
    size_t n = 0;
    for (const std::string& line : child.Lines()) n += line.rfind("ACK ", 0) == 0;
    if (n >= acks) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  child.Kill();
  std::vector<Ack> out;
  for (const std::string& line : child.Lines()) {
    if (line.rfind("ACK ", 0) != 0) continue;
    std::istringstream in(line.substr(4));
    int round = 0;
    Ack a{};
    in >> round >> a.queue_offset >> a.position >> a.size >> a.durable_end;
    if (!in.fail()) out.push_back(a);
  }
  return out;
}

// A power loss may keep a later part of LevelDB's unsynced log and lose an earlier one
// (pages reach the disk in any order); LevelDB's recovery then skips the lost part and
// replays what follows. Simulated by zeroing one 32 KiB block in the middle of the newest log
// file of the database in `db_dir` (the records DB, or the index DB) after the child ran
// 3000 ASYNC_FLUSH appends without a periodic sync. Returns the child's acknowledgements.
std::vector<Ack> AppendThenCutAHole(const std::string& dir, const std::string& db_dir) {
  namespace fs = std::filesystem;
  std::vector<Ack> acks = RunChildUntil({{kChildDirEnv, dir},
                                         {kChildFlushEnv, "ASYNC_FLUSH"},
                                         {kChildRoundEnv, "0"},
                                         {kChildFlushIntervalEnv, "600000"},  // no periodic sync
                                         // one log file: a memtable roll would start a new,
                                         // nearly empty log (and sync the old one)
                                         {kChildWriteBufferEnv, "67108864"}},
                                        3000);
  EXPECT_GE(acks.size(), 3000u);
  std::string log_file;
  for (const auto& e : fs::directory_iterator(db_dir))
    if (e.path().extension() == ".log" && (log_file.empty() || e.path().string() > log_file))
      log_file = e.path().string();
  EXPECT_FALSE(log_file.empty());
  if (log_file.empty()) return {};
  const auto size = static_cast<int64_t>(fs::file_size(log_file));
  EXPECT_GE(size, 4 * 32768) << "too little in the log to cut a block out of its middle";
  std::fstream f(log_file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp((size / 32768 / 2) * 32768);
  const std::string zeros(32768, '\0');
  f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  return acks;
}

// A hole in the records DB's log: the store must drop everything after the hole, not serve
// records after a gap.
TEST(LevelDbCrashTest, AHoleInTheUnsyncedRecordsLogIsCutOff) {
  TempDir tmp;
  const std::string dir = tmp.Sub("store");
  const std::vector<Ack> acks = AppendThenCutAHole(dir, dir + "/leveldb/records");
  if (::testing::Test::HasFailure()) return;
  int64_t acked_end = 0;
  for (const Ack& a : acks) acked_end = std::max(acked_end, a.position + a.size);

  int64_t end = 0;
  CheckStore(dir, "ASYNC_FLUSH", {}, &end);  // a prefix: entries end to end, offsets dense
  EXPECT_GT(end, 0);
  EXPECT_LT(end, acked_end);  // what followed the hole is gone
  Harness h(Options("ASYNC_FLUSH"), dir);
  h.Open();
  for (const Ack& a : acks) {
    if (a.position + a.size <= end) {
      EXPECT_TRUE(h->ReadAt(LogPosition(a.position)).ok()) << a.position;
    } else {
      EXPECT_FALSE(h->ReadAt(LogPosition(a.position)).ok()) << a.position;
    }
  }
  // Appends go on from the cut.
  AppendResult next = filelog::AppendOne(h.store(), MakeRecord("K0", 0, "after the hole"));
  ASSERT_TRUE(next.status.ok());
  EXPECT_EQ(next.position.value, end);
}

// A hole in the index DB's log loses nothing: the index above its last sync is rebuilt from
// the records (every acknowledged record is found again, by queue offset and by position).
TEST(LevelDbCrashTest, AHoleInTheUnsyncedIndexLogIsRebuiltFromTheRecords) {
  TempDir tmp;
  const std::string dir = tmp.Sub("store");
  const std::vector<Ack> acks = AppendThenCutAHole(dir, dir + "/leveldb");
  if (::testing::Test::HasFailure()) return;
  int64_t acked_end = 0;
  for (const Ack& a : acks) acked_end = std::max(acked_end, a.position + a.size);

  int64_t end = 0;
  CheckStore(dir, "ASYNC_FLUSH", acks, &end);  // a prefix, and every acknowledged record
  EXPECT_GE(end, acked_end);
  Harness h(Options("ASYNC_FLUSH"), dir);
  h.Open();
  // The child's records are "K<n % 3>" queue n % 4, offsets dense from 0: the queue index
  // reaches every one of them again.
  int64_t total = 0;
  for (int t = 0; t < 3; ++t)
    for (int q = 0; q < 4; ++q) {
      const std::string topic = "K" + std::to_string(t);
      const int64_t max = h->QueueRange(topic, q).max_offset.value;
      EXPECT_EQ(static_cast<int64_t>(ReadAll(h.store(), topic, q).size()), max) << topic << "/" << q;
      total += max;
    }
  EXPECT_GE(total, static_cast<int64_t>(acks.size()));
  AppendResult next = filelog::AppendOne(h.store(), MakeRecord("K0", 0, "after the rebuild"));
  ASSERT_TRUE(next.status.ok());
  EXPECT_EQ(next.position.value, end);
}

}  // namespace
}  // namespace sprocket::testing::leveldb_store
