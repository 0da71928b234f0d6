#include "conformance_fixture.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace sprocket::conformance {

StoreUnderTest::StoreUnderTest(PluginUnderTest plugin, std::string data_dir,
                               std::map<std::string, std::string> options)
    : plugin_(std::move(plugin)), data_dir_(std::move(data_dir)), options_(std::move(options)) {}

StoreUnderTest::~StoreUnderTest() { Close(); }

Status StoreUnderTest::TryOpen() {
  host_ = std::make_unique<testing::TestPluginHost>(1, options_);
  host_->SetDataDir(data_dir_);
  std::error_code ec;
  std::filesystem::create_directories(data_dir_, ec);  // as the kernel does (host.h: "already created")
  PluginLoader loader(plugin_.dir);
  Result<std::shared_ptr<MessageStore>> s = loader.CreateStorage(plugin_.name, *host_);
  if (!s.ok()) {
    host_.reset();
    return s.status();
  }
  store_ = std::move(s.value());
  return Status::OK();
}

void StoreUnderTest::Open() {
  Status s = TryOpen();
  ASSERT_TRUE(s.ok()) << "opening " << plugin_.name << " in " << data_dir_ << ": " << s.ToString();
}

void StoreUnderTest::Close() {
  if (store_) {
    Status s = store_->Close();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  store_.reset();
  host_.reset();
}

StoreUnderTest& StoreConformance::OpenStore(const std::string& name,
                                            const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> options = BaseOptions();
  for (const auto& [k, v] : extra) options[k] = v;
  stores_.push_back(std::make_unique<StoreUnderTest>(plugin(), tmp_.Sub(name), options));
  stores_.back()->Open();
  // Every case needs its store: stop the test here (GoogleTest reports the exception after
  // the failure Open recorded) rather than run on without one.
  if (!stores_.back()->is_open()) throw std::runtime_error("the store did not open");
  return *stores_.back();
}

namespace {

// True on a thread while it is inside MessageStore::Append: a completion that sees it set
// ran inside Append, which the contract forbids.
thread_local bool t_in_append = false;

void CallAppend(MessageStore& store, std::vector<AppendRequest> requests, AppendCallback done) {
  t_in_append = true;
  store.Append(std::move(requests), std::move(done));
  t_in_append = false;
}

}  // namespace

std::vector<AppendResult> AppendAll(MessageStore& store, std::vector<AppendRequest> requests) {
  std::vector<std::vector<AppendRequest>> calls;
  calls.push_back(std::move(requests));
  std::vector<std::vector<AppendResult>> r = AppendPipelined(store, std::move(calls));
  return r.empty() ? std::vector<AppendResult>{} : std::move(r[0]);
}

AppendResult AppendOne(MessageStore& store, AppendRequest request) {
  std::vector<AppendRequest> v;
  v.push_back(std::move(request));
  std::vector<AppendResult> r = AppendAll(store, std::move(v));
  if (r.size() == 1) return r[0];
  AppendResult failed;
  failed.status = Status::Aborted("no result");
  return failed;
}

std::vector<std::vector<AppendResult>> AppendPipelined(MessageStore& store,
                                                       std::vector<std::vector<AppendRequest>> calls) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::vector<AppendResult>> results;
    std::vector<int> times_called;
    size_t done = 0;
  };
  auto state = std::make_shared<State>();
  state->results.resize(calls.size());
  state->times_called.resize(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    const size_t expected = calls[i].size();
    CallAppend(store, std::move(calls[i]), [state, i, expected](std::span<const AppendResult> results) {
      EXPECT_FALSE(t_in_append) << "an append completion ran inside Append";
      EXPECT_EQ(results.size(), expected) << "one result per request";
      std::lock_guard lock(state->mu);
      if (++state->times_called[i] == 1) {
        state->results[i].assign(results.begin(), results.end());
        ++state->done;
      }
      state->cv.notify_all();
    });
  }
  std::unique_lock lock(state->mu);
  if (!state->cv.wait_for(lock, std::chrono::seconds(30), [&] { return state->done == calls.size(); })) {
    ADD_FAILURE() << "appends did not complete within 30 s (" << state->done << " of " << calls.size() << ")";
    return {};
  }
  for (size_t i = 0; i < calls.size(); ++i)
    EXPECT_EQ(state->times_called[i], 1) << "completion of call " << i << " called more than once";
  return state->results;
}

ReadRecord DecodeOrFail(ByteView bytes) {
  ReadRecord r;
  r.bytes.assign(bytes.data, bytes.size);
  size_t consumed = 0;
  Result<protocol::MessageExt> m = protocol::DecodeRecord(r.bytes, &consumed, /*verify_crc=*/true);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(consumed, bytes.size) << "a view must hold exactly one record";
  if (m.ok()) r.msg = std::move(m.value());
  return r;
}

std::vector<ReadRecord> ReadQueueAll(MessageStore& store, const std::string& topic, int32_t queue_id,
                                     int64_t from, int32_t batch) {
  std::vector<ReadRecord> all;
  const QueueRangeResult range = store.QueueRange(topic, queue_id);
  QueueOffset at(from < 0 ? range.min_offset.value : from);
  ReadLimits limits;
  limits.max_count = batch;
  limits.max_bytes = int64_t{1} << 30;
  limits.max_count_on_disk = batch;
  limits.max_bytes_on_disk = int64_t{1} << 30;
  for (int guard = 0; guard < 100000 && at < range.max_offset; ++guard) {
    ReadQueueResult r = store.ReadQueue(topic, queue_id, at, limits, TagFilter{});
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    if (!r.status.ok() || r.outcome != ReadOutcome::kFound) {
      ADD_FAILURE() << topic << "/" << queue_id << " read at " << at.value << " of ["
                    << range.min_offset.value << ", " << range.max_offset.value << "): outcome "
                    << static_cast<int>(r.outcome);
      break;
    }
    for (const ByteView& v : r.records) all.push_back(DecodeOrFail(v));
    EXPECT_EQ(r.next_offset.value, at.value + static_cast<int64_t>(r.records.size()))
        << "without a filter every scanned record is returned";
    if (r.next_offset <= at) break;
    at = r.next_offset;
  }
  return all;
}

Result<std::string> ReadWholeLog(MessageStore& store, LogPosition from, int64_t chunk_bytes) {
  std::string out;
  const LogPosition end = store.Stats().log_end;
  for (int guard = 0; guard < 1000000 && from < end; ++guard) {
    Result<LogChunk> c = store.ReadLog(from, chunk_bytes);
    if (!c.ok()) return c.status();
    if (c->start != from || c->next.value != from.value + static_cast<int64_t>(c->bytes.size) ||
        c->bytes.size == 0)
      return Status::Corruption("ReadLog(" + std::to_string(from.value) + ") returned start " +
                                std::to_string(c->start.value) + " next " + std::to_string(c->next.value) +
                                " with " + std::to_string(c->bytes.size) + " bytes");
    out.append(c->bytes.data, c->bytes.size);
    from = c->next;
  }
  return out;
}

}  // namespace sprocket::conformance
