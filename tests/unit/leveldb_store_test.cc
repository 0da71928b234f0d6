// leveldb storage plugin: appends, reads, restart, key lookup and limits through the
// MessageStore interface, loaded by the real PluginLoader.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "support/filelog_test_util.h"

namespace sprocket::testing::leveldb_store {
namespace {

using filelog::AppendAndWait;
using filelog::AppendOne;
using filelog::Decode;
using filelog::MakeRecord;
using filelog::NowMs;
using filelog::ReadAll;

// A leveldb store in a fresh temporary directory, reopenable (restart tests).
struct Harness : filelog::StoreHarness {
  explicit Harness(std::map<std::string, std::string> options = filelog::SmallLevelDbOptions())
      : StoreHarness(std::move(options), "leveldb") {}
};

// A record with KEYS and a known UNIQ_KEY; `keys` as the kernel fills AppendRequest::keys.
AppendRequest MakeKeyed(const std::string& topic, int32_t queue_id, const std::string& body,
                        const std::string& uniq, const std::string& keys) {
  AppendRequest r = MakeRecord(topic, queue_id, body, "", "KEYS\x01" + keys);
  // MakeRecord drew a random UNIQ_KEY: rebuild with ours so the test knows it.
  protocol::MessageProperties props;
  props.Set(protocol::Prop::kUniqKey, uniq);
  props.Set(protocol::Prop::kKeys, keys);
  protocol::RecordInput in;
  in.queue_id = queue_id;
  in.born_timestamp = NowMs();
  in.born_host = protocol::HostAddress::Parse("127.0.0.1:50000").value();
  in.store_host = protocol::HostAddress::Parse("10.0.0.1:10911").value();
  in.body = body;
  in.topic = topic;
  const std::string encoded = props.Encode();
  in.properties = encoded;
  r.record.clear();
  Result<protocol::EncodedRecordLayout> layout = protocol::EncodeRecord(in, &r.record);
  EXPECT_TRUE(layout.ok());
  r.store_timestamp_field = static_cast<uint32_t>(layout->store_timestamp_field);
  r.keys = uniq + " " + keys;
  return r;
}

std::string Body(const std::string& prefix, int i) { return prefix + "-" + std::to_string(i); }

TEST(LevelDbStoreTest, ManifestDeclaresOptionKeysAndBadOptionsAreRefused) {
  Result<PluginInfo> info = PluginLoader(SPROCKET_PLUGIN_DIR).Inspect(PluginKind::kStorage, "leveldb");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->name, "leveldb");
  for (const char* key :
       {"leveldbWriteBufferSize", "leveldbIndexWriteBufferSize", "leveldbBlockCacheSize",
        "leveldbMaxOpenFiles", "leveldbCompression", "mappedFileSizeCommitLog", "mapedFileSizeCommitLog"})
    EXPECT_NE(std::find(info->option_keys.begin(), info->option_keys.end(), key), info->option_keys.end())
        << key;

  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"leveldbWriteBufferSize", "lots"},
                                                        {"leveldbWriteBufferSize", "1024"},
                                                        {"leveldbIndexWriteBufferSize", "big"},
                                                        {"leveldbIndexWriteBufferSize", "65535"},
                                                        {"leveldbIndexWriteBufferSize", "1073741825"},
                                                        {"leveldbBlockCacheSize", "-5"},
                                                        {"leveldbMaxOpenFiles", "3"},
                                                        {"leveldbCompression", "zstd"},
                                                        {"leveldbBloomBitsPerKey", "1000"},
                                                        {"flushDiskType", "SOMETIMES"},
                                                        {"mapedFileSizeCommitLog", "100"},
                                                        {"syncFlushTimeout", "-1"},
                                                        {"maxMessageSize", "12x"},
                                                        {"messageDelayLevel", "1s 5q"}}) {
    auto options = filelog::SmallLevelDbOptions();
    options.erase("mappedFileSizeCommitLog");
    options[key] = value;
    Harness h(options);
    Status s = h.TryOpen();
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << key << "=" << value << ": " << s.ToString();
    EXPECT_NE(s.message().find(key), std::string::npos) << s.message();
  }
  // Good values of every key open.
  auto options = filelog::SmallLevelDbOptions();
  options.insert({{"leveldbBlockCacheSize", "0"},
                  {"leveldbIndexWriteBufferSize", "65536"},
                  {"leveldbMaxOpenFiles", "100"},
                  {"leveldbCompression", "none"},
                  {"leveldbBlockSize", "4096"},
                  {"leveldbMaxFileSize", "2097152"},
                  {"leveldbBloomBitsPerKey", "0"},
                  {"flushDiskType", "SYNC_FLUSH"}});
  Harness h(options);
  h.Open();
  EXPECT_TRUE(AppendOne(h.store(), MakeRecord("T", 0, "x")).status.ok());
}

TEST(LevelDbStoreTest, QueueOffsetsAreDenseAndPositionsAreByteOffsets) {
  Harness h;
  h.Open();
  std::vector<AppendResult> results;
  for (int i = 0; i < 150; ++i) results.push_back(AppendOne(h.store(), MakeRecord("T", 0, Body("m", i))));
  for (int i = 0; i < 150; ++i) {
    ASSERT_TRUE(results[i].status.ok()) << results[i].status.ToString();
    EXPECT_EQ(results[i].queue_offset.value, i);
    // A running byte count: each record starts where the previous one ended.
    EXPECT_EQ(results[i].position.value, i == 0 ? 0 : results[i - 1].position.value + results[i - 1].size);
  }
  std::vector<protocol::MessageExt> all = ReadAll(h.store(), "T", 0);
  ASSERT_EQ(all.size(), 150u);
  for (int i = 0; i < 150; ++i) {
    EXPECT_EQ(all[i].body, Body("m", i));
    EXPECT_EQ(all[i].queue_offset, i);
    EXPECT_EQ(all[i].commit_log_offset, results[i].position.value);
    EXPECT_EQ(all[i].store_timestamp, results[i].store_timestamp);
    EXPECT_EQ(all[i].store_size, results[i].size);
  }
  QueueRangeResult range = h->QueueRange("T", 0);
  EXPECT_EQ(range.min_offset.value, 0);
  EXPECT_EQ(range.max_offset.value, 150);
  StoreStats st = h->Stats();
  EXPECT_EQ(st.log_min.value, 0);
  EXPECT_EQ(st.log_end.value, results.back().position.value + results.back().size);
  EXPECT_EQ(st.records_appended, 150);
  EXPECT_GT(st.disk_bytes, 0);
}

TEST(LevelDbStoreTest, BatchGetsConsecutiveOffsetsAndOneStoreTime) {
  Harness h;
  h.Open();
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 10; ++i) batch.push_back(MakeRecord("B", 2, Body("b", i)));
  batch.push_back(MakeRecord("C", 0, "other queue"));
  std::vector<AppendResult> r = AppendAndWait(h.store(), std::move(batch));
  ASSERT_EQ(r.size(), 11u);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(r[i].status.ok());
    EXPECT_EQ(r[i].queue_offset.value, i);
    if (i > 0) {
      EXPECT_EQ(r[i].position.value, r[i - 1].position.value + r[i - 1].size);
    }
    EXPECT_EQ(r[i].store_timestamp, r[0].store_timestamp);
  }
  EXPECT_EQ(r[10].queue_offset.value, 0);
}

TEST(LevelDbStoreTest, ManyTopicsAndQueuesInterleavedSurviveRestart) {
  Harness h;
  h.Open();
  const std::vector<std::string> topics = {"alpha", "beta", "%RETRY%group", "delta", std::string(127, 'z')};
  std::mt19937 rng(11);
  std::map<std::pair<std::string, int32_t>, int> sent;
  auto send_round = [&](int rounds) {
    for (int round = 0; round < rounds; ++round) {
      std::vector<AppendRequest> batch;
      for (int k = 0; k < 10; ++k) {
        std::string topic = topics[rng() % topics.size()];
        auto q = static_cast<int32_t>(rng() % 4);
        int n = sent[{topic, q}]++;
        batch.push_back(MakeRecord(topic, q, topic + "/" + std::to_string(q) + "#" + std::to_string(n)));
      }
      for (const AppendResult& r : AppendAndWait(h.store(), std::move(batch))) ASSERT_TRUE(r.status.ok());
    }
  };
  auto check = [&] {
    std::vector<std::pair<std::string, int32_t>> listed = h->ListQueues();
    EXPECT_EQ(listed.size(), sent.size());
    for (const auto& [key, count] : sent) {
      EXPECT_NE(std::find(listed.begin(), listed.end(), key), listed.end()) << key.first << "/" << key.second;
      std::vector<protocol::MessageExt> all = ReadAll(h.store(), key.first, key.second, 7);
      ASSERT_EQ(static_cast<int>(all.size()), count) << key.first << "/" << key.second;
      for (int i = 0; i < count; ++i) {
        EXPECT_EQ(all[i].body, key.first + "/" + std::to_string(key.second) + "#" + std::to_string(i));
        EXPECT_EQ(all[i].queue_offset, i);
      }
      EXPECT_EQ(h->QueueRange(key.first, key.second).max_offset.value, count);
    }
  };
  send_round(60);
  check();
  ASSERT_TRUE(h->Flush().ok());
  const StoreStats before = h->Stats();
  EXPECT_EQ(before.durable_end, before.log_end);
  h.Reopen();
  const StoreStats after = h->Stats();
  EXPECT_EQ(after.log_end, before.log_end);
  EXPECT_EQ(after.durable_end, before.log_end);
  check();
  // Offsets and positions continue where they were.
  send_round(20);
  check();
  EXPECT_GT(h->Stats().log_end, before.log_end);
}

TEST(LevelDbStoreTest, ReadOutcomesFollowTheStatusTable) {
  Harness h;
  h.Open();
  ReadLimits limits;
  ReadQueueResult r = h->ReadQueue("nope", 0, QueueOffset(0), limits, TagFilter{});
  EXPECT_EQ(r.outcome, ReadOutcome::kNoMatchedLogicQueue);
  EXPECT_EQ(h->QueueRange("nope", 0).max_offset.value, 0);

  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AppendOne(h.store(), MakeRecord("O", 1, Body("o", i))).status.ok());
  r = h->ReadQueue("O", 1, QueueOffset(3), limits, TagFilter{});
  EXPECT_EQ(r.outcome, ReadOutcome::kOffsetOverflowOne);
  EXPECT_EQ(r.next_offset.value, 3);
  r = h->ReadQueue("O", 1, QueueOffset(9), limits, TagFilter{});
  EXPECT_EQ(r.outcome, ReadOutcome::kOffsetOverflowBadly);
  EXPECT_EQ(r.next_offset.value, 3);
  r = h->ReadQueue("O", 1, QueueOffset(1), limits, TagFilter{});
  EXPECT_EQ(r.outcome, ReadOutcome::kFound);
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.next_offset.value, 3);
  EXPECT_EQ(r.max_offset.value, 3);
  EXPECT_EQ(h->ReadQueue("O", 0, QueueOffset(0), limits, TagFilter{}).outcome,
            ReadOutcome::kNoMatchedLogicQueue);
}

TEST(LevelDbStoreTest, ReadRespectsCountAndByteLimits) {
  Harness h;
  h.Open();
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(MakeRecord("L", 0, std::string(200, static_cast<char>('a' + i))));
  std::vector<AppendResult> res = AppendAndWait(h.store(), std::move(batch));
  const int64_t size = res[0].size;

  ReadLimits limits;
  limits.max_count = 3;
  ReadQueueResult r = h->ReadQueue("L", 0, QueueOffset(0), limits, TagFilter{});
  EXPECT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.next_offset.value, 3);

  limits.max_count = 32;
  limits.max_bytes = 1;  // less than one record: still one
  r = h->ReadQueue("L", 0, QueueOffset(4), limits, TagFilter{});
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(Decode(r)[0].body, std::string(200, 'e'));

  limits.max_bytes = size * 5 / 2;
  r = h->ReadQueue("L", 0, QueueOffset(0), limits, TagFilter{});
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.next_offset.value, 2);
  // The views live as long as `hold`, not as long as the result.
  std::shared_ptr<const void> hold = r.hold;
  std::vector<ByteView> views = r.records;
  r = ReadQueueResult{};
  size_t consumed = 0;
  EXPECT_TRUE(protocol::DecodeRecord(std::string_view(views[1].data, views[1].size), &consumed, true).ok());
}

TEST(LevelDbStoreTest, TagFilterSkipsAndCountsScannedRecords) {
  Harness h;
  h.Open();
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 20; ++i)
    batch.push_back(MakeRecord("Tg", 0, Body("t", i), i % 2 == 0 ? "TagA" : "TagB"));
  AppendAndWait(h.store(), std::move(batch));
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

  TagFilter none;
  none.match_all = false;
  none.codes = {protocol::JavaStringHash("TagC")};
  r = h->ReadQueue("Tg", 0, QueueOffset(0), limits, none);
  EXPECT_EQ(r.outcome, ReadOutcome::kNoMatchedMessage);
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(r.next_offset.value, 20);  // everything scanned, nothing matched
}

TEST(LevelDbStoreTest, OffsetForTimeSearchesStoreTimes) {
  Harness h;
  h.Open();
  EXPECT_EQ(h->OffsetForTime("none", 0, NowMs()).value, 0);
  std::vector<int64_t> times;
  for (int i = 0; i < 6; ++i) {
    AppendResult r = AppendOne(h.store(), MakeRecord("Ts", 0, Body("t", i)));
    ASSERT_TRUE(r.status.ok());
    times.push_back(r.store_timestamp);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(h->OffsetForTime("Ts", 0, 0).value, 0);
  EXPECT_EQ(h->OffsetForTime("Ts", 0, times.back() + 1000).value, 6);  // none at/after: max
  for (int i = 0; i < 6; ++i) {
    const int64_t want = std::find(times.begin(), times.end(), times[i]) - times.begin();
    EXPECT_EQ(h->OffsetForTime("Ts", 0, times[i]).value, want) << i;
  }
}

TEST(LevelDbStoreTest, ReadAtFindsRecordStartsOnly) {
  Harness h;
  h.Open();
  AppendResult a = AppendOne(h.store(), MakeRecord("R", 0, "first"));
  AppendResult b = AppendOne(h.store(), MakeRecord("R", 0, "second"));
  Result<RecordRead> r = h->ReadAt(b.position);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  size_t consumed = 0;
  Result<protocol::MessageExt> m =
      protocol::DecodeRecord(std::string_view(r->record.data, r->record.size), &consumed, true);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->body, "second");
  EXPECT_EQ(m->commit_log_offset, b.position.value);
  for (int64_t bad : {a.position.value + 1, b.position.value + b.size, int64_t{1} << 40, int64_t{-8}})
    EXPECT_EQ(h->ReadAt(LogPosition(bad)).status().code(), Status::Code::kNotFound) << bad;
  // Records appended together are stored together: each is still found at its own start.
  std::vector<AppendRequest> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(MakeRecord("R", 1, "batched-" + std::to_string(i)));
  std::vector<AppendResult> res = AppendAndWait(h.store(), std::move(batch));
  for (int i = 0; i < 5; ++i) {
    Result<RecordRead> one = h->ReadAt(res[i].position);
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    ASSERT_EQ(one->record.size, static_cast<size_t>(res[i].size));
    EXPECT_EQ(
        protocol::DecodeRecord(std::string_view(one->record.data, one->record.size), &consumed, true)->body,
        "batched-" + std::to_string(i));
    EXPECT_EQ(h->ReadAt(LogPosition(res[i].position.value + 4)).status().code(), Status::Code::kNotFound);
  }
}

TEST(LevelDbStoreTest, LookupKeyFindsExactKeysNewestFirst) {
  Harness h;
  h.Open();
  EXPECT_TRUE(h->LookupKey("K", "k1", 0, INT64_MAX, 10)->empty());
  std::vector<AppendResult> res;
  for (int i = 0; i < 6; ++i) {
    res.push_back(AppendOne(h.store(), MakeKeyed("K", i % 2, Body("k", i), "UNIQ" + std::to_string(i),
                                                 i % 3 == 0 ? "order-1 shared" : "order-2 shared")));
    ASSERT_TRUE(res.back().status.ok());
  }
  ASSERT_TRUE(AppendOne(h.store(), MakeKeyed("Other", 0, "x", "UNIQX", "shared")).status.ok());

  Result<std::vector<LogPosition>> got = h->LookupKey("K", "UNIQ4", 0, INT64_MAX, 10);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0], res[4].position);

  got = h->LookupKey("K", "order-1", 0, INT64_MAX, 10);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0], res[3].position);  // newest first
  EXPECT_EQ((*got)[1], res[0].position);

  got = h->LookupKey("K", "shared", 0, INT64_MAX, 4);  // other topics' records are not returned
  ASSERT_EQ(got->size(), 4u);
  EXPECT_EQ((*got)[0], res[5].position);
  EXPECT_EQ((*got)[3], res[2].position);

  got = h->LookupKey("K", "shared", res[4].store_timestamp, res[4].store_timestamp, 10);
  for (LogPosition p : *got) {
    auto it = std::find_if(res.begin(), res.end(), [&](const AppendResult& r) { return r.position == p; });
    ASSERT_NE(it, res.end());
    EXPECT_EQ(it->store_timestamp, res[4].store_timestamp);
  }
  EXPECT_TRUE(h->LookupKey("K", "order", 0, INT64_MAX, 10)->empty());  // exact keys, not prefixes
  h.Reopen();
  EXPECT_EQ(h->LookupKey("K", "order-2", 0, INT64_MAX, 10)->size(), 4u);
}

TEST(LevelDbStoreTest, LargeAndEmptyBodiesAndTheSizeLimit) {
  Harness h;
  h.Open();
  AppendResult empty = AppendOne(h.store(), MakeRecord("Big", 0, ""));
  ASSERT_TRUE(empty.status.ok()) << empty.status.ToString();
  const std::string four_mib(4 << 20, 'q');
  AppendResult big = AppendOne(h.store(), MakeRecord("Big", 0, four_mib));
  ASSERT_TRUE(big.status.ok()) << big.status.ToString();
  AppendResult too_big = AppendOne(h.store(), MakeRecord("Big", 0, std::string((4 << 20) + 64 * 1024, 'x')));
  EXPECT_EQ(too_big.status.code(), Status::Code::kMessageIllegal) << too_big.status.ToString();
  AppendResult after = AppendOne(h.store(), MakeRecord("Big", 0, "after"));
  ASSERT_TRUE(after.status.ok());
  EXPECT_EQ(after.queue_offset.value, 2);  // the refused record took no offset
  EXPECT_EQ(after.position.value, big.position.value + big.size);

  h.Reopen();
  std::vector<protocol::MessageExt> all = ReadAll(h.store(), "Big", 0, 1);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].body, "");
  EXPECT_EQ(all[1].body, four_mib);
  EXPECT_EQ(all[2].body, "after");
}

TEST(LevelDbStoreTest, MalformedRequestsAreRefusedOneByOne) {
  Harness h;
  h.Open();
  std::vector<AppendRequest> batch;
  batch.push_back(MakeRecord("M", 0, "good"));
  AppendRequest wrong_queue = MakeRecord("M", 0, "bad");
  wrong_queue.queue_id = 1;
  batch.push_back(std::move(wrong_queue));
  AppendRequest truncated = MakeRecord("M", 0, "cut");
  truncated.record.resize(truncated.record.size() - 3);
  batch.push_back(std::move(truncated));
  AppendRequest wrong_field = MakeRecord("M", 0, "field");
  wrong_field.store_timestamp_field += 4;
  batch.push_back(std::move(wrong_field));
  batch.push_back(MakeRecord("M", 0, "nul", "", std::string("k\x01v\0", 4)));  // as filelog refuses it
  batch.push_back(MakeRecord("M", 0, "good too"));
  std::vector<AppendResult> r = AppendAndWait(h.store(), std::move(batch));
  ASSERT_EQ(r.size(), 6u);
  EXPECT_TRUE(r[0].status.ok());
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(r[i].status.code(), Status::Code::kMessageIllegal) << i;
  EXPECT_TRUE(r[5].status.ok());
  EXPECT_EQ(r[5].queue_offset.value, 1);
}

TEST(LevelDbStoreTest, ConcurrentAppendsAndReads) {
  Harness h;
  h.Open();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::atomic<bool> done{false};
  std::atomic<int> read_errors{0};
  std::thread reader([&] {
    int64_t next = 0;
    while (true) {
      // Taken before the read: a read that finds nothing after every append completed is
      // the end. (Taken after it, a miss just before the last appends became visible ended
      // the loop early: 766 of 800 once in CI.)
      const bool writers_done = done.load();
      ReadQueueResult r = h->ReadQueue("C", 0, QueueOffset(next), ReadLimits{}, TagFilter{});
      if (!r.status.ok()) ++read_errors;
      if (r.outcome == ReadOutcome::kFound) {
        for (const protocol::MessageExt& m : Decode(r))
          if (m.queue_offset != next++) ++read_errors;
      } else if (writers_done) {
        break;
      }
    }
    EXPECT_EQ(next, kThreads * kPerThread);
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t)
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i)
        EXPECT_TRUE(AppendOne(h.store(), MakeRecord("C", 0, Body("t" + std::to_string(t), i))).status.ok());
    });
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  EXPECT_EQ(read_errors.load(), 0);
  EXPECT_EQ(h->QueueRange("C", 0).max_offset.value, kThreads * kPerThread);
}

TEST(LevelDbStoreTest, CloseCompletesPendingAppendsAndLaterOnesAreAborted) {
  Harness h;
  h.Open();
  std::atomic<int> ok{0};
  std::atomic<int> completed{0};
  for (int i = 0; i < 200; ++i) {
    std::vector<AppendRequest> v;
    v.push_back(MakeRecord("P", 0, Body("p", i)));
    h->Append(std::move(v), [&](std::span<const AppendResult> r) {
      if (r[0].status.ok()) ++ok;
      ++completed;
    });
  }
  ASSERT_TRUE(h->Close().ok());
  EXPECT_EQ(completed.load(), 200);  // before Close returned
  EXPECT_EQ(ok.load(), 200);
  AppendResult late = AppendOne(h.store(), MakeRecord("P", 0, "late"));
  EXPECT_EQ(late.status.code(), Status::Code::kAborted);
  EXPECT_TRUE(h->Close().ok());  // idempotent
  h.Reopen();
  EXPECT_EQ(h->QueueRange("P", 0).max_offset.value, 200);
}

// The records DB's keys only grow, so each memtable LevelDB writes out becomes a table that
// overlaps no other and is never rewritten: its LOG shows tables written (and moved), no
// compaction. (With the index keys in the same database, every table overlapped every other
// one and compactions rewrote the records again and again: multi-second write stalls.)
TEST(LevelDbStoreTest, RecordsAreWrittenToTablesOnceAndNeverCompacted) {
  Harness h;  // 1 MiB memtables
  h.Open();
  const std::string body(16 << 10, 'r');
  for (int round = 0; round < 16; ++round) {  // 16 MiB of records in 64 KiB groups of 4
    std::vector<AppendRequest> batch;
    for (int i = 0; i < 4 * 16; ++i) batch.push_back(MakeRecord("C", i % 4, body));
    for (const AppendResult& r : AppendAndWait(h.store(), std::move(batch))) ASSERT_TRUE(r.status.ok());
  }
  h.Reopen();  // LevelDB's background work done, its LOG complete
  std::string log = filelog::ReadFileBytes(h.data_dir() + "/leveldb/records/LOG");
  for (const auto& e : std::filesystem::directory_iterator(h.data_dir() + "/leveldb/records"))
    if (e.path().filename().string().rfind("LOG.old", 0) == 0)
      log += filelog::ReadFileBytes(e.path().string());
  size_t tables = 0;
  for (size_t at = log.find("Level-0 table #"); at != std::string::npos;
       at = log.find("Level-0 table #", at + 1))
    tables += log.compare(log.find(':', at), 9, ": started") == 0;
  EXPECT_GE(tables, 8u) << log;                                 // 16 MiB went through 1 MiB memtables
  EXPECT_EQ(log.find("Compacting"), std::string::npos) << log;  // and nothing was rewritten
  EXPECT_EQ(h->QueueRange("C", 3).max_offset.value, 16 * 16);
  EXPECT_EQ(ReadAll(h.store(), "C", 3).size(), 16u * 16u);
}

TEST(LevelDbStoreTest, FilesLiveUnderTheLevelDbFolderAndASecondOpenIsRefused) {
  Harness h;
  h.Open();
  ASSERT_TRUE(AppendOne(h.store(), MakeRecord("F", 0, "x")).status.ok());
  EXPECT_TRUE(std::filesystem::exists(h.data_dir() + "/leveldb/CURRENT"));          // the index DB
  EXPECT_TRUE(std::filesystem::exists(h.data_dir() + "/leveldb/records/CURRENT"));  // the records DB
  TestPluginHost host(1, filelog::SmallLevelDbOptions());
  host.SetDataDir(h.data_dir());
  Result<std::shared_ptr<MessageStore>> second =
      PluginLoader(SPROCKET_PLUGIN_DIR).CreateStorage("leveldb", host);
  EXPECT_FALSE(second.ok());  // LevelDB's LOCK file
}

}  // namespace
}  // namespace sprocket::testing::leveldb_store
