// filelog storage plugin: reopening a store — clean restarts, torn log tails, consume queues
// that lag the log or lost their files, and a copy of the directory taken mid-write (what a
// killed process leaves behind).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "support/filelog_test_util.h"

namespace sprocket::testing::filelog {
namespace {

namespace fs = std::filesystem;

// Raw bytes of every record of a queue, in order.
std::vector<std::string> RawRecords(MessageStore& store, const std::string& topic, int32_t queue_id) {
  std::vector<std::string> out;
  QueueOffset at(0);
  while (true) {
    ReadQueueResult r = store.ReadQueue(topic, queue_id, at, ReadLimits{}, TagFilter{});
    if (r.outcome != ReadOutcome::kFound) break;
    for (const ByteView& v : r.records) out.emplace_back(v.data, v.size);
    at = r.next_offset;
  }
  return out;
}

TEST(FileLogRecoveryTest, RestartKeepsEverythingAndContinuesOffsets) {
  StoreHarness h;
  h.Open();
  const std::vector<std::pair<std::string, int32_t>> queues = {{"A", 0}, {"A", 1}, {"B", 0}};
  for (int b = 0; b < 30; ++b) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 10; ++i) {
      const auto& [topic, q] = queues[static_cast<size_t>(i % 3)];
      batch.push_back(MakeRecord(topic, q, std::string(500, 'a' + b % 26), i % 2 ? "TagA" : "TagB"));
    }
    AppendAndWait(h.store(), std::move(batch));
  }
  std::map<std::pair<std::string, int32_t>, std::vector<std::string>> before;
  for (const auto& k : queues) before[k] = RawRecords(h.store(), k.first, k.second);
  const StoreStats stats = h->Stats();
  ASSERT_GT(stats.log_end.value, 2 * 65536);  // several segments

  h.Reopen();
  EXPECT_EQ(h->ListQueues(), queues);  // sorted by topic, then queue id
  for (const auto& k : queues) {
    EXPECT_EQ(RawRecords(h.store(), k.first, k.second), before[k]) << k.first << "/" << k.second;
    EXPECT_EQ(h->QueueRange(k.first, k.second).max_offset.value, static_cast<int64_t>(before[k].size()));
  }
  EXPECT_EQ(h->Stats().log_end, stats.log_end);
  EXPECT_EQ(h->Stats().durable_end, stats.log_end);
  EXPECT_EQ(h->Stats().records_appended, 0);

  AppendResult next = AppendOne(h.store(), MakeRecord("A", 1, "after restart"));
  ASSERT_TRUE(next.status.ok());
  EXPECT_EQ(next.queue_offset.value, static_cast<int64_t>(before[{"A", 1}].size()));
  EXPECT_GE(next.position, stats.log_end);
  EXPECT_LT(next.position.value, stats.log_end.value + 65536);
  EXPECT_EQ(ReadAll(h.store(), "A", 1).back().body, "after restart");
}

TEST(FileLogRecoveryTest, TornLogTailIsCutOnOpen) {
  StoreHarness h;
  h.Open();
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 40; ++i) batch.push_back(MakeRecord("T", 0, "t" + std::to_string(i)));
  std::vector<AppendResult> r = AppendAndWait(h.store(), std::move(batch));
  const int64_t end = r.back().position.value + r.back().size;
  h.Shutdown();

  // Segments are preallocated: the file is a whole segment, zeros after the data (a
  // segment made ahead of the writer may follow it).
  const std::string segment = SegmentPathFor(h, end);
  ASSERT_EQ(fs::file_size(segment), 65536u);
  // A record that was being written when the process died: its header and a few bytes.
  const std::string whole = ReadFileBytes(segment);
  OverwriteBytes(segment, end, whole.substr(static_cast<size_t>(r[0].position.value), 60));

  h.Open();
  EXPECT_EQ(fs::file_size(segment), 65536u);
  EXPECT_EQ(ReadFileBytes(segment).substr(static_cast<size_t>(end), 60), std::string(60, '\0'));  // zeroed
  EXPECT_EQ(h->Stats().log_end.value, end);
  EXPECT_EQ(ReadAll(h.store(), "T", 0).size(), 40u);
  AppendResult next = AppendOne(h.store(), MakeRecord("T", 0, "next"));
  EXPECT_EQ(next.position.value, end);
  EXPECT_EQ(next.queue_offset.value, 40);
}

TEST(FileLogRecoveryTest, ShortFilesFromTheAppendOnlyFormatAreExtended) {
  // Version 1 of the format grew files by appending; such a store still opens.
  StoreHarness h;
  h.Open();
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(MakeRecord("V1", 0, "v" + std::to_string(i)));
  std::vector<AppendResult> r = AppendAndWait(h.store(), std::move(batch));
  const int64_t end = r.back().position.value + r.back().size;
  h.Shutdown();
  fs::remove(SegmentPathFor(h, 65536));  // if made ahead of the writer: version 1 had none
  fs::resize_file(SegmentPathFor(h, end), static_cast<uintmax_t>(end));
  fs::resize_file(h.Path("consumequeue/V1/0/00000000000000000000"), 200);
  h.Open();
  EXPECT_EQ(fs::file_size(SegmentPathFor(h, end)), 65536u);
  EXPECT_EQ(fs::file_size(h.Path("consumequeue/V1/0/00000000000000000000")), 2000u);
  EXPECT_EQ(ReadAll(h.store(), "V1", 0).size(), 10u);
  EXPECT_EQ(AppendOne(h.store(), MakeRecord("V1", 0, "more")).queue_offset.value, 10);
}

TEST(FileLogRecoveryTest, WithoutACheckpointEveryConsumeQueueIsRebuilt) {
  StoreHarness h;  // 100 entries per consume-queue file
  h.Open();
  for (int b = 0; b < 5; ++b) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 50; ++i) {
      const int n = b * 50 + i;
      batch.push_back(MakeRecord("R", 0, "r" + std::to_string(n), n % 2 ? "TagB" : "TagA"));
    }
    AppendAndWait(h.store(), std::move(batch));
  }
  for (int i = 0; i < 20; ++i) AppendOne(h.store(), MakeRecord("R", 1, "later" + std::to_string(i)));
  h.Shutdown();

  // Damage no checkpoint accounts for: R/0 loses entries 207..249 (the rest of its third
  // file), R/1 loses its only file. Deleting the checkpoint is how an operator asks for a
  // full rebuild (README.md).
  const std::string last = h.Path("consumequeue/R/0/00000000000000004000");
  ASSERT_EQ(fs::file_size(last), 2000u);
  OverwriteBytes(last, 7 * 20 + 10, std::string(2000 - 150, '\0'));
  fs::remove(h.Path("consumequeue/R/1/00000000000000000000"));
  fs::remove(h.Path("checkpoint"));

  h.Open();
  EXPECT_EQ(h->QueueRange("R", 0).max_offset.value, 250);
  std::vector<protocol::MessageExt> all = ReadAll(h.store(), "R", 0);
  ASSERT_EQ(all.size(), 250u);
  for (int i = 0; i < 250; ++i) EXPECT_EQ(all[i].body, "r" + std::to_string(i));
  EXPECT_EQ(ReadAll(h.store(), "R", 1).size(), 20u);

  // The rebuilt entries carry the tag codes (hash of TAGS), so filtering still works.
  TagFilter only_a;
  only_a.match_all = false;
  only_a.codes = {protocol::JavaStringHash("TagA")};
  ReadQueueResult r = h->ReadQueue("R", 0, QueueOffset(201), ReadLimits{}, only_a);
  ASSERT_EQ(r.outcome, ReadOutcome::kFound);
  std::vector<protocol::MessageExt> a = Decode(r);
  ASSERT_EQ(a.size(), 24u);
  EXPECT_EQ(a.front().body, "r202");
  EXPECT_EQ(a.back().body, "r248");
}

TEST(FileLogRecoveryTest, AllConsumeQueuesRebuiltFromTheLog) {
  StoreHarness h;
  h.Open();
  AppendResult delayed = AppendOne(
      h.store(), MakeRecord("SCHEDULE_TOPIC_XXXX", 2, "later", "TagD", std::string("DELAY\x01") + "3"));
  ASSERT_TRUE(delayed.status.ok());
  for (int i = 0; i < 30; ++i) AppendOne(h.store(), MakeRecord("X", i % 3, "x" + std::to_string(i), "TagX"));
  h.Shutdown();

  fs::remove_all(h.Path("consumequeue"));
  h.Open();
  for (int q = 0; q < 3; ++q) EXPECT_EQ(ReadAll(h.store(), "X", q).size(), 10u);
  ASSERT_TRUE(h->Flush().ok());
  // In SCHEDULE_TOPIC_XXXX the tag code is the delivery time: store time + level 3 (10 s).
  const std::string cq = ReadFileBytes(h.Path("consumequeue/SCHEDULE_TOPIC_XXXX/2/00000000000000000000"));
  ASSERT_EQ(cq.size(), 2000u);  // full-size files: zeros after the last entry
  EXPECT_EQ(cq.substr(20), std::string(1980, '\0'));
  EXPECT_EQ(BigEndian64(cq, 0), delayed.position.value);
  EXPECT_EQ(BigEndian32(cq, 8), delayed.size);
  EXPECT_EQ(BigEndian64(cq, 12), delayed.store_timestamp + 10000);
  const std::string x0 = ReadFileBytes(h.Path("consumequeue/X/0/00000000000000000000"));
  ASSERT_EQ(x0.size(), 2000u);
  EXPECT_EQ(BigEndian64(x0, 12), protocol::JavaStringHash("TagX"));
}

TEST(FileLogRecoveryTest, EmptyQueueReadsAsNoMessageInQueue) {
  StoreHarness h;
  h.Open();
  AppendOne(h.store(), MakeRecord("Other", 0, "o"));
  h.Shutdown();
  fs::create_directories(h.Path("consumequeue/Empty/0"));
  h.Open();
  for (int64_t from : {0, 5}) {
    ReadQueueResult r = h->ReadQueue("Empty", 0, QueueOffset(from), ReadLimits{}, TagFilter{});
    EXPECT_EQ(r.outcome, ReadOutcome::kNoMessageInQueue);
    EXPECT_EQ(r.next_offset.value, 0);
  }
  EXPECT_EQ(h->ListQueues(), (std::vector<std::pair<std::string, int32_t>>{{"Other", 0}}));
  EXPECT_EQ(AppendOne(h.store(), MakeRecord("Empty", 0, "first")).queue_offset.value, 0);
}

TEST(FileLogRecoveryTest, ReopenWithAnotherSegmentSizeIsRefused) {
  StoreHarness h;
  h.Open();
  AppendOne(h.store(), MakeRecord("Z", 0, "z"));
  h.Shutdown();
  h.options()["mapedFileSizeCommitLog"] = "131072";
  Status s = h.TryOpen();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("65536"), std::string::npos) << s.message();
}

TEST(FileLogRecoveryTest, SecondStoreOnTheSameDirectoryIsRefused) {
  StoreHarness h;
  h.Open();
  TestPluginHost other(1, SmallStoreOptions());
  other.SetDataDir(h.data_dir());
  Result<std::shared_ptr<MessageStore>> second =
      PluginLoader(SPROCKET_PLUGIN_DIR).CreateStorage("filelog", other);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos) << second.status().ToString();
}

TEST(FileLogRecoveryTest, CopyTakenDuringAppendsOpensWithEveryAcknowledgedRecord) {
  // Copying the directory while appends run leaves what a killed process leaves: the page
  // cache's bytes, files caught at different moments, maybe a torn tail, and the abort file.
  StoreHarness h;
  h.Open();
  constexpr int kQueues = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::array<std::atomic<int64_t>, kQueues> acked{};  // records acknowledged per queue
  std::thread writer([&] {
    int n = 0;
    while (!stop.load()) {
      std::vector<AppendRequest> batch;
      const int first = n;
      for (int i = 0; i < 8; ++i, ++n)
        batch.push_back(MakeRecord("K", n % kQueues, std::string(300 + n % 200, 'k')));
      std::vector<AppendResult> results = AppendAndWait(h.store(), std::move(batch));
      for (size_t i = 0; i < results.size(); ++i) {
        if (!results[i].status.ok()) {
          failures.fetch_add(1);
          continue;
        }
        acked[static_cast<size_t>((first + static_cast<int>(i)) % kQueues)].store(
            results[i].queue_offset.value + 1);
      }
    }
  });
  auto total = [&] {
    int64_t t = 0;
    for (auto& a : acked) t += a.load();
    return t;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (total() < 400 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::array<int64_t, kQueues> acked_before{};
  for (int q = 0; q < kQueues; ++q)
    acked_before[static_cast<size_t>(q)] = acked[static_cast<size_t>(q)].load();

  StoreHarness copy;
  fs::copy(h.data_dir(), copy.data_dir(), fs::copy_options::recursive);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  writer.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(fs::exists(copy.Path("abort")));  // the copy looks like a crashed store

  copy.Open();
  for (int q = 0; q < kQueues; ++q) {
    std::vector<protocol::MessageExt> all = ReadAll(copy.store(), "K", q);  // CRCs checked
    EXPECT_GE(static_cast<int64_t>(all.size()), acked_before[static_cast<size_t>(q)]) << "queue " << q;
    for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i].queue_offset, static_cast<int64_t>(i));
    // The copy keeps working: appends continue each queue densely.
    AppendResult next = AppendOne(copy.store(), MakeRecord("K", q, "after crash"));
    ASSERT_TRUE(next.status.ok()) << next.status.ToString();
    EXPECT_EQ(next.queue_offset.value, static_cast<int64_t>(all.size()));
  }
}

}  // namespace
}  // namespace sprocket::testing::filelog
