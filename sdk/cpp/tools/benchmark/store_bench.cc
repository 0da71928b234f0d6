// mqbench_store: storage plugins measured alone (Google Benchmark), each figure next to a
// probe of the disk taken just before it (disk_probe.h): the disk's speed drifts, ratios
// do not.
//
//   append_async   ASYNC_FLUSH appends of 1 KiB-body records (each with a UNIQ_KEY, as a
//                  Java producer sends them) into 8 queues, 16 batches of 64 in flight,
//                  timed up to a final Flush(): MB/s vs the probe's sequential writes, in
//                  three rounds of probe + fresh store (medians, lowest/highest ratio).
//   sync_flush     SYNC_FLUSH appends with N single-record appends in flight: messages per
//                  sync (StoreStats::syncs) and append latency p50/p99 vs the probe's
//                  fdatasync p50.
//   cold_read      a backlog written, flushed and closed, then three rounds of: a cold
//                  sequential read of a probe file, the store opened with its files dropped
//                  from the page cache and the backlog read back through ReadQueue (every
//                  byte touched). MB/s and the ratio to the probe: medians of the rounds,
//                  with the lowest and highest ratio.
//
// Usage: mqbench_store [--dir D] [--plugins filelog,leveldb] [--bytes N] [--cold-bytes N]
//                      [--probe-bytes N] [--plugin-dir D] [Google Benchmark flags]
// The data goes under D (default /var/tmp); every store directory is removed afterwards.
#include <benchmark/benchmark.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "disk_probe.h"
#include "histogram.h"
#include "plugin_host/plugin_loader.h"
#include "sprocket/protocol/message.h"

namespace sprocket::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Settings {
  std::string dir = "/var/tmp";
  std::string plugin_dir;
  std::vector<std::string> plugins = {"filelog", "leveldb"};
  int64_t bytes = int64_t{2} << 30;       // append_async volume
  int64_t cold_bytes = int64_t{5} << 30;  // cold_read backlog
  int64_t probe_bytes = int64_t{1} << 30;
};
Settings g;

class BenchHost final : public PluginHost {
 public:
  BenchHost(std::string dir, std::map<std::string, std::string> options)
      : dir_(std::move(dir)), options_(std::move(options)) {
    static auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    log_ = std::make_shared<spdlog::logger>("store", sink);
    log_->set_level(spdlog::level::warn);
  }
  std::shared_ptr<spdlog::logger> Logger(std::string_view) override { return log_; }
  std::optional<std::string> Option(std::string_view key) const override {
    auto it = options_.find(std::string(key));
    if (it == options_.end()) return std::nullopt;
    return it->second;
  }
  std::string DataDir() const override { return dir_; }
  size_t IoThreads() const override { return 0; }
  boost::asio::io_context& IoContext(size_t) override {
    std::fprintf(stderr, "mqbench_store: a storage plugin asked for an io_context\n");
    std::abort();
  }
  size_t MaxFrameBytes() const override { return 16 << 20; }
  uint64_t NewSessionId() override { return ++session_ids_; }

 private:
  std::string dir_;
  std::map<std::string, std::string> options_;
  std::shared_ptr<spdlog::logger> log_;
  std::atomic<uint64_t> session_ids_{0};
};

// A store in a fresh directory, removed when this goes away.
struct BenchStore {
  std::string dir;
  std::unique_ptr<BenchHost> host;
  std::shared_ptr<MessageStore> store;
  std::string error;

  BenchStore(const std::string& plugin, const std::string& name, std::map<std::string, std::string> options,
             bool fresh = true)
      : dir(g.dir + "/mqbench_store_" + name) {
    if (fresh) {
      fs::remove_all(dir);
      fs::create_directories(dir);
    }
    host = std::make_unique<BenchHost>(dir, std::move(options));
    auto s = PluginLoader(g.plugin_dir).CreateStorage(plugin, *host);
    if (!s.ok()) {
      error = s.status().ToString();
    } else {
      store = std::move(*s);
    }
  }
  void Close() {
    if (store) store->Close();
    store.reset();
  }
};

// Records of one size per queue, encoded once and copied per append.
class RecordFactory {
 public:
  RecordFactory(const std::string& topic, int queues, size_t body_size) : topic_(topic) {
    std::string body(body_size, 'x');
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
    for (int q = 0; q < queues; ++q) {
      protocol::MessageProperties props;
      props.Set(protocol::Prop::kUniqKey, "00000000000000000000000000000000");
      props.Set(protocol::Prop::kTags, "TagA");
      protocol::RecordInput in;
      in.queue_id = q;
      in.born_timestamp = 1700000000000;
      in.born_host = protocol::HostAddress::Parse("127.0.0.1:50000").value();
      in.store_host = protocol::HostAddress::Parse("127.0.0.1:10911").value();
      in.body = body;
      in.topic = topic;
      in.properties = props.Encode();
      Template t;
      auto layout = protocol::EncodeRecord(in, &t.record);
      t.store_timestamp_field = static_cast<uint32_t>(layout->store_timestamp_field);
      templates_.push_back(std::move(t));
    }
    tags_code_ = protocol::TagsCode("TagA");
  }
  AppendRequest Make(uint64_t seq) {
    const Template& t = templates_[seq % templates_.size()];
    AppendRequest r;
    r.record = t.record;
    r.topic = topic_;
    r.queue_id = static_cast<int32_t>(seq % templates_.size());
    r.tags_code = tags_code_;
    r.store_timestamp_field = t.store_timestamp_field;
    // "%016llX000BE4C4" without snprintf: the generator shares the two cores with the store.
    static constexpr char kHex[] = "0123456789ABCDEF";
    char key[24];
    for (int i = 0; i < 16; ++i) key[i] = kHex[(seq >> (60 - 4 * i)) & 0xF];
    std::memcpy(key + 16, "000BE4C4", 8);
    r.keys.assign(key, sizeof key);
    return r;
  }
  size_t record_size() const { return templates_[0].record.size(); }

 private:
  struct Template {
    std::string record;
    uint32_t store_timestamp_field = 0;
  };
  std::string topic_;
  std::vector<Template> templates_;
  int64_t tags_code_ = 0;
};

// Counts completions so that a producer can keep a fixed number in flight.
struct InFlight {
  std::mutex mu;
  std::condition_variable cv;
  int64_t outstanding = 0;
  std::atomic<int64_t> failed{0};
  void Add(int64_t n) {
    std::lock_guard lock(mu);
    outstanding += n;
  }
  void Done(int64_t n) {
    std::lock_guard lock(mu);
    outstanding -= n;
    cv.notify_all();
  }
  void WaitBelow(int64_t limit) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return outstanding < limit; });
  }
};

void SetProbeCounters(benchmark::State& state, const DiskProbe& p) {
  state.counters["disk_write_MBps"] = p.seq_write_bytes_per_sec / 1e6;
  state.counters["disk_fsync_p50_us"] = p.fsync_p50_us;
}

// One ASYNC_FLUSH append run into a fresh store, timed up to the final Flush().
struct AppendRun {
  double bytes_per_sec = 0;
  double msgs_per_sec = 0;
  double anon_growth_mib = 0;
  double disk_mib = 0;
  std::string error;
};
AppendRun AppendAsyncOnce(const std::string& plugin) {
  AppendRun out;
  BenchStore s(plugin, plugin, {{"flushDiskType", "ASYNC_FLUSH"}});
  if (!s.store) {
    out.error = s.error;
    return out;
  }
  RecordFactory records("BENCH", 8, 1024);
  const int64_t total = g.bytes / static_cast<int64_t>(records.record_size());
  constexpr int kBatch = 64, kBatchesInFlight = 16;
  InFlight inflight;
  const long anon_before = SelfRssAnonKiB();
  const auto start = Clock::now();
  for (int64_t seq = 0; seq < total;) {
    inflight.WaitBelow(kBatchesInFlight);
    std::vector<AppendRequest> batch;
    batch.reserve(kBatch);
    for (int i = 0; i < kBatch && seq < total; ++i) batch.push_back(records.Make(seq++));
    inflight.Add(1);
    s.store->Append(std::move(batch), [&inflight](std::span<const AppendResult> results) {
      for (const auto& r : results)
        if (!r.status.ok()) inflight.failed.fetch_add(1);
      inflight.Done(1);
    });
  }
  inflight.WaitBelow(1);
  Status flushed = s.store->Flush();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (!flushed.ok() || inflight.failed > 0) {
    out.error = "append failed: " + flushed.ToString();
  } else {
    out.bytes_per_sec = static_cast<double>(total) * static_cast<double>(records.record_size()) / secs;
    out.msgs_per_sec = static_cast<double>(total) / secs;
    out.anon_growth_mib = static_cast<double>(SelfRssAnonKiB() - anon_before) / 1024.0;
    out.disk_mib = static_cast<double>(s.store->Stats().disk_bytes) / (1 << 20);
  }
  s.Close();
  fs::remove_all(s.dir);
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Cold reads and page-cache writes here swing 2-3x between consecutive runs of the same
// program, so one run against one probe says little: the figures that compare bandwidth
// take three rounds, each a probe just before the store, and report the median ratio (with
// the lowest and highest).
constexpr int kRounds = 3;

void SetRatioCounters(benchmark::State& state, const std::vector<double>& store_bps,
                      const std::vector<double>& disk_bps) {
  std::vector<double> ratios;
  for (size_t i = 0; i < store_bps.size(); ++i) ratios.push_back(store_bps[i] / disk_bps[i]);
  state.counters["MBps"] = Median(store_bps) / 1e6;
  state.counters["vs_disk"] = Median(ratios);
  state.counters["vs_disk_min"] = *std::min_element(ratios.begin(), ratios.end());
  state.counters["vs_disk_max"] = *std::max_element(ratios.begin(), ratios.end());
}

void BM_AppendAsync(benchmark::State& state, std::string plugin) {
  for (auto _ : state) {
    std::vector<double> store_bps, disk_bps, fsync_p50, msgs;
    double secs = 0, anon_growth = 0, disk_mib = 0;
    for (int round = 0; round < kRounds; ++round) {
      DiskProbe probe = ProbeDisk(g.dir, g.probe_bytes, 50);
      if (!probe.error.empty()) return state.SkipWithError(probe.error.c_str());
      AppendRun run = AppendAsyncOnce(plugin);
      if (!run.error.empty()) return state.SkipWithError(run.error.c_str());
      store_bps.push_back(run.bytes_per_sec);
      disk_bps.push_back(probe.seq_write_bytes_per_sec);
      fsync_p50.push_back(probe.fsync_p50_us);
      msgs.push_back(run.msgs_per_sec);
      secs += static_cast<double>(g.bytes) / run.bytes_per_sec;
      anon_growth = std::max(anon_growth, run.anon_growth_mib);
      disk_mib = run.disk_mib;
    }
    state.SetIterationTime(secs / kRounds);
    SetRatioCounters(state, store_bps, disk_bps);
    state.counters["msgs_per_s"] = Median(msgs);
    state.counters["anon_growth_MiB"] = anon_growth;
    state.counters["disk_MiB"] = disk_mib;
    state.counters["disk_write_MBps"] = Median(disk_bps) / 1e6;
    state.counters["disk_fsync_p50_us"] = Median(fsync_p50);
  }
}

void BM_SyncFlush(benchmark::State& state, std::string plugin, int in_flight) {
  for (auto _ : state) {
    DiskProbe probe = ProbeDisk(g.dir, 64 << 20, 200);
    if (!probe.error.empty()) return state.SkipWithError(probe.error.c_str());
    BenchStore s(plugin, plugin + "_sync", {{"flushDiskType", "SYNC_FLUSH"}});
    if (!s.store) return state.SkipWithError(s.error.c_str());
    RecordFactory records("BENCH", 8, 1024);
    const int64_t total = in_flight * 400;  // 400 rounds: long enough for a stable p50
    Histogram latency;
    InFlight inflight;
    const int64_t syncs_before = s.store->Stats().syncs;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::seconds(60);
    int64_t sent = 0;
    for (; sent < total && Clock::now() < deadline; ++sent) {
      inflight.WaitBelow(in_flight);
      std::vector<AppendRequest> one;
      one.push_back(records.Make(static_cast<uint64_t>(sent)));
      inflight.Add(1);
      const auto t0 = Clock::now();
      s.store->Append(std::move(one), [&inflight, &latency, t0](std::span<const AppendResult> results) {
        if (!results[0].status.ok()) inflight.failed.fetch_add(1);
        latency.Record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
        inflight.Done(1);
      });
    }
    inflight.WaitBelow(1);
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    state.SetIterationTime(secs);
    if (inflight.failed > 0) return state.SkipWithError("some SYNC_FLUSH appends failed or timed out");
    const int64_t syncs = s.store->Stats().syncs - syncs_before;
    auto snap = latency.Take();
    state.counters["msgs_per_s"] = static_cast<double>(sent) / secs;
    state.counters["msgs_per_sync"] = syncs > 0 ? static_cast<double>(sent) / static_cast<double>(syncs) : 0;
    state.counters["p50_us"] = static_cast<double>(snap.Percentile(0.50));
    state.counters["p99_us"] = static_cast<double>(snap.Percentile(0.99));
    state.counters["p50_vs_fsync_p50"] = static_cast<double>(snap.Percentile(0.50)) / probe.fsync_p50_us;
    SetProbeCounters(state, probe);
    s.Close();
    fs::remove_all(s.dir);
  }
}

// Reads queue 0 of BACKLOG from the start to its end, touching every byte: bytes per
// second, or an error.
struct BacklogRead {
  double bytes_per_sec = 0;
  int64_t bytes = 0;
  std::string error;
};
BacklogRead ReadBacklog(MessageStore& store) {
  BacklogRead out;
  const auto start = Clock::now();
  int64_t offset = 0;
  uint64_t sum = 0;
  ReadLimits limits;
  TagFilter all;
  for (;;) {
    ReadQueueResult res = store.ReadQueue("BACKLOG", 0, QueueOffset(offset), limits, all);
    if (!res.status.ok()) {
      out.error = res.status.ToString();
      return out;
    }
    if (res.outcome != ReadOutcome::kFound) break;
    for (const ByteView& v : res.records) {
      for (size_t i = 0; i + 8 <= v.size; i += 8) {
        uint64_t w;
        std::memcpy(&w, v.data + i, 8);
        sum += w;
      }
      out.bytes += static_cast<int64_t>(v.size);
    }
    offset = res.next_offset.value;
  }
  benchmark::DoNotOptimize(sum);
  out.bytes_per_sec =
      static_cast<double>(out.bytes) / std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

void BM_ColdRead(benchmark::State& state, std::string plugin) {
  for (auto _ : state) {
    const std::string name = plugin + "_cold";
    {
      BenchStore w(plugin, name, {{"flushDiskType", "ASYNC_FLUSH"}});
      if (!w.store) return state.SkipWithError(w.error.c_str());
      RecordFactory records("BACKLOG", 1, 1024);
      const int64_t total = g.cold_bytes / static_cast<int64_t>(records.record_size());
      InFlight inflight;
      for (int64_t seq = 0; seq < total;) {
        inflight.WaitBelow(16);
        std::vector<AppendRequest> batch;
        for (int i = 0; i < 64 && seq < total; ++i) batch.push_back(records.Make(seq++));
        inflight.Add(1);
        w.store->Append(std::move(batch), [&inflight](std::span<const AppendResult>) { inflight.Done(1); });
      }
      inflight.WaitBelow(1);
      w.store->Flush();
      w.Close();
    }
    // kRounds rounds, each a cold probe read just before a cold read of the backlog.
    const std::string probe_file = g.dir + "/mqbench_store_cold_probe.bin";
    if (std::string error = WriteProbeFile(probe_file, g.probe_bytes); !error.empty())
      return state.SkipWithError(error.c_str());
    const std::string dir = g.dir + "/mqbench_store_" + name;
    std::vector<double> store_bps, disk_bps;
    double read_secs = 0;
    for (int round = 0; round < kRounds; ++round) {
      const double disk = ProbeColdRead(probe_file);
      if (disk <= 0) return state.SkipWithError(("cannot read " + probe_file).c_str());
      DropFromPageCache(dir);
      BenchStore r(plugin, name, {{"flushDiskType", "ASYNC_FLUSH"}}, /*fresh=*/false);
      if (!r.store) return state.SkipWithError(r.error.c_str());
      DropFromPageCache(r.dir);  // whatever opening the store read back in
      BacklogRead read = ReadBacklog(*r.store);
      r.Close();
      if (!read.error.empty()) return state.SkipWithError(read.error.c_str());
      store_bps.push_back(read.bytes_per_sec);
      disk_bps.push_back(disk);
      read_secs += static_cast<double>(read.bytes) / read.bytes_per_sec;
      state.counters["GiB_read"] = static_cast<double>(read.bytes) / (1 << 30);
    }
    fs::remove(probe_file);
    state.SetIterationTime(read_secs / kRounds);
    SetRatioCounters(state, store_bps, disk_bps);
    state.counters["disk_read_MBps"] = Median(disk_bps) / 1e6;
    fs::remove_all(dir);
  }
}

void BM_Probe(benchmark::State& state) {
  for (auto _ : state) {
    DiskProbe p = ProbeDisk(g.dir, g.probe_bytes, 200);
    if (!p.error.empty()) return state.SkipWithError(p.error.c_str());
    state.SetIterationTime(1);
    state.counters["write_MBps"] = p.seq_write_bytes_per_sec / 1e6;
    state.counters["cold_read_MBps"] = p.seq_read_bytes_per_sec / 1e6;
    state.counters["fsync_p50_us"] = p.fsync_p50_us;
    state.counters["fsync_p99_us"] = p.fsync_p99_us;
  }
}

int64_t ParseBytes(const std::string& v) {
  char* end = nullptr;
  double n = std::strtod(v.c_str(), &end);
  std::string unit = end ? end : "";
  if (unit == "K" || unit == "KiB") n *= 1 << 10;
  if (unit == "M" || unit == "MiB") n *= 1 << 20;
  if (unit == "G" || unit == "GiB") n *= 1 << 30;
  return static_cast<int64_t>(n);
}

}  // namespace
}  // namespace sprocket::bench

int main(int argc, char** argv) {
  using namespace sprocket::bench;
  namespace fs = std::filesystem;
  g.plugin_dir = (fs::path(fs::canonical("/proc/self/exe")).parent_path().parent_path() / "lib" / "sprocket").string();
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (a == flag && i + 1 < argc) return argv[++i];
      return nullptr;
    };
    if (auto v = value("--dir")) {
      g.dir = v;
    } else if (auto v = value("--plugin-dir")) {
      g.plugin_dir = v;
    } else if (auto v = value("--plugins")) {
      g.plugins.clear();
      std::string list = v;
      for (size_t at = 0; at <= list.size();) {
        size_t comma = list.find(',', at);
        if (comma == std::string::npos) comma = list.size();
        if (comma > at) g.plugins.push_back(list.substr(at, comma - at));
        at = comma + 1;
      }
    } else if (auto v = value("--bytes")) {
      g.bytes = ParseBytes(v);
    } else if (auto v = value("--cold-bytes")) {
      g.cold_bytes = ParseBytes(v);
    } else if (auto v = value("--probe-bytes")) {
      g.probe_bytes = ParseBytes(v);
    } else {
      rest.push_back(argv[i]);
    }
  }
  benchmark::RegisterBenchmark("probe", BM_Probe)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
  for (const std::string& p : g.plugins) {
    benchmark::RegisterBenchmark((p + "/append_async").c_str(), BM_AppendAsync, p)
        ->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
    for (int n : {256, 32}) {
      benchmark::RegisterBenchmark((p + "/sync_flush/inflight:" + std::to_string(n)).c_str(), BM_SyncFlush, p, n)
          ->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
    }
    benchmark::RegisterBenchmark((p + "/cold_read").c_str(), BM_ColdRead, p)
        ->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
