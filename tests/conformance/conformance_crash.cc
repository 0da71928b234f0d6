// Conformance: what survives a restart, a SIGKILL, and a power loss.
//
// Crash cases run the workload in a child process (conformance_child.cc) and kill it at a
// random moment (the seed is printed). For a power loss the child runs under crash_shim.so,
// which keeps a shadow copy of the data directory as of the last syncs; after the kill the
// shadow replaces the data directory. Then the store is reopened here and must hold:
//   - a prefix of this round's appends, in log order, each record intact at its queue offset;
//   - every record acknowledged with SYNC_FLUSH (power loss), or every record acknowledged at
//     all (SIGKILL: the page cache survives);
//   - everything earlier rounds left (they ended with a clean Close);
// and must take appends again at its end. Volatile stores skip these cases.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "conformance_fixture.h"

namespace sprocket::conformance {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using testing::TempDir;

// The child and the shim live in <prefix>/libexec/sprocket, next to bin/ (build tree and install).
std::string LibexecPath(const std::string& file) {
  if (const char* dir = std::getenv("SPROCKET_CONFORMANCE_LIBEXEC_DIR")) return std::string(dir) + "/" + file;
  return (fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "libexec" / "sprocket" / file)
      .string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::map<std::string, std::string> ShimEnv(const std::string& data, const std::string& shadow) {
  return {{"LD_PRELOAD", LibexecPath("crash_shim.so")},
          {"SPROCKET_CRASH_DATA_DIR", data},
          {"SPROCKET_CRASH_SHADOW_DIR", shadow},
          // A sanitizer build wants its runtime first in the library list; the shim is first.
          {"ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0"}};
}

// --- Restart

TEST_P(StoreConformance, Restart) {
  if (plugin().is_volatile) GTEST_SKIP() << "volatile store: nothing survives a restart";
  auto& store = OpenStore();
  std::vector<AppendRequest> reqs;
  std::vector<std::string> keys;
  for (int i = 0; i < 120; ++i) {
    RecordSpec s;
    s.topic = "restart-" + std::to_string(i % 3);
    s.queue_id = (i / 3) % 2;
    s.body = Body("restart" + std::to_string(i), (i * 131) % 3000);
    s.tags = i % 2 ? "TagA" : "";
    s.keys = "rk-" + std::to_string(i);
    keys.push_back(s.keys);
    reqs.push_back(MakeRecord(s));
  }
  std::vector<AppendResult> results = AppendAll(*store, std::move(reqs));
  ASSERT_EQ(results.size(), 120u);
  for (const AppendResult& r : results) ASSERT_TRUE(r.status.ok()) << r.status.ToString();

  // Everything a reader can observe, before and after.
  auto snapshot = [&] {
    std::ostringstream out;
    std::vector<std::pair<std::string, int32_t>> queues = store->ListQueues();
    std::sort(queues.begin(), queues.end());
    for (const auto& [topic, q] : queues) {
      QueueRangeResult range = store->QueueRange(topic, q);
      out << topic << "/" << q << " [" << range.min_offset.value << "," << range.max_offset.value << ")\n";
      for (const ReadRecord& r : ReadQueueAll(*store, topic, q))
        out << std::hash<std::string>()(r.bytes) << "\n";
    }
    for (const AppendResult& r : results) {
      Result<RecordRead> at = store->ReadAt(r.position);
      out << (at.ok() ? std::hash<std::string_view>()(std::string_view(at->record.data, at->record.size)) : 0)
          << " ";
    }
    for (int i = 0; i < 120; i += 17) {
      Result<std::vector<LogPosition>> lk =
          store->LookupKey("restart-" + std::to_string(i % 3), keys[i], 0, INT64_MAX, 8);
      out << "\nkey " << keys[i] << ": " << lk.status().ToString();
      if (lk.ok())
        for (LogPosition p : *lk) out << " " << p.value;
    }
    out << "\nend " << store->Stats().log_end.value << " min " << store->Stats().log_min.value;
    return out.str();
  };
  const std::string before = snapshot();
  const LogPosition end = store->Stats().log_end;
  ASSERT_NO_FATAL_FAILURE(store.Reopen());
  EXPECT_EQ(snapshot(), before);
  // Appends continue where the queues and the log stopped.
  RecordSpec extra;
  extra.topic = "restart-0";
  extra.queue_id = 1;
  extra.body = "after the restart";
  AppendResult next = AppendOne(*store, MakeRecord(extra));
  ASSERT_TRUE(next.status.ok());
  EXPECT_EQ(next.queue_offset.value, store->QueueRange("restart-0", 1).max_offset.value - 1);
  EXPECT_EQ(next.queue_offset.value, 20);
  EXPECT_GE(next.position, end);
  ASSERT_NO_FATAL_FAILURE(store.Reopen());
  EXPECT_EQ(store->QueueRange("restart-0", 1).max_offset.value, 21);
  EXPECT_TRUE(store->ReadAt(next.position).ok());
}

// --- Crash consistency

struct Ack {
  int64_t queue_offset = 0;
  int64_t position = 0;
};

// Where a found record came from (CSEQ), where it is, and whether it reads back intact.
struct Found {
  int64_t round = 0, seq = 0;
  int64_t position = 0, queue_offset = 0, size = 0;
};

enum class Crash { kKill, kPowerLoss };

std::vector<Found> CollectAndCheck(MessageStore& store) {
  std::set<std::pair<std::string, int32_t>> queues;
  for (const auto& q : store.ListQueues()) queues.insert(q);
  for (int64_t s = 0; s < 6; ++s) queues.emplace(CrashTopic(s), CrashQueue(s));
  std::vector<Found> found;
  std::set<std::pair<std::string, int32_t>> non_empty;
  for (const auto& [topic, q] : queues) {
    const QueueRangeResult range = store.QueueRange(topic, q);
    EXPECT_EQ(range.min_offset.value, 0) << topic << "/" << q << ": nothing was deleted";
    std::vector<ReadRecord> recs = ReadQueueAll(store, topic, q, 0);
    EXPECT_EQ(static_cast<int64_t>(recs.size()), range.max_offset.value) << topic << "/" << q;
    if (!recs.empty()) non_empty.emplace(topic, q);
    for (size_t i = 0; i < recs.size(); ++i) {
      const protocol::MessageExt& m = recs[i].msg;
      Found f;
      const std::string cseq(m.properties.Get(kCrashSeqProperty));
      if (std::sscanf(cseq.c_str(), "%ld:%ld", &f.round, &f.seq) != 2) {
        ADD_FAILURE() << topic << "/" << q << " offset " << i << ": not a workload record";
        continue;
      }
      f.position = m.commit_log_offset;
      f.queue_offset = m.queue_offset;
      f.size = m.store_size;
      EXPECT_EQ(m.queue_offset, static_cast<int64_t>(i)) << topic << "/" << q;
      EXPECT_EQ(m.topic, CrashTopic(f.seq));
      EXPECT_EQ(m.queue_id, CrashQueue(f.seq));
      EXPECT_TRUE(m.body == CrashBody(f.round, f.seq)) << "record " << cseq << " is not what was appended";
      Result<RecordRead> at = store.ReadAt(LogPosition(f.position));
      EXPECT_TRUE(at.ok() && std::string_view(at->record.data, at->record.size) == recs[i].bytes)
          << "ReadAt(" << f.position << ") of record " << cseq;
      found.push_back(f);
    }
  }
  std::vector<std::pair<std::string, int32_t>> listed = store.ListQueues();
  const std::set<std::pair<std::string, int32_t>> listed_set(listed.begin(), listed.end());
  EXPECT_EQ(listed_set, non_empty);
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.position < b.position; });
  return found;
}

void RunCrashRounds(const PluginUnderTest& plugin, TempDir& tmp, Crash crash, bool sync_flush) {
  constexpr int kRounds = 3;
  const std::string data = tmp.Sub("store"), shadow = tmp.Sub("shadow");
  std::map<std::string, std::string> options = BaseOptions();
  options["flushDiskType"] = sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH";
  const unsigned seed = std::random_device()();
  std::mt19937 rng(seed);
  SCOPED_TRACE("random seed " + std::to_string(seed));
  fs::create_directories(data);
  // (round, seq) -> (position, queue offset) of everything earlier rounds verified.
  std::map<std::pair<int64_t, int64_t>, std::pair<int64_t, int64_t>> earlier;
  int64_t earlier_end = 0;

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::map<std::string, std::string> env;
    if (crash == Crash::kPowerLoss) {
      // The state a clean Close left is on disk: the shadow starts as a copy of it.
      fs::remove_all(shadow);
      fs::copy(data, shadow, fs::copy_options::recursive);
      env = ShimEnv(data, shadow);
    }
    const std::string ack_file = tmp.Sub("acks-" + std::to_string(round));
    std::vector<std::string> argv = {LibexecPath("conformance_child"),
                                     "--plugin_dir=" + plugin.dir,
                                     "--plugin=" + plugin.name,
                                     "--data_dir=" + data,
                                     "--round=" + std::to_string(round),
                                     "--acks=" + ack_file,
                                     "--max_records=8000"};
    for (const auto& [k, v] : options) argv.push_back("--option=" + k + "=" + v);
    ChildProcess child;
    ASSERT_TRUE(child.Start(argv, env)) << argv[0];
    const std::string ready = child.WaitForLine("READY", std::chrono::seconds(20));
    if (ready.empty()) {
      std::string out;
      for (const std::string& l : child.Lines()) out += l + "\n";
      child.Kill();
      FAIL() << "the crash child did not open the store:\n" << out << child.Stderr();
    }
    // A random moment: from right after opening to well into the appends.
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 200));
    child.Kill();

    std::map<int64_t, Ack> acks;
    int nacks = 0;
    std::istringstream lines(ReadFile(ack_file));
    for (std::string line; std::getline(lines, line);) {
      std::istringstream in(line);
      std::string word;
      int64_t seq = 0;
      in >> word >> seq;
      if (word == "ACK") {
        Ack a;
        in >> a.queue_offset >> a.position;
        acks[seq] = a;
      } else {
        ++nacks;
        // A SYNC_FLUSH append may time out on a slow disk (FLUSH_DISK_TIMEOUT); nothing else is expected.
        EXPECT_NE(line.find("Timeout"), std::string::npos) << line;
      }
    }
    if (crash == Crash::kPowerLoss) {
      fs::remove_all(data);
      fs::rename(shadow, data);
    }

    StoreUnderTest store(plugin, data, options);
    ASSERT_NO_FATAL_FAILURE(store.Open());
    std::vector<Found> found = CollectAndCheck(*store);

    // Earlier rounds: all there, unchanged.
    std::map<std::pair<int64_t, int64_t>, const Found*> by_id;
    for (const Found& f : found) by_id[{f.round, f.seq}] = &f;
    for (const auto& [id, where] : earlier) {
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        ADD_FAILURE() << "record " << id.first << ":" << id.second << " of an earlier round is gone";
        continue;
      }
      EXPECT_EQ(it->second->position, where.first);
      EXPECT_EQ(it->second->queue_offset, where.second);
    }
    // This round: a prefix of the appends, in log order, after everything earlier.
    std::vector<const Found*> mine;
    for (const Found& f : found)
      if (f.round == round) mine.push_back(&f);
    for (size_t i = 0; i < mine.size(); ++i) {
      EXPECT_EQ(mine[i]->seq, static_cast<int64_t>(i)) << "the store holds a prefix of what was appended";
      EXPECT_GE(mine[i]->position, earlier_end);
      if (mine[i]->seq != static_cast<int64_t>(i)) break;  // one message says it
    }
    // Acknowledged records.
    const bool acks_are_durable = crash == Crash::kKill || sync_flush;
    int64_t lost = 0;
    for (const auto& [seq, ack] : acks) {
      auto it = by_id.find({round, seq});
      if (it == by_id.end()) {
        ++lost;
        continue;
      }
      EXPECT_EQ(it->second->position, ack.position) << "seq " << seq;
      EXPECT_EQ(it->second->queue_offset, ack.queue_offset) << "seq " << seq;
    }
    if (acks_are_durable) {
      EXPECT_EQ(lost, 0) << "acknowledged records lost (of " << acks.size() << ")";
    }
    std::cout << "[ crash    ] " << plugin.name << " round " << round << ": " << acks.size()
              << " acknowledged, " << nacks << " not, " << mine.size() << " recovered, " << lost
              << " acknowledged but lost" << std::endl;

    // The recovered store appends at its end, with each queue's next offset.
    const int64_t end = found.empty() ? 0 : found.back().position + found.back().size;
    const int64_t post_seq = 1000000 + round;
    const int64_t next_offset =
        store->QueueRange(CrashTopic(post_seq), CrashQueue(post_seq)).max_offset.value;
    AppendResult r = AppendOne(*store, CrashRecord(round, post_seq));
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_GE(r.position.value, end);
    EXPECT_EQ(r.queue_offset.value, next_offset);
    for (const Found& f : found) earlier[{f.round, f.seq}] = {f.position, f.queue_offset};
    earlier[{round, post_seq}] = {r.position.value, r.queue_offset.value};
    earlier_end = r.position.value + r.size;
    store.Close();
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST_P(StoreConformance, CrashKillKeepsAcknowledged) {
  if (plugin().is_volatile) GTEST_SKIP() << "volatile store: nothing survives a crash";
  RunCrashRounds(plugin(), tmp_, Crash::kKill, /*sync_flush=*/false);
}

TEST_P(StoreConformance, CrashPowerLossSyncFlush) {
  if (plugin().is_volatile) GTEST_SKIP() << "volatile store: nothing survives a crash";
  RunCrashRounds(plugin(), tmp_, Crash::kPowerLoss, /*sync_flush=*/true);
}

TEST_P(StoreConformance, CrashPowerLossAsyncFlush) {
  if (plugin().is_volatile) GTEST_SKIP() << "volatile store: nothing survives a crash";
  RunCrashRounds(plugin(), tmp_, Crash::kPowerLoss, /*sync_flush=*/false);
}

// --- The shim itself: the crash cases are only as good as its model of a power loss.

TEST(CrashShim, KeepsExactlyTheSyncedState) {
  TempDir tmp;
  const std::string data = tmp.Sub("data"), shadow = tmp.Sub("shadow");
  fs::create_directories(data);
  fs::create_directories(shadow);
  ChildProcess child;
  ASSERT_TRUE(
      child.Start({LibexecPath("conformance_child"), "--shim_selftest=" + data}, ShimEnv(data, shadow)));
  const std::string ready = child.WaitForLine("READY", std::chrono::seconds(20));
  child.Kill();
  ASSERT_FALSE(ready.empty()) << child.Stderr();
  for (const std::string& l : child.Lines()) EXPECT_EQ(l.rfind("ERROR", 0), std::string::npos) << l;

  auto s = [&](const std::string& name) { return shadow + "/" + name; };
  EXPECT_EQ(ReadFile(data + "/a"), "synced-lost") << "the shim must not change the real files";
  EXPECT_EQ(ReadFile(s("a")), "synced") << "bytes written after the last fsync are lost";
  EXPECT_FALSE(fs::exists(s("k"))) << "a file never synced does not exist";
  ASSERT_TRUE(fs::exists(s("b"))) << "its name was made durable by the directory fsync...";
  EXPECT_EQ(fs::file_size(s("b")), 0u) << "...its data was not";
  const std::string c = ReadFile(s("c"));
  ASSERT_EQ(c.size(), 8192u) << "msync'ed mapping: the size follows the file";
  EXPECT_EQ(c.substr(0, 6), "mapped");
  EXPECT_EQ(c.substr(4096, 8), std::string(8, '\0')) << "the page that was not msync'ed";
  EXPECT_EQ(ReadFile(s("d")), "renamed");
  EXPECT_FALSE(fs::exists(s("d.tmp")));
  EXPECT_FALSE(fs::exists(s("e"))) << "unlinked";
  ASSERT_TRUE(fs::exists(s("f"))) << "a rename of an unsynced file keeps the name...";
  EXPECT_EQ(fs::file_size(s("f")), 0u) << "...but not the data";
  EXPECT_FALSE(fs::exists(s("f.tmp")));
  EXPECT_EQ(ReadFile(s("g")), "dsync");
  EXPECT_EQ(ReadFile(s("sub/h")), "deep");
  EXPECT_TRUE(fs::exists(s("i"))) << "fsync of the directory makes the name durable";
  EXPECT_EQ(ReadFile(s("j")), "stdio");
}

}  // namespace
}  // namespace sprocket::conformance
