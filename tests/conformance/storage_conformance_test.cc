// The storage conformance suite: one GoogleTest suite that every storage plugin must pass,
// instantiated once per plugin and loading each through the real PluginLoader.
//
//   storage_conformance_test                          # the plugins this runner was built with
//   SPROCKET_CONFORMANCE_PLUGIN_DIR=/my/build SPROCKET_CONFORMANCE_PLUGINS=mystore
//     sprocket-storage-conformance                    # a third-party plugin, installed runner
//   ... --sprocket_plugin_dir=DIR --sprocket_plugins=a,b:volatile   (flags beat the environment)
//
// ":volatile" marks a store that keeps nothing across restarts: the restart and crash cases
// skip it, and it must refuse flushDiskType=SYNC_FLUSH. ":nokeyindex" marks one whose
// LookupKey answers NotSupported (storage.h allows it); without it LookupKey must work.
// The cases are split over files:
//   here                          appends, reads, limits, filters, keys, sizes, Close
//   conformance_retention.cc      retention and offset-moved
//   conformance_replication.cc    ReadLog / AppendReplica / TruncateLog
//   conformance_crash.cc          restart, SIGKILL and power loss (crash_shim.c), the shim itself
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <set>
#include <thread>

#include "conformance_fixture.h"

namespace sprocket::conformance {
namespace {

using protocol::MessageExt;

std::vector<AppendRequest> One(AppendRequest r) {
  std::vector<AppendRequest> v;
  v.push_back(std::move(r));
  return v;
}

AppendRequest Rec(const std::string& topic, int32_t queue, const std::string& body,
                  const std::string& tags = "", const std::string& keys = "") {
  RecordSpec s;
  s.topic = topic;
  s.queue_id = queue;
  s.body = body;
  s.tags = tags;
  s.keys = keys;
  return MakeRecord(s);
}

TEST_P(StoreConformance, DenseQueueOffsets) {
  auto& store = OpenStore();
  std::vector<AppendResult> all;
  std::vector<std::string> bodies;
  int n = 0;
  for (int batch : {1, 5, 20}) {
    std::vector<AppendRequest> reqs;
    std::vector<size_t> sizes;
    for (int i = 0; i < batch; ++i, ++n) {
      bodies.push_back(Body("dense-" + std::to_string(n), static_cast<size_t>(n * 37)));
      reqs.push_back(Rec("dense", 1, bodies.back()));
      sizes.push_back(reqs.back().record.size());
    }
    std::vector<AppendResult> r = AppendAll(*store, std::move(reqs));
    ASSERT_EQ(r.size(), static_cast<size_t>(batch));
    for (size_t i = 0; i < r.size(); ++i) {
      ASSERT_TRUE(r[i].status.ok()) << r[i].status.ToString();
      EXPECT_EQ(r[i].size, static_cast<int32_t>(sizes[i]));
      EXPECT_GT(r[i].store_timestamp, 0);
      all.push_back(r[i]);
    }
  }
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].queue_offset.value, static_cast<int64_t>(i)) << "queue offsets are dense from 0";
    if (i > 0) {
      EXPECT_GE(all[i].position.value, all[i - 1].position.value + all[i - 1].size) << "positions grow";
    }
  }
  // Another queue of the same topic counts on its own.
  AppendResult other = AppendOne(*store, Rec("dense", 2, "x"));
  ASSERT_TRUE(other.status.ok());
  EXPECT_EQ(other.queue_offset.value, 0);

  QueueRangeResult range = store->QueueRange("dense", 1);
  EXPECT_EQ(range.min_offset.value, 0);
  EXPECT_EQ(range.max_offset.value, n);
  std::vector<ReadRecord> read = ReadQueueAll(*store, "dense", 1);
  ASSERT_EQ(read.size(), all.size());
  for (size_t i = 0; i < read.size(); ++i) {
    const MessageExt& m = read[i].msg;
    EXPECT_EQ(m.body, bodies[i]);
    EXPECT_EQ(m.topic, "dense");
    EXPECT_EQ(m.queue_id, 1);
    // The three fields the store patches agree with what Append reported.
    EXPECT_EQ(m.queue_offset, all[i].queue_offset.value);
    EXPECT_EQ(m.commit_log_offset, all[i].position.value);
    EXPECT_EQ(m.store_timestamp, all[i].store_timestamp);
    EXPECT_EQ(m.store_size, all[i].size);
  }
  ASSERT_TRUE(store->Flush().ok());
  StoreStats st = store->Stats();
  EXPECT_EQ(st.records_appended, n + 1);
  EXPECT_LE(st.log_min, all.front().position);
  EXPECT_GE(st.log_end.value, other.position.value + other.size);
  if (!plugin().is_volatile) {
    EXPECT_EQ(st.durable_end, st.log_end) << "after Flush everything is on disk";
    EXPECT_GT(st.disk_bytes, 0);
  }
}

TEST_P(StoreConformance, OrderWithinQueue) {
  auto& store = OpenStore();
  // 200 calls of 1-3 records over two queues, issued back to back from one thread: each
  // queue must hold them in call order (a producer's ordered messages rely on it).
  std::vector<std::vector<AppendRequest>> calls;
  std::vector<std::vector<int>> seqs;  // seq of each request of each call
  int seq = 0;
  for (int c = 0; c < 200; ++c) {
    calls.emplace_back();
    seqs.emplace_back();
    for (int k = 0; k <= c % 3; ++k, ++seq) {
      calls.back().push_back(Rec("order", seq % 2, Body("seq-" + std::to_string(seq), seq % 300)));
      seqs.back().push_back(seq);
    }
  }
  std::vector<std::vector<AppendResult>> results = AppendPipelined(*store, calls);
  ASSERT_EQ(results.size(), calls.size());
  std::map<int, AppendResult> by_seq;
  for (size_t c = 0; c < results.size(); ++c) {
    ASSERT_EQ(results[c].size(), seqs[c].size());
    for (size_t k = 0; k < results[c].size(); ++k) {
      ASSERT_TRUE(results[c][k].status.ok()) << results[c][k].status.ToString();
      by_seq[seqs[c][k]] = results[c][k];
    }
  }
  for (int q = 0; q < 2; ++q) {
    std::vector<ReadRecord> read = ReadQueueAll(*store, "order", q, -1, 7);
    ASSERT_EQ(read.size(), static_cast<size_t>((seq + 1 - q) / 2));
    for (size_t i = 0; i < read.size(); ++i) {
      const int s = static_cast<int>(i) * 2 + q;  // the i-th record of queue q has this seq
      EXPECT_EQ(read[i].msg.body, Body("seq-" + std::to_string(s), s % 300))
          << "queue " << q << " offset " << i;
      EXPECT_EQ(by_seq[s].queue_offset.value, static_cast<int64_t>(i));
      EXPECT_EQ(read[i].msg.commit_log_offset, by_seq[s].position.value);
    }
  }
  // Log order is call order too.
  for (int s = 1; s < seq; ++s) EXPECT_GT(by_seq[s].position, by_seq[s - 1].position) << "seq " << s;
}

TEST_P(StoreConformance, ManyTopicsAndQueuesInterleaved) {
  auto& store = OpenStore();
  constexpr int kTopics = 12, kQueues = 4, kPerQueue = 8;
  std::vector<std::pair<int, int>> order;  // (topic, queue) of each record, in append order
  for (int t = 0; t < kTopics; ++t)
    for (int q = 0; q < kQueues; ++q)
      for (int i = 0; i < kPerQueue; ++i) order.emplace_back(t, q);
  std::mt19937 rng(42);
  std::shuffle(order.begin(), order.end(), rng);
  std::map<std::pair<int, int>, std::vector<std::string>> bodies;
  std::vector<std::vector<AppendRequest>> calls;
  for (size_t i = 0; i < order.size();) {
    calls.emplace_back();
    for (size_t n = 1 + rng() % 8; n > 0 && i < order.size(); --n, ++i) {
      auto [t, q] = order[i];
      std::string body = Body(
          "t" + std::to_string(t) + "q" + std::to_string(q) + "#" + std::to_string(bodies[{t, q}].size()),
          rng() % 700);
      bodies[{t, q}].push_back(body);
      calls.back().push_back(Rec("topic-" + std::to_string(t), q, body));
    }
  }
  for (const auto& r : AppendPipelined(*store, calls))
    for (const AppendResult& a : r) ASSERT_TRUE(a.status.ok()) << a.status.ToString();

  std::set<std::pair<std::string, int32_t>> expected;
  for (const auto& [tq, list] : bodies) {
    const std::string topic = "topic-" + std::to_string(tq.first);
    expected.emplace(topic, tq.second);
    QueueRangeResult range = store->QueueRange(topic, tq.second);
    EXPECT_EQ(range.min_offset.value, 0);
    EXPECT_EQ(range.max_offset.value, kPerQueue);
    std::vector<ReadRecord> read = ReadQueueAll(*store, topic, tq.second);
    ASSERT_EQ(read.size(), list.size()) << topic << "/" << tq.second;
    for (size_t i = 0; i < read.size(); ++i) {
      EXPECT_EQ(read[i].msg.body, list[i]);
      EXPECT_EQ(read[i].msg.topic, topic);
      EXPECT_EQ(read[i].msg.queue_id, tq.second);
      EXPECT_EQ(read[i].msg.queue_offset, static_cast<int64_t>(i));
    }
  }
  std::vector<std::pair<std::string, int32_t>> listed = store->ListQueues();
  const std::set<std::pair<std::string, int32_t>> listed_set(listed.begin(), listed.end());
  EXPECT_EQ(listed_set, expected);
  EXPECT_EQ(listed.size(), expected.size()) << "each queue listed once";

  // Unknown queues: of an unknown topic, and an unknown id of a known topic.
  for (auto [topic, q] : {std::pair<std::string, int32_t>{"no-such-topic", 0}, {"topic-1", kQueues}}) {
    QueueRangeResult range = store->QueueRange(topic, q);
    EXPECT_EQ(range.min_offset.value, 0);
    EXPECT_EQ(range.max_offset.value, 0);
    ReadQueueResult r = store->ReadQueue(topic, q, QueueOffset(0), ReadLimits{}, TagFilter{});
    EXPECT_TRUE(r.status.ok());
    EXPECT_TRUE(r.outcome == ReadOutcome::kNoMatchedLogicQueue || r.outcome == ReadOutcome::kNoMessageInQueue)
        << static_cast<int>(r.outcome);
    EXPECT_TRUE(r.records.empty());
    EXPECT_EQ(store->OffsetForTime(topic, q, NowMs()).value, 0);
  }
}

TEST_P(StoreConformance, ConcurrentAppendsAndReads) {
  auto& store = OpenStore();
  constexpr int kWriters = 3, kPerWriter = 300;
  std::atomic<bool> writers_done{false};
  std::atomic<int> failures{0};
  // Writers: each appends to its own queue and to a shared one, several calls in flight.
  auto writer = [&](int w) {
    for (int i = 0; i < kPerWriter;) {
      std::vector<std::vector<AppendRequest>> calls;
      for (int c = 0; c < 8 && i < kPerWriter; ++c) {
        calls.emplace_back();
        for (int k = 0; k < 1 + (i % 4) && i < kPerWriter; ++k, ++i) {
          const std::string label = "w" + std::to_string(w) + "-" + std::to_string(i);
          calls.back().push_back(
              Rec(i % 2 ? std::string("shared") : "own-" + std::to_string(w), 0, Body(label, i % 500)));
        }
      }
      for (const auto& r : AppendPipelined(*store, calls))
        for (const AppendResult& a : r)
          if (!a.status.ok()) ++failures;
    }
  };
  // Readers tail a queue while it grows: every record they see is whole, in order, dense.
  auto reader = [&](const std::string& topic) {
    QueueOffset at(0);
    std::map<int, int> last_seq;  // per writer
    ReadLimits limits;
    limits.max_count = 16;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      const bool done = writers_done.load();
      ReadQueueResult r = store->ReadQueue(topic, 0, at, limits, TagFilter{});
      if (!r.status.ok()) {
        ++failures;
        return;
      }
      for (const ByteView& v : r.records) {
        ReadRecord rec = DecodeOrFail(v);
        if (rec.msg.queue_offset != at.value) ++failures;
        at += 1;
        const std::string& b = rec.msg.body;
        const int w = std::atoi(b.c_str() + 1);
        const int s = std::atoi(b.c_str() + b.find('-') + 1);
        if (last_seq.count(w) && s <= last_seq[w]) ++failures;  // out of order for one writer
        last_seq[w] = s;
      }
      if (r.records.empty()) {
        if (done) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    EXPECT_EQ(at.value, store->QueueRange(topic, 0).max_offset.value)
        << topic << ": reader fell behind or stopped";
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) threads.emplace_back(writer, w);
  std::thread r1(reader, "shared"), r2(reader, "own-0");
  for (auto& t : threads) t.join();
  writers_done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store->QueueRange("shared", 0).max_offset.value, kWriters * kPerWriter / 2);
  for (int w = 0; w < kWriters; ++w)
    EXPECT_EQ(store->QueueRange("own-" + std::to_string(w), 0).max_offset.value, kPerWriter / 2);
}

TEST_P(StoreConformance, ReadOutcomesAndLimits) {
  auto& store = OpenStore();
  ReadQueueResult none = store->ReadQueue("limits", 0, QueueOffset(0), ReadLimits{}, TagFilter{});
  EXPECT_EQ(none.outcome, ReadOutcome::kNoMatchedLogicQueue);
  std::vector<AppendRequest> reqs;
  for (int i = 0; i < 10; ++i) reqs.push_back(Rec("limits", 0, Body(std::to_string(i), 1000)));
  const int64_t record_size = static_cast<int64_t>(reqs[0].record.size());
  for (const AppendResult& a : AppendAll(*store, std::move(reqs))) ASSERT_TRUE(a.status.ok());

  auto read = [&](int64_t from, int32_t count, int64_t bytes) {
    ReadLimits l;
    l.max_count = l.max_count_on_disk = count;  // a store may apply either pair
    l.max_bytes = l.max_bytes_on_disk = bytes;
    ReadQueueResult r = store->ReadQueue("limits", 0, QueueOffset(from), l, TagFilter{});
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.min_offset.value, 0);
    EXPECT_EQ(r.max_offset.value, 10);
    return r;
  };
  ReadQueueResult r = read(10, 32, 1 << 20);
  EXPECT_EQ(r.outcome, ReadOutcome::kOffsetOverflowOne);
  EXPECT_EQ(r.next_offset.value, 10);
  EXPECT_TRUE(r.records.empty());
  r = read(11, 32, 1 << 20);
  EXPECT_EQ(r.outcome, ReadOutcome::kOffsetOverflowBadly);
  EXPECT_EQ(r.next_offset.value, 10);
  r = read(-1, 32, 1 << 20);
  EXPECT_EQ(r.outcome, ReadOutcome::kOffsetTooSmall);
  EXPECT_EQ(r.next_offset.value, 0);

  r = read(0, 3, 1 << 20);
  EXPECT_EQ(r.outcome, ReadOutcome::kFound);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.next_offset.value, 3);
  EXPECT_EQ(DecodeOrFail(r.records[2]).msg.queue_offset, 2);
  r = read(4, 100, 1 << 20);  // to the end
  ASSERT_EQ(r.records.size(), 6u);
  EXPECT_EQ(r.next_offset.value, 10);
  EXPECT_EQ(DecodeOrFail(r.records[0]).msg.queue_offset, 4);
  // max_bytes: stop before exceeding it...
  r = read(0, 32, record_size * 5 / 2);
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.next_offset.value, 2);
  // ...but a read never comes back empty because of it.
  r = read(5, 32, 10);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.next_offset.value, 6);
  EXPECT_EQ(DecodeOrFail(r.records[0]).msg.queue_offset, 5);
  // The views stay valid as long as the hold lives, whatever the store does meanwhile.
  r = read(0, 32, 1 << 20);
  std::vector<AppendRequest> more;
  for (int i = 0; i < 50; ++i) more.push_back(Rec("limits", 1, Body("more", 2000)));
  AppendAll(*store, std::move(more));
  for (size_t i = 0; i < r.records.size(); ++i)
    EXPECT_EQ(DecodeOrFail(r.records[i]).msg.queue_offset, int64_t(i));
}

TEST_P(StoreConformance, TagFilter) {
  auto& store = OpenStore();
  const char* tags[] = {"TagA", "TagB", ""};
  std::vector<AppendRequest> reqs;
  for (int i = 0; i < 30; ++i) reqs.push_back(Rec("tags", 0, Body(std::to_string(i), 10), tags[i % 3]));
  // RocketMQ compares the low 32 bits of the tag code (the delay topic keeps times there).
  AppendRequest wide = Rec("tags", 0, Body("wide", 10));
  wide.tags_code = (int64_t{1} << 40) + 7;
  reqs.push_back(std::move(wide));
  for (const AppendResult& a : AppendAll(*store, std::move(reqs))) ASSERT_TRUE(a.status.ok());

  auto filter = [](std::initializer_list<std::string> t) {
    TagFilter f;
    f.match_all = false;
    for (const std::string& s : t) f.codes.push_back(protocol::JavaStringHash(s));
    return f;
  };
  ReadLimits limits;
  limits.max_count = limits.max_count_on_disk = 2;
  ReadQueueResult r = store->ReadQueue("tags", 0, QueueOffset(0), limits, filter({"TagA"}));
  ASSERT_EQ(r.outcome, ReadOutcome::kFound);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(DecodeOrFail(r.records[0]).msg.queue_offset, 0);
  EXPECT_EQ(DecodeOrFail(r.records[1]).msg.queue_offset, 3);
  EXPECT_EQ(r.next_offset.value, 4) << "the next read starts after the last record returned";

  // Whole queue with TagA||TagB: 20 records, none of the untagged.
  limits.max_count = limits.max_count_on_disk = 100;
  r = store->ReadQueue("tags", 0, QueueOffset(0), limits, filter({"TagA", "TagB"}));
  ASSERT_EQ(r.records.size(), 20u);
  for (const ByteView& v : r.records) EXPECT_NE(DecodeOrFail(v).msg.Tags(), "");
  EXPECT_EQ(r.next_offset.value, 31);

  // Nothing matches: kNoMatchedMessage, and the next read skips what was scanned.
  r = store->ReadQueue("tags", 0, QueueOffset(0), limits, filter({"TagZ"}));
  EXPECT_EQ(r.outcome, ReadOutcome::kNoMatchedMessage);
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(r.next_offset.value, 31);

  TagFilter seven;
  seven.match_all = false;
  seven.codes = {7};
  r = store->ReadQueue("tags", 0, QueueOffset(0), limits, seven);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(DecodeOrFail(r.records[0]).msg.queue_offset, 30);

  r = store->ReadQueue("tags", 0, QueueOffset(0), limits, TagFilter{});
  EXPECT_EQ(r.records.size(), 31u);
}

TEST_P(StoreConformance, OffsetForTime) {
  auto& store = OpenStore();
  std::vector<AppendResult> results;
  for (int batch = 0; batch < 3; ++batch) {
    if (batch > 0) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    std::vector<AppendRequest> reqs;
    for (int i = 0; i < 4; ++i) reqs.push_back(Rec("time", 0, Body(std::to_string(i), 10)));
    for (const AppendResult& a : AppendAll(*store, std::move(reqs))) {
      ASSERT_TRUE(a.status.ok());
      results.push_back(a);
    }
  }
  ASSERT_LT(results[3].store_timestamp, results[4].store_timestamp) << "batches were 25 ms apart";
  // The first offset stored at or after T, from the store's own timestamps.
  auto expected = [&](int64_t t) {
    for (size_t i = 0; i < results.size(); ++i)
      if (results[i].store_timestamp >= t) return static_cast<int64_t>(i);
    return static_cast<int64_t>(results.size());
  };
  for (const AppendResult& a : results)
    for (int64_t t : {a.store_timestamp - 1, a.store_timestamp, a.store_timestamp + 1})
      EXPECT_EQ(store->OffsetForTime("time", 0, t).value, expected(t)) << "t=" << t;
  EXPECT_EQ(store->OffsetForTime("time", 0, 0).value, 0) << "min offset when every record is later";
  EXPECT_EQ(store->OffsetForTime("time", 0, NowMs() + 3600000).value, 12) << "max offset when none is";
  EXPECT_EQ(store->OffsetForTime("time", 5, 0).value, 0) << "unknown queue";
}

TEST_P(StoreConformance, ReadAtBadPositions) {
  auto& store = OpenStore();
  std::vector<AppendRequest> reqs;
  for (int i = 0; i < 5; ++i) reqs.push_back(Rec("readat", i % 2, Body(std::to_string(i), 300)));
  std::vector<AppendResult> results = AppendAll(*store, std::move(reqs));
  ASSERT_EQ(results.size(), 5u);
  for (const AppendResult& a : results) {
    ASSERT_TRUE(a.status.ok());
    Result<RecordRead> r = store->ReadAt(a.position);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ReadRecord rec = DecodeOrFail(r->record);
    EXPECT_EQ(rec.msg.commit_log_offset, a.position.value);
    EXPECT_EQ(rec.msg.queue_offset, a.queue_offset.value);
    EXPECT_EQ(r->record.size, static_cast<size_t>(a.size));
  }
  const int64_t end = store->Stats().log_end.value;
  const int64_t p = results[2].position.value;
  for (int64_t bad : {p + 1, p + 4, p + results[2].size - 1, end, end + 1, end + 1000000, int64_t{-1},
                      int64_t{-4096}, INT64_MAX, INT64_MIN}) {
    Result<RecordRead> r = store->ReadAt(LogPosition(bad));
    EXPECT_FALSE(r.ok()) << "position " << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kNotFound)
        << "position " << bad << ": " << r.status().ToString();
  }
}

TEST_P(StoreConformance, LookupKey) {
  auto& store = OpenStore();
  AppendRequest a = Rec("lk", 0, "a", "", "order-1 shared");
  const std::string uniq_a = a.keys.substr(0, a.keys.find(' '));
  AppendResult ra = AppendOne(*store, std::move(a));
  AppendResult rb = AppendOne(*store, Rec("lk", 1, "b", "", "order-2 shared"));
  AppendResult rc = AppendOne(*store, Rec("lk-other", 0, "c", "", "order-1"));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  AppendResult rd = AppendOne(*store, Rec("lk", 0, "d", "", "shared"));
  for (const AppendResult* r : {&ra, &rb, &rc, &rd}) ASSERT_TRUE(r->status.ok());
  ASSERT_LT(ra.store_timestamp, rd.store_timestamp);

  if (!plugin().has_key_index) {
    Result<std::vector<LogPosition>> r = store->LookupKey("lk", "order-1", 0, INT64_MAX, 10);
    EXPECT_EQ(r.status().code(), Status::Code::kNotSupported) << "marked :nokeyindex";
    return;
  }
  auto lookup = [&](const std::string& topic, const std::string& key, int64_t begin, int64_t end,
                    int32_t max) {
    Result<std::vector<LogPosition>> r = store->LookupKey(topic, key, begin, end, max);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<LogPosition> v = r.ok() ? r.value() : std::vector<LogPosition>{};
    EXPECT_LE(v.size(), static_cast<size_t>(max));
    // A hash index may add other records' positions, but only of records it holds, in range.
    for (LogPosition p : v) {
      Result<RecordRead> rec = store->ReadAt(p);
      EXPECT_TRUE(rec.ok()) << "LookupKey returned " << p.value << ": " << rec.status().ToString();
      if (!rec.ok()) continue;
      const int64_t ts = DecodeOrFail(rec->record).msg.store_timestamp;
      EXPECT_TRUE(ts >= begin && ts <= end)
          << "store time " << ts << " outside [" << begin << ", " << end << "]";
    }
    return v;
  };
  auto contains = [](const std::vector<LogPosition>& v, const AppendResult& r) {
    return std::find(v.begin(), v.end(), r.position) != v.end();
  };
  std::vector<LogPosition> v = lookup("lk", "order-1", 0, INT64_MAX, 10);
  EXPECT_TRUE(contains(v, ra));
  EXPECT_FALSE(contains(v, rc)) << "another topic's record";
  v = lookup("lk", uniq_a, 0, INT64_MAX, 10);
  EXPECT_TRUE(contains(v, ra)) << "UNIQ_KEY is indexed";
  v = lookup("lk", "shared", 0, INT64_MAX, 10);
  std::vector<LogPosition> ours;
  for (LogPosition p : v)
    if (p == ra.position || p == rb.position || p == rd.position) ours.push_back(p);
  EXPECT_EQ(ours, (std::vector<LogPosition>{rd.position, rb.position, ra.position})) << "newest first";
  v = lookup("lk", "shared", 0, INT64_MAX, 1);
  EXPECT_EQ(v, std::vector<LogPosition>{rd.position});
  v = lookup("lk", "shared", rd.store_timestamp, rd.store_timestamp, 10);
  EXPECT_TRUE(contains(v, rd));
  EXPECT_FALSE(contains(v, ra)) << "stored before the range";
  v = lookup("lk", "no-such-key", 0, INT64_MAX, 10);
  EXPECT_FALSE(contains(v, ra) || contains(v, rb) || contains(v, rd));
}

TEST_P(StoreConformance, LargeAndEmptyMessages) {
  // Segments big enough for a 4 MiB record in a file log.
  auto& store =
      OpenStore("store", {{"mappedFileSizeCommitLog", "16777216"}, {"mapedFileSizeCommitLog", "16777216"}});
  const size_t max_message = 4 * 1024 * 1024;
  std::vector<std::string> bodies = {"", Filler(1, max_message), "x", ""};
  std::vector<AppendRequest> reqs;
  for (const std::string& b : bodies) reqs.push_back(Rec("large", 0, b));
  std::vector<AppendResult> results = AppendAll(*store, std::move(reqs));
  ASSERT_EQ(results.size(), bodies.size());
  for (const AppendResult& a : results) ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  std::vector<ReadRecord> read = ReadQueueAll(*store, "large", 0, -1, 1);
  ASSERT_EQ(read.size(), bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(read[i].msg.body.size(), bodies[i].size());
    EXPECT_TRUE(read[i].msg.body == bodies[i]) << "record " << i;
    Result<RecordRead> at = store->ReadAt(results[i].position);
    ASSERT_TRUE(at.ok());
    EXPECT_TRUE(std::string_view(at->record.data, at->record.size) == read[i].bytes);
  }
  // A 4 MiB record comes back alone even though it is far above the default byte limit.
  ReadQueueResult r = store->ReadQueue("large", 0, QueueOffset(1), ReadLimits{}, TagFilter{});
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.next_offset.value, 2);

  // Over maxMessageSize + 64 KiB: refused alone, its neighbours in the call are stored and
  // the refused record takes no queue offset.
  std::vector<AppendRequest> mixed;
  mixed.push_back(Rec("large", 0, "before"));
  mixed.push_back(Rec("large", 0, Filler(2, max_message + 128 * 1024)));
  mixed.push_back(Rec("large", 0, "after"));
  results = AppendAll(*store, std::move(mixed));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].status.ok());
  EXPECT_EQ(results[1].status.code(), Status::Code::kMessageIllegal) << results[1].status.ToString();
  EXPECT_TRUE(results[2].status.ok());
  EXPECT_EQ(results[0].queue_offset.value, 4);
  EXPECT_EQ(results[2].queue_offset.value, 5);
  EXPECT_EQ(store->QueueRange("large", 0).max_offset.value, 6);
  read = ReadQueueAll(*store, "large", 0, 4);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[1].msg.body, "after");
}

TEST_P(StoreConformance, CloseSemantics) {
  auto& store = OpenStore();
  // Appends in flight when Close is called complete (stored or Aborted) before it returns.
  std::atomic<int> completed{0};
  std::atomic<int> bad{0};
  for (int i = 0; i < 50; ++i) {
    store->Append(One(Rec("close", 0, Body(std::to_string(i), 100))), [&](std::span<const AppendResult> r) {
      if (r.size() != 1 || !(r[0].status.ok() || r[0].status.code() == Status::Code::kAborted)) ++bad;
      ++completed;
    });
  }
  EXPECT_TRUE(store->Close().ok());
  EXPECT_EQ(completed.load(), 50) << "Close returned before every pending append completed";
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(store->Close().ok()) << "Close is idempotent";

  // After Close: Aborted, once per call, never inside Append.
  std::vector<AppendRequest> two;
  two.push_back(Rec("close", 0, "late-1"));
  two.push_back(Rec("close", 0, "late-2"));
  std::vector<AppendResult> late = AppendAll(*store, std::move(two));
  ASSERT_EQ(late.size(), 2u);
  for (const AppendResult& a : late)
    EXPECT_EQ(a.status.code(), Status::Code::kAborted) << a.status.ToString();
}

TEST_P(StoreConformance, SyncFlushHonouredOrRefused) {
  std::map<std::string, std::string> options = BaseOptions();
  options["flushDiskType"] = "SYNC_FLUSH";
  StoreUnderTest store(plugin(), tmp_.Sub("sync"), options);
  Status s = store.TryOpen();
  if (plugin().is_volatile) {
    // A store that keeps nothing cannot promise what SYNC_FLUSH acknowledges.
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("SYNC_FLUSH"), std::string::npos) << "say why: " << s.message();
    return;
  }
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<std::vector<AppendRequest>> calls;
  for (int i = 0; i < 40; ++i) calls.push_back(One(Rec("sync", i % 2, Body(std::to_string(i), 200))));
  int64_t end = 0;
  for (const auto& r : AppendPipelined(*store, calls)) {
    ASSERT_EQ(r.size(), 1u);
    ASSERT_TRUE(r[0].status.ok()) << r[0].status.ToString();
    end = std::max(end, r[0].position.value + r[0].size);
  }
  // Every acknowledged byte is durable.
  EXPECT_GE(store->Stats().durable_end.value, end);
}

}  // namespace

// The plugin's name is the test name's suffix: Plugins/StoreConformance.DenseQueueOffsets/filelog.
INSTANTIATE_TEST_SUITE_P(Plugins, StoreConformance, ::testing::ValuesIn(PluginsUnderTest()),
                         [](const ::testing::TestParamInfo<PluginUnderTest>& info) {
                           std::string n = info.param.name;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformance);

}  // namespace sprocket::conformance

// Our own main: the plugin flags must be read before GoogleTest expands the parameters.
int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.rfind("--sprocket_plugin_dir=", 0) == 0) {
      sprocket::conformance::PluginDirOverride() = std::string(a.substr(a.find('=') + 1));
    } else if (a.rfind("--sprocket_plugins=", 0) == 0) {
      sprocket::conformance::PluginListOverride() = std::string(a.substr(a.find('=') + 1));
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  rest.push_back(nullptr);
  ::testing::InitGoogleTest(&n, rest.data());
  return RUN_ALL_TESTS();
}
