// filelog storage plugin: appends and reads through the MessageStore interface.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include "support/filelog_test_util.h"

namespace sprocket::testing::filelog {
namespace {

std::string Body(const std::string& prefix, int i) { return prefix + "-" + std::to_string(i); }

TEST(FileLogAppendTest, ManifestDeclaresOptionKeysAndBadOptionsAreRefused) {
  Result<PluginInfo> info = PluginLoader(SPROCKET_PLUGIN_DIR).Inspect(PluginKind::kStorage, "filelog");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->name, "filelog");
  for (const char* key : {"mapedFileSizeCommitLog", "mappedFileSizeCommitLog", "mapedFileSizeConsumeQueue",
                          "mappedFileSizeConsumeQueue", "flushIntervalConsumeQueue"})
    EXPECT_NE(std::find(info->option_keys.begin(), info->option_keys.end(), key), info->option_keys.end())
        << key;

  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"flushDiskType", "SOMETIMES"},
                                                        {"mapedFileSizeCommitLog", "12x"},
                                                        {"mapedFileSizeCommitLog", "100"},
                                                        {"syncFlushTimeout", "-1"},
                                                        {"messageDelayLevel", "1s 5q"}}) {
    auto options = SmallStoreOptions();
    options[key] = value;
    StoreHarness h(options);
    Status s = h.TryOpen();
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << key << "=" << value << ": " << s.ToString();
    EXPECT_NE(s.message().find(key), std::string::npos) << s.message();
  }
}

TEST(FileLogAppendTest, QueueOffsetsAreDenseAndOrderIsKept) {
  StoreHarness h;
  h.Open();
  std::vector<AppendResult> results;
  for (int i = 0; i < 120; ++i) results.push_back(AppendOne(h.store(), MakeRecord("T", 0, Body("m", i))));
  for (int i = 0; i < 120; ++i) {
    ASSERT_TRUE(results[i].status.ok()) << results[i].status.ToString();
    EXPECT_EQ(results[i].queue_offset.value, i);
    if (i > 0) {
      EXPECT_GT(results[i].position, results[i - 1].position);
    }
  }
  std::vector<protocol::MessageExt> all = ReadAll(h.store(), "T", 0);
  ASSERT_EQ(all.size(), 120u);
  for (int i = 0; i < 120; ++i) {
    EXPECT_EQ(all[i].body, Body("m", i));
    // The store patched its three fields into the stored bytes.
    EXPECT_EQ(all[i].queue_offset, i);
    EXPECT_EQ(all[i].commit_log_offset, results[i].position.value);
    EXPECT_EQ(all[i].store_timestamp, results[i].store_timestamp);
    EXPECT_EQ(all[i].store_size, results[i].size);
    EXPECT_EQ(all[i].topic, "T");
  }
  QueueRangeResult range = h->QueueRange("T", 0);
  EXPECT_EQ(range.min_offset.value, 0);
  EXPECT_EQ(range.max_offset.value, 120);
}

TEST(FileLogAppendTest, BatchGetsConsecutiveOffsetsAndAdjacentPositions) {
  StoreHarness h;
  h.Open();
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(MakeRecord("B", 2, Body("b", i)));
  std::vector<AppendResult> r = AppendAndWait(h.store(), std::move(batch));
  ASSERT_EQ(r.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(r[i].status.ok());
    EXPECT_EQ(r[i].queue_offset.value, i);
    if (i > 0) {
      EXPECT_EQ(r[i].position.value, r[i - 1].position.value + r[i - 1].size);
    }
    EXPECT_EQ(r[i].store_timestamp, r[0].store_timestamp);  // one batch, one store time
  }
}

TEST(FileLogAppendTest, ManyTopicsAndQueuesInterleaved) {
  StoreHarness h;
  h.Open();
  const std::vector<std::string> topics = {"alpha", "beta", "%RETRY%group", "delta", "eps"};
  std::mt19937 rng(7);
  std::map<std::pair<std::string, int32_t>, int> sent;
  for (int round = 0; round < 40; ++round) {
    std::vector<AppendRequest> batch;
    std::vector<std::pair<std::string, int32_t>> keys;
    for (int k = 0; k < 10; ++k) {
      std::string topic = topics[rng() % topics.size()];
      int32_t q = static_cast<int32_t>(rng() % 4);
      int n = sent[{topic, q}]++;
      batch.push_back(MakeRecord(topic, q, topic + "/" + std::to_string(q) + "#" + std::to_string(n)));
      keys.emplace_back(topic, q);
    }
    std::vector<AppendResult> r = AppendAndWait(h.store(), std::move(batch));
    ASSERT_EQ(r.size(), keys.size());
  }
  std::vector<std::pair<std::string, int32_t>> listed = h->ListQueues();
  EXPECT_EQ(listed.size(), sent.size());
  for (const auto& [key, count] : sent) {
    EXPECT_NE(std::find(listed.begin(), listed.end(), key), listed.end()) << key.first << "/" << key.second;
    std::vector<protocol::MessageExt> all = ReadAll(h.store(), key.first, key.second, 7);
    ASSERT_EQ(static_cast<int>(all.size()), count) << key.first << "/" << key.second;
    for (int i = 0; i < count; ++i) {
      EXPECT_EQ(all[i].body, key.first + "/" + std::to_string(key.second) + "#" + std::to_string(i));
      EXPECT_EQ(all[i].queue_offset, i);
      EXPECT_EQ(all[i].queue_id, key.second);
    }
    EXPECT_EQ(h->QueueRange(key.first, key.second).max_offset.value, count);
  }
}

TEST(FileLogAppendTest, ReadOutcomesFollowTheStatusTable) {
  StoreHarness h;
  h.Open();
  ReadLimits limits;
  ReadQueueResult r = h->ReadQueue("nope", 0, QueueOffset(0), limits, TagFilter{});
  EXPECT_EQ(r.outcome, ReadOutcome::kNoMatchedLogicQueue);
  EXPECT_EQ(r.next_offset.value, 0);
  QueueRangeResult range = h->QueueRange("nope", 0);
  EXPECT_EQ(range.min_offset.value, 0);
  EXPECT_EQ(range.max_offset.value, 0);

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AppendOne(h.store(), MakeRecord("O", 1, Body("o", i))).status.ok());
  r = h->ReadQueue("O", 1, QueueOffset(3), limits, TagFilter{});
  EXPECT_EQ(r.outcome, ReadOutcome::kOffsetOverflowOne);
  EXPECT_EQ(r.next_offset.value, 3);
  EXPECT_TRUE(r.records.empty());
  r = h->ReadQueue("O", 1, QueueOffset(9), limits, TagFilter{});
  EXPECT_EQ(r.outcome, ReadOutcome::kOffsetOverflowBadly);
  EXPECT_EQ(r.next_offset.value, 3);
  r = h->ReadQueue("O", 1, QueueOffset(1), limits, TagFilter{});
  EXPECT_EQ(r.outcome, ReadOutcome::kFound);
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.next_offset.value, 3);
  EXPECT_EQ(r.min_offset.value, 0);
  EXPECT_EQ(r.max_offset.value, 3);
  // Another queue of the same topic does not exist.
  EXPECT_EQ(h->ReadQueue("O", 0, QueueOffset(0), limits, TagFilter{}).outcome,
            ReadOutcome::kNoMatchedLogicQueue);
}

TEST(FileLogAppendTest, ReadRespectsCountAndByteLimits) {
  StoreHarness h;
  h.Open();
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(MakeRecord("L", 0, std::string(200, 'a' + i)));
  std::vector<AppendResult> res = AppendAndWait(h.store(), std::move(batch));
  const int64_t size = res[0].size;

  ReadLimits limits;
  limits.max_count = 3;
  ReadQueueResult r = h->ReadQueue("L", 0, QueueOffset(0), limits, TagFilter{});
  ASSERT_EQ(r.outcome, ReadOutcome::kFound);
  EXPECT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.next_offset.value, 3);

  limits.max_count = 32;
  limits.max_bytes = 1;  // less than one record: still one
  r = h->ReadQueue("L", 0, QueueOffset(4), limits, TagFilter{});
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.next_offset.value, 5);
  EXPECT_EQ(Decode(r)[0].body, std::string(200, 'a' + 4));

  limits.max_bytes = size * 5 / 2;
  r = h->ReadQueue("L", 0, QueueOffset(0), limits, TagFilter{});
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.next_offset.value, 2);

  // The views live as long as `hold`, not as long as the result object.
  std::shared_ptr<const void> hold = r.hold;
  std::vector<ByteView> views = r.records;
  r = ReadQueueResult{};
  size_t consumed = 0;
  EXPECT_TRUE(protocol::DecodeRecord(std::string_view(views[1].data, views[1].size), &consumed, true).ok());
}

TEST(FileLogAppendTest, RecordsFarBehindTheLogEndUseTheOnDiskLimits) {
  // accessMessageInMemoryMaxRatio=0: everything behind the log end counts as "on disk".
  auto options = SmallStoreOptions();
  options["accessMessageInMemoryMaxRatio"] = "0";
  StoreHarness h(options);
  h.Open();
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 40; ++i) batch.push_back(MakeRecord("Disk", 0, std::string(100, 'd')));
  std::vector<AppendResult> res = AppendAndWait(h.store(), std::move(batch));
  ReadLimits limits;
  limits.max_count = 32;
  limits.max_bytes = 1 << 20;
  limits.max_count_on_disk = 8;
  limits.max_bytes_on_disk = 1 << 20;
  ReadQueueResult r = h->ReadQueue("Disk", 0, QueueOffset(0), limits, TagFilter{});
  EXPECT_EQ(r.records.size(), 8u);
  limits.max_count_on_disk = 32;
  limits.max_bytes_on_disk = 3 * res[0].size;  // three records fit
  r = h->ReadQueue("Disk", 0, QueueOffset(0), limits, TagFilter{});
  EXPECT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.next_offset.value, 3);

  // The default (40% of memory): a small log is "in memory", the first pair applies.
  StoreHarness mem;
  mem.Open();
  std::vector<AppendRequest> more;
  for (int i = 0; i < 40; ++i) more.push_back(MakeRecord("Mem", 0, std::string(100, 'm')));
  AppendAndWait(mem.store(), std::move(more));
  limits.max_count_on_disk = 1;
  EXPECT_EQ(mem->ReadQueue("Mem", 0, QueueOffset(0), limits, TagFilter{}).records.size(), 32u);
}

TEST(FileLogAppendTest, TagFilterSkipsAndCountsScannedRecords) {
  StoreHarness h;
  h.Open();
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 20; ++i)
    batch.push_back(MakeRecord("Tg", 0, Body("t", i), i % 2 == 0 ? "TagA" : "TagB"));
  AppendAndWait(h.store(), std::move(batch));
  EXPECT_EQ(protocol::TagsCode("TagA"), 2598919);

  TagFilter only_a;
  only_a.match_all = false;
  only_a.codes = {protocol::JavaStringHash("TagA")};
  ReadLimits limits;
  limits.max_count = 4;
  ReadQueueResult r = h->ReadQueue("Tg", 0, QueueOffset(0), limits, only_a);
  ASSERT_EQ(r.outcome, ReadOutcome::kFound);
  std::vector<protocol::MessageExt> got = Decode(r);
  ASSERT_EQ(got.size(), 4u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].Tags(), "TagA");
    EXPECT_EQ(got[i].queue_offset, static_cast<int64_t>(2 * i));
  }
  EXPECT_EQ(r.next_offset.value, 7);  // offsets 0..6 scanned, the 4th match at 6

  TagFilter a_or_b = only_a;
  a_or_b.codes.push_back(protocol::JavaStringHash("TagB"));
  limits.max_count = 32;
  EXPECT_EQ(h->ReadQueue("Tg", 0, QueueOffset(0), limits, a_or_b).records.size(), 20u);

  TagFilter only_c;
  only_c.match_all = false;
  only_c.codes = {protocol::JavaStringHash("TagC")};
  r = h->ReadQueue("Tg", 0, QueueOffset(3), limits, only_c);
  EXPECT_EQ(r.outcome, ReadOutcome::kNoMatchedMessage);
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(r.next_offset.value, 20);  // every entry was scanned and skipped
}

TEST(FileLogAppendTest, FilteredScanIsBoundedPerRead) {
  StoreHarness h(std::map<std::string, std::string>{{"mapedFileSizeCommitLog", "1048576"}});
  h.Open();
  for (int round = 0; round < 10; ++round) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 100; ++i) batch.push_back(MakeRecord("W", 0, "x", "TagB"));
    AppendAndWait(h.store(), std::move(batch));
  }
  ASSERT_TRUE(AppendOne(h.store(), MakeRecord("W", 0, "needle", "TagA")).status.ok());
  TagFilter only_a;
  only_a.match_all = false;
  only_a.codes = {protocol::JavaStringHash("TagA")};
  ReadQueueResult r = h->ReadQueue("W", 0, QueueOffset(0), ReadLimits{}, only_a);
  // A read examines a bounded window (800 entries, RocketMQ's 16000 bytes of consume queue).
  EXPECT_EQ(r.outcome, ReadOutcome::kNoMatchedMessage);
  EXPECT_EQ(r.next_offset.value, 800);
  r = h->ReadQueue("W", 0, r.next_offset, ReadLimits{}, only_a);
  ASSERT_EQ(r.outcome, ReadOutcome::kFound);
  EXPECT_EQ(Decode(r)[0].body, "needle");
  EXPECT_EQ(r.next_offset.value, 1001);
}

TEST(FileLogAppendTest, OversizeAndMalformedRecordsAreMessageIllegal) {
  auto options = SmallStoreOptions();
  options["mapedFileSizeCommitLog"] = "1048576";
  options["maxMessageSize"] = "4096";
  StoreHarness h(options);
  h.Open();
  std::vector<AppendRequest> batch;
  batch.push_back(MakeRecord("X", 0, "fine"));
  batch.push_back(MakeRecord("X", 0, std::string(4096 + 64 * 1024 + 1, 'z')));  // > maxMessageSize + 64 KiB
  batch.push_back(MakeRecord("X", 0, std::string(4096 + 1000, 'y')));           // over the body limit, but
                                                                                // within the record limit
  AppendRequest wrong_size = MakeRecord("X", 0, "bad");
  wrong_size.record.push_back('!');  // TOTALSIZE no longer matches
  batch.push_back(std::move(wrong_size));
  AppendRequest wrong_topic = MakeRecord("X", 0, "bad");
  wrong_topic.topic = "Y";
  batch.push_back(std::move(wrong_topic));
  AppendRequest wrong_field = MakeRecord("X", 0, "bad");
  wrong_field.store_timestamp_field += 4;
  batch.push_back(std::move(wrong_field));
  // Properties ending in NUL: recovery could not tell them from a write cut short.
  batch.push_back(MakeRecord("X", 0, "bad", "", std::string("k\x01v\0", 4)));
  batch.push_back(MakeRecord("X", 0, "also fine"));
  std::vector<AppendResult> r = AppendAndWait(h.store(), std::move(batch));
  ASSERT_EQ(r.size(), 8u);
  EXPECT_TRUE(r[0].status.ok());
  EXPECT_EQ(r[1].status.code(), Status::Code::kMessageIllegal) << r[1].status.ToString();
  EXPECT_TRUE(r[2].status.ok()) << r[2].status.ToString();
  for (int i = 3; i <= 6; ++i) EXPECT_EQ(r[i].status.code(), Status::Code::kMessageIllegal) << i;
  EXPECT_NE(r[6].status.message().find("NUL"), std::string::npos) << r[6].status.ToString();
  EXPECT_TRUE(r[7].status.ok());
  EXPECT_EQ(r[7].queue_offset.value, 2);  // refused records take no offset
  EXPECT_EQ(ReadAll(h.store(), "X", 0).size(), 3u);
}

TEST(FileLogAppendTest, RecordLargerThanASegmentIsMessageIllegal) {
  StoreHarness h;  // 64 KiB segments, default maxMessageSize 4 MiB
  h.Open();
  AppendResult r = AppendOne(h.store(), MakeRecord("S", 0, std::string(65536, 'q')));
  EXPECT_EQ(r.status.code(), Status::Code::kMessageIllegal) << r.status.ToString();
  EXPECT_TRUE(AppendOne(h.store(), MakeRecord("S", 0, std::string(60000, 'q'))).status.ok());
}

TEST(FileLogAppendTest, ReadAtFindsRecordsAndRefusesOtherPositions) {
  StoreHarness h;
  h.Open();
  AppendResult a = AppendOne(h.store(), MakeRecord("R", 0, "first", "TagA"));
  AppendResult b = AppendOne(h.store(), MakeRecord("R", 3, "second"));
  ASSERT_TRUE(a.status.ok());
  ASSERT_TRUE(b.status.ok());
  Result<RecordRead> got = h->ReadAt(b.position);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  size_t consumed = 0;
  Result<protocol::MessageExt> m =
      protocol::DecodeRecord(std::string_view(got->record.data, got->record.size), &consumed, true);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->body, "second");
  EXPECT_EQ(m->queue_id, 3);
  EXPECT_EQ(m->commit_log_offset, b.position.value);
  EXPECT_EQ(h->ReadAt(a.position)->record.size, static_cast<size_t>(a.size));

  Result<RecordRead> mid = h->ReadAt(a.position + 4);
  EXPECT_TRUE(mid.status().IsNotFound()) << mid.status().ToString();  // no record starts there
  EXPECT_TRUE(h->ReadAt(b.position + b.size).status().IsNotFound());  // the log's end
  EXPECT_TRUE(h->ReadAt(LogPosition(1 << 30)).status().IsNotFound());
  EXPECT_TRUE(h->ReadAt(LogPosition(-8)).status().IsNotFound());
}

TEST(FileLogAppendTest, OffsetForTimeBinarySearchesStoreTimes) {
  StoreHarness h;
  h.Open();
  std::vector<int64_t> group_start_ts;
  for (int g = 0; g < 3; ++g) {
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 5; ++i) batch.push_back(MakeRecord("Time", 0, Body("g", g * 5 + i)));
    std::vector<AppendResult> r = AppendAndWait(h.store(), std::move(batch));
    group_start_ts.push_back(r[0].store_timestamp);
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
  ASSERT_LT(group_start_ts[0], group_start_ts[1]);
  ASSERT_LT(group_start_ts[1], group_start_ts[2]);
  EXPECT_EQ(h->OffsetForTime("Time", 0, 0).value, 0);  // all stored after: min
  EXPECT_EQ(h->OffsetForTime("Time", 0, group_start_ts[0]).value, 0);
  EXPECT_EQ(h->OffsetForTime("Time", 0, group_start_ts[1]).value, 5);
  EXPECT_EQ(h->OffsetForTime("Time", 0, group_start_ts[1] - 1).value, 5);
  EXPECT_EQ(h->OffsetForTime("Time", 0, group_start_ts[2]).value, 10);
  EXPECT_EQ(h->OffsetForTime("Time", 0, group_start_ts[2] + 1).value, 15);  // none after: max
  EXPECT_EQ(h->OffsetForTime("Nope", 0, 0).value, 0);
}

TEST(FileLogAppendTest, StatsAndFlush) {
  StoreHarness h;
  h.Open();
  AppendResult last;
  for (int i = 0; i < 5; ++i) last = AppendOne(h.store(), MakeRecord("St", 0, Body("s", i)));
  ASSERT_TRUE(h->Flush().ok());
  StoreStats s = h->Stats();
  EXPECT_EQ(s.records_appended, 5);
  EXPECT_EQ(s.log_min.value, 0);
  EXPECT_EQ(s.log_end.value, last.position.value + last.size);
  EXPECT_EQ(s.durable_end, s.log_end);
}

TEST(FileLogAppendTest, CallbacksRunOnStoreThreadsAndAfterCloseAbort) {
  StoreHarness h;
  h.Open();
  const std::thread::id me = std::this_thread::get_id();
  std::promise<std::thread::id> where;
  std::vector<AppendRequest> one;
  one.push_back(MakeRecord("C", 0, "x"));
  h->Append(std::move(one),
            [&where](std::span<const AppendResult>) { where.set_value(std::this_thread::get_id()); });
  EXPECT_NE(where.get_future().get(), me);

  // An empty append still completes exactly once.
  EXPECT_TRUE(AppendAndWait(h.store(), {}).empty());

  ASSERT_TRUE(h->Close().ok());
  ASSERT_TRUE(h->Close().ok());  // idempotent
  std::promise<std::pair<std::thread::id, Status>> late;
  std::vector<AppendRequest> two;
  two.push_back(MakeRecord("C", 0, "y"));
  two.push_back(MakeRecord("C", 0, "z"));
  h->Append(std::move(two), [&late](std::span<const AppendResult> r) {
    ASSERT_EQ(r.size(), 2u);
    late.set_value({std::this_thread::get_id(), r[1].status});
  });
  auto [id, status] = late.get_future().get();
  EXPECT_NE(id, me);
  EXPECT_EQ(status.code(), Status::Code::kAborted);
}

}  // namespace
}  // namespace sprocket::testing::filelog
