// Helpers for the filelog storage plugin's tests (tests/unit/filelog_*_test.cc).
//
// Header-only on purpose: tests/CMakeLists.txt compiles every tests/support/*.cc into every
// test executable, and these helpers are only for the filelog tests.
//
// The store is loaded through the real PluginLoader from SPROCKET_PLUGIN_DIR, and records
// are built with the kernel's own codec (protocol::EncodeRecord), as the broker does.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugin_host/plugin_loader.h"
#include "sprocket/plugin/storage.h"
#include "sprocket/protocol/message.h"
#include "support/test_plugin_host.h"
#include "support/test_process.h"

namespace sprocket::testing::filelog {

// Small files so that tests cross segment and consume-queue file boundaries quickly:
// 64 KiB log segments, 100-entry consume-queue files, 1000-entry index files (4000 would be
// RocketMQ's 20 million), short flush intervals.
inline std::map<std::string, std::string> SmallStoreOptions() {
  return {{"mapedFileSizeCommitLog", "65536"}, {"mapedFileSizeConsumeQueue", "2000"},
          {"maxHashSlotNum", "256"},           {"maxIndexNum", "1000"},
          {"flushIntervalCommitLog", "20"},    {"flushIntervalConsumeQueue", "50"}};
}

// The leveldb plugin's counterpart: 64 KiB retention units and a 1 MiB memtable, so tests
// cross units and LevelDB writes tables (not just its log) quickly.
inline std::map<std::string, std::string> SmallLevelDbOptions(int64_t unit = 65536) {
  return {{"mappedFileSizeCommitLog", std::to_string(unit)},
          {"flushIntervalCommitLog", "20"},
          {"leveldbWriteBufferSize", "1048576"}};
}

// A store of `plugin` (loaded by the real PluginLoader) in a fresh temporary directory, or in
// `dir` when given; reopenable (restart tests).
class StoreHarness {
 public:
  explicit StoreHarness(std::map<std::string, std::string> options = SmallStoreOptions(),
                        std::string plugin = "filelog", std::string dir = "")
      : options_(std::move(options)),
        plugin_(std::move(plugin)),
        data_dir_(dir.empty() ? tmp_.Sub("store") : std::move(dir)) {}
  ~StoreHarness() { Shutdown(); }

  const std::string& data_dir() const { return data_dir_; }
  std::string Path(const std::string& rel) const { return data_dir_ + "/" + rel; }
  std::map<std::string, std::string>& options() { return options_; }
  MessageStore& store() { return *store_; }
  MessageStore* operator->() { return store_.get(); }

  // Opens with the current options; the result says whether the factory succeeded.
  Status TryOpen() {
    host_ = std::make_unique<TestPluginHost>(1, options_);
    host_->SetDataDir(data_dir_);
    PluginLoader loader(SPROCKET_PLUGIN_DIR);
    Result<std::shared_ptr<MessageStore>> s = loader.CreateStorage(plugin_, *host_);
    if (!s.ok()) return s.status();
    store_ = std::move(s.value());
    return Status::OK();
  }
  void Open() {
    Status s = TryOpen();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Close (clean shutdown) and drop the store and its host.
  void Shutdown() {
    if (store_) {
      Status s = store_->Close();
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    store_.reset();
    host_.reset();
  }
  void Reopen() {
    Shutdown();
    Open();
  }

 private:
  TempDir tmp_;
  std::map<std::string, std::string> options_;
  std::string plugin_;
  std::string data_dir_;
  std::unique_ptr<TestPluginHost> host_;
  std::shared_ptr<MessageStore> store_;
};

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A record with exactly these encoded properties (may be empty) and tag code.
inline AppendRequest MakeRecordWithProperties(const std::string& topic, int32_t queue_id,
                                              const std::string& body, const std::string& encoded_props,
                                              int64_t tags_code = 0) {
  protocol::RecordInput in;
  in.queue_id = queue_id;
  in.born_timestamp = NowMs();
  in.born_host = protocol::HostAddress::Parse("127.0.0.1:50000").value();
  in.store_host = protocol::HostAddress::Parse("10.0.0.1:10911").value();
  in.body = body;
  in.topic = topic;
  in.properties = encoded_props;
  AppendRequest r;
  Result<protocol::EncodedRecordLayout> layout = protocol::EncodeRecord(in, &r.record);
  EXPECT_TRUE(layout.ok()) << layout.status().ToString();
  r.topic = topic;
  r.queue_id = queue_id;
  r.tags_code = tags_code;
  r.store_timestamp_field = static_cast<uint32_t>(layout->store_timestamp_field);
  return r;
}

// One record as the broker's send path would build it.
inline AppendRequest MakeRecord(const std::string& topic, int32_t queue_id, const std::string& body,
                                const std::string& tags = "", const std::string& extra_props = "") {
  protocol::MessageProperties props;
  if (!tags.empty()) props.Set(protocol::Prop::kTags, tags);
  props.Set(protocol::Prop::kUniqKey, protocol::NewUniqueMessageId());
  std::string encoded_props = props.Encode();
  if (!extra_props.empty()) encoded_props += "\x02" + extra_props;
  return MakeRecordWithProperties(topic, queue_id, body, encoded_props, protocol::TagsCode(tags));
}

// Appends and waits for the completion (30 s at most).
inline std::vector<AppendResult> AppendAndWait(MessageStore& store, std::vector<AppendRequest> requests) {
  auto promise = std::make_shared<std::promise<std::vector<AppendResult>>>();
  std::future<std::vector<AppendResult>> future = promise->get_future();
  store.Append(std::move(requests), [promise](std::span<const AppendResult> results) {
    promise->set_value(std::vector<AppendResult>(results.begin(), results.end()));
  });
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    ADD_FAILURE() << "append did not complete within 30 s";
    return {};
  }
  return future.get();
}

inline AppendResult AppendOne(MessageStore& store, AppendRequest request) {
  std::vector<AppendRequest> v;
  v.push_back(std::move(request));
  std::vector<AppendResult> r = AppendAndWait(store, std::move(v));
  if (!r.empty()) return r[0];
  AppendResult failed;
  failed.status = Status::Aborted("no result");
  return failed;
}

// Decodes every record of a read (with the body CRC checked).
inline std::vector<protocol::MessageExt> Decode(const ReadQueueResult& r) {
  std::vector<protocol::MessageExt> out;
  for (const ByteView& v : r.records) {
    size_t consumed = 0;
    Result<protocol::MessageExt> m =
        protocol::DecodeRecord(std::string_view(v.data, v.size), &consumed, /*verify_crc=*/true);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(consumed, v.size);
    if (m.ok()) out.push_back(std::move(m.value()));
  }
  return out;
}

// Every record of a queue from `from` on, in order, reading `batch` at a time.
inline std::vector<protocol::MessageExt> ReadAll(MessageStore& store, const std::string& topic,
                                                 int32_t queue_id, int32_t batch = 32, int64_t from = 0) {
  std::vector<protocol::MessageExt> all;
  ReadLimits limits;
  limits.max_count = batch;
  limits.max_bytes = 1 << 30;
  QueueOffset at(from);
  while (true) {
    ReadQueueResult r = store.ReadQueue(topic, queue_id, at, limits, TagFilter{});
    if (r.outcome != ReadOutcome::kFound) break;
    for (auto& m : Decode(r)) all.push_back(std::move(m));
    EXPECT_GT(r.next_offset, at);
    at = r.next_offset;
  }
  return all;
}

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Overwrites bytes inside an existing file (simulated damage).
inline void OverwriteBytes(const std::string& path, int64_t at, const std::string& bytes) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(at);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The commit-log segment file holding `position` (segments of `segment_size` bytes).
inline std::string SegmentPathFor(const StoreHarness& h, int64_t position, int64_t segment_size = 65536) {
  char name[32];
  std::snprintf(name, sizeof name, "%020lld", static_cast<long long>(position / segment_size * segment_size));
  return h.Path(std::string("commitlog/") + name);
}

// After a clean Shutdown: makes the directory look like the store crashed right after the
// checkpoint `checkpoint_bytes` was written (saved from an earlier moment): that checkpoint
// back in place and the abort file present. Whatever the files hold past that checkpoint
// is what the page cache had written back when "power went out".
inline void SimulateCrashAfterCheckpoint(const StoreHarness& h, const std::string& checkpoint_bytes) {
  WriteFileBytes(h.Path("checkpoint"), checkpoint_bytes);
  WriteFileBytes(h.Path("abort"), "");
}

inline int32_t BigEndian32(const std::string& bytes, size_t at) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data() + at);
  return static_cast<int32_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3]);
}

inline int64_t BigEndian64(const std::string& bytes, size_t at) {
  return static_cast<int64_t>((static_cast<uint64_t>(static_cast<uint32_t>(BigEndian32(bytes, at))) << 32) |
                              static_cast<uint32_t>(BigEndian32(bytes, at + 4)));
}

}  // namespace sprocket::testing::filelog
