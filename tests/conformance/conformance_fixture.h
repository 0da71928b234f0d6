// The fixture of the storage conformance suite: a store under test opened through the real
// PluginLoader, and helpers to append, read and decode. See storage_conformance_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "conformance_records.h"
#include "support/test_plugin_host.h"
#include "support/test_process.h"

namespace sprocket::conformance {

// Options every store under test gets: kernel keys plus a small retention unit
// (mappedFileSizeCommitLog), so that retention and segment ends are reached quickly.
inline std::map<std::string, std::string> BaseOptions() {
  return {{"mappedFileSizeCommitLog", "65536"}, {"mapedFileSizeCommitLog", "65536"},
          {"flushDiskType", "ASYNC_FLUSH"},     {"flushIntervalCommitLog", "20"},
          {"syncFlushTimeout", "5000"},         {"maxMessageSize", "4194304"}};
}

// One store in its own data directory; reopenable (restart cases).
class StoreUnderTest {
 public:
  StoreUnderTest(PluginUnderTest plugin, std::string data_dir, std::map<std::string, std::string> options);
  ~StoreUnderTest();

  Status TryOpen();
  void Open();   // fails the test (fatally) when the factory refuses
  void Close();  // Close (expected OK) and drop the store and its host
  void Reopen() {
    Close();
    Open();
  }
  bool is_open() const { return store_ != nullptr; }
  MessageStore& operator*() { return *store_; }
  MessageStore* operator->() { return store_.get(); }
  std::map<std::string, std::string>& options() { return options_; }
  const std::string& data_dir() const { return data_dir_; }

 private:
  PluginUnderTest plugin_;
  std::string data_dir_;
  std::map<std::string, std::string> options_;
  std::unique_ptr<testing::TestPluginHost> host_;
  std::shared_ptr<MessageStore> store_;
};

class StoreConformance : public ::testing::TestWithParam<PluginUnderTest> {
 protected:
  const PluginUnderTest& plugin() const { return GetParam(); }
  // A store in <tmp>/<name> with BaseOptions() overridden by `extra`, opened. The fixture
  // owns it (closed at the end of the test).
  StoreUnderTest& OpenStore(const std::string& name = "store",
                            const std::map<std::string, std::string>& extra = {});
  testing::TempDir tmp_;
  std::vector<std::unique_ptr<StoreUnderTest>> stores_;  // destroyed before tmp_
};

// Appends one call's requests and waits (30 s at most) for its completion. Checks the
// completion contract on the way: called once, with one result per request, never on the
// calling thread while inside Append.
std::vector<AppendResult> AppendAll(MessageStore& store, std::vector<AppendRequest> requests);
AppendResult AppendOne(MessageStore& store, AppendRequest request);

// Issues many Append calls from this thread without waiting between them, then waits for
// all. results[i] are the results of calls[i].
std::vector<std::vector<AppendResult>> AppendPipelined(MessageStore& store,
                                                       std::vector<std::vector<AppendRequest>> calls);

// A record read back: its bytes and the decoded message (BODYCRC verified).
struct ReadRecord {
  std::string bytes;
  protocol::MessageExt msg;
};
ReadRecord DecodeOrFail(ByteView bytes);
// Every record of a queue from `from` (default: its min offset) to its max, `batch` at a time.
std::vector<ReadRecord> ReadQueueAll(MessageStore& store, const std::string& topic, int32_t queue_id,
                                     int64_t from = -1, int32_t batch = 32);
// The whole log from `from` to its end through ReadLog.
Result<std::string> ReadWholeLog(MessageStore& store, LogPosition from, int64_t chunk_bytes = 1 << 20);

// A body that identifies the record: "<label>|" + filler.
inline std::string Body(const std::string& label, size_t filler_size) {
  return label + "|" + Filler(std::hash<std::string>()(label), filler_size);
}

}  // namespace sprocket::conformance
