#include "writer.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <unordered_map>

#include "keys.h"
#include "layout.h"
#include "record.h"

namespace sprocket::leveldb_store {

namespace {

// A group larger than this is written as several chunks (the last one synced), so that
// LevelDB's copy of the batch and its memtable do not hold a whole burst of 4 MiB records
// at once. Each chunk is consistent on its own (records, entries, states, ends).
constexpr size_t kChunkBytes = 4 << 20;

}  // namespace

AppendWriter::AppendWriter(StoreCore& core) : core_(core), watchdog_(*core.log) {}

AppendWriter::~AppendWriter() { Stop(); }

void AppendWriter::Start() {
  if (core_.options.sync_flush) watchdog_.Start();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "leveldb-writer");
    Run();
  });
}

bool AppendWriter::Submit(std::vector<AppendRequest>& requests, AppendCallback& done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    // Grow first: if that throws, the caller still owns `done` and can complete it.
    if (pending_.size() == pending_.capacity())
      pending_.reserve(std::max<size_t>(16, 2 * pending_.capacity()));
    pending_.push_back(Pending{std::move(requests), std::move(done)});
  }
  cv_.notify_one();
  return true;
}

void AppendWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  watchdog_.Stop();
}

void AppendWriter::Run() {
  std::vector<Pending> group;
  // ASYNC_FLUSH: when the next periodic synced write is due (max: nothing unsynced).
  auto next_sync = Clock::time_point::max();
  const auto interval = std::chrono::milliseconds(core_.options.flush_interval_ms);
  while (true) {
    bool stop = false;
    {
      std::unique_lock lock(mu_);
      auto ready = [this] { return !pending_.empty() || stopping_; };
      if (next_sync != Clock::time_point::max()) {
        cv_.wait_until(lock, next_sync, ready);
      } else {
        cv_.wait(lock, ready);
      }
      group.swap(pending_);
      stop = stopping_ && group.empty();
    }
    const bool sync_due = Clock::now() >= next_sync;
    std::vector<Completion> done;
    if (!group.empty()) {
      done = Process(group, sync_due);
      group.clear();
    } else if (sync_due) {
      SyncNow();
    }
    // With SYNC_FLUSH the records are synced already; the index still is only periodically.
    const bool dirty = core_.index_synced_end.load() < core_.log_end.load();
    if (!dirty) {
      next_sync = Clock::time_point::max();
    } else if (next_sync == Clock::time_point::max() || sync_due) {
      next_sync = Clock::now() + interval;
    }
    RunCompletions(done, *core_.log);
    if (stop) break;
  }
  SyncNow();  // closing: everything stored becomes durable
}

Status AppendWriter::Validate(const AppendRequest& r) const {
  if (Status s = storage_common::CheckAppendRequest(r, core_.options.MaxRecordSize(), "maxMessageSize + 64 KiB"); !s.ok())
    return s;
  if (r.topic.empty() || r.queue_id < 0)
    return Status::MessageIllegal("topic '" + r.topic + "' queue " + std::to_string(r.queue_id) +
                                  " cannot be stored");
  return Status::OK();
}

int64_t AppendWriter::NextStoreTimestamp() {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  // Never backwards, even if the wall clock is: OffsetForTime binary-searches these.
  core_.last_store_timestamp = std::max(now, core_.last_store_timestamp);
  return core_.last_store_timestamp;
}

std::vector<Completion> AppendWriter::Process(std::vector<Pending>& group, bool sync_due) {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(core_.options.sync_flush_timeout_ms);
  std::vector<Completion> completions(group.size());
  for (size_t g = 0; g < group.size(); ++g) {
    completions[g].done = std::move(group[g].done);
    completions[g].results.resize(group[g].requests.size());
  }
  std::vector<Completion> waiting;  // SYNC_FLUSH: handed to the watchdog during the synced write
  std::lock_guard write_lock(core_.write_mu);
  std::vector<Placed> placed;
  try {
    // Place every valid record: queue offset, position, the three patched fields.
    const int64_t store_ts = NextStoreTimestamp();
    int64_t end = core_.log_end.load(std::memory_order_relaxed);
    std::unordered_map<QueueState*, int64_t> next_offset;
    for (size_t g = 0; g < group.size(); ++g) {
      for (size_t i = 0; i < group[g].requests.size(); ++i) {
        AppendRequest& req = group[g].requests[i];
        AppendResult& res = completions[g].results[i];
        res.size = static_cast<int32_t>(std::min<size_t>(req.record.size(), INT32_MAX));
        if (!core_.broken.ok()) {
          res.status = core_.broken;
          continue;
        }
        if (Status v = Validate(req); !v.ok()) {
          res.status = std::move(v);
          continue;
        }
        QueueState* q = core_.queues.FindOrCreate(req.topic, req.queue_id).get();
        auto it = next_offset.try_emplace(q, q->max_offset.load(std::memory_order_relaxed)).first;
        const int64_t offset = it->second++;
        char* rec = req.record.data();
        PutBig64(rec + 20, static_cast<uint64_t>(offset));  // QUEUEOFFSET (kQueueOffsetField)
        PutBig64(rec + 28, static_cast<uint64_t>(end));     // PHYSICALOFFSET (kLogPositionField)
        PutBig64(rec + req.store_timestamp_field, static_cast<uint64_t>(store_ts));
        res.queue_offset = QueueOffset(offset);
        res.position = LogPosition(end);
        res.store_timestamp = store_ts;
        placed.push_back(Placed{&req, q, offset, end, g, i});
        end += res.size;
      }
    }
    if (placed.empty()) return completions;

    // Write them in chunks; the last one carries the syncs.
    const bool sync_last = core_.options.sync_flush || sync_due;
    size_t begin = 0;
    while (begin < placed.size()) {
      size_t stop = begin;
      size_t bytes = 0;
      while (stop < placed.size() && (stop == begin || bytes < kChunkBytes))
        bytes += placed[stop++].request->record.size();
      const bool last = stop == placed.size();
      if (last && core_.options.sync_flush) {
        for (Completion& c : completions) {
          const bool any_ok = std::any_of(c.results.begin(), c.results.end(),
                                          [](const AppendResult& r) { return r.status.ok(); });
          if (any_ok && c.done) waiting.push_back(std::move(c));
          if (any_ok) c.done = nullptr;
        }
        watchdog_.Begin(std::move(waiting), deadline);
        waiting.clear();
      }
      Status s = WriteChunk(placed, begin, stop, last && sync_last, last && sync_due, store_ts);
      if (last && core_.options.sync_flush) waiting = watchdog_.End();
      if (!s.ok()) {
        core_.log->error("append of {} records failed: {}", stop - begin, s.ToString());
        // Unsynced records of earlier chunks are stored, but with SYNC_FLUSH not durable.
        const size_t first_failed = core_.options.sync_flush ? 0 : begin;
        for (size_t k = first_failed; k < placed.size(); ++k) {
          std::vector<AppendResult>& results = completions[placed[k].completion].results;
          if (placed[k].result >= results.size()) continue;  // handed to the watchdog: see `waiting`
          if (results[placed[k].result].status.ok()) results[placed[k].result].status = s;
        }
        for (Completion& c : waiting)
          for (AppendResult& r : c.results)
            if (r.status.ok()) r.status = s;
        break;
      }
      if (last && sync_last) core_.AdvanceDurable(core_.log_end.load(std::memory_order_relaxed));
      if (last && sync_due) core_.index_synced_end.store(core_.log_end.load(std::memory_order_relaxed));
      begin = stop;
    }
  } catch (const std::exception& e) {
    // Only allocation throws here; what reached LevelDB is unknown, so stop writing.
    core_.broken = Status::IOError(std::string("leveldb: writer failed: ") + e.what());
    core_.log->error("{}", core_.broken.message());
    std::vector<Completion> back = watchdog_.End();
    for (Completion& c : back) waiting.push_back(std::move(c));
    for (Completion& c : completions)
      for (AppendResult& r : c.results) r.status = core_.broken;
    for (Completion& c : waiting)
      for (AppendResult& r : c.results) r.status = core_.broken;
  }
  for (Completion& c : waiting) completions.push_back(std::move(c));
  return completions;
}

Status AppendWriter::WriteChunk(std::vector<Placed>& placed, size_t begin, size_t end, bool sync_records,
                                bool sync_index, int64_t store_ts) {
  // Reused: Clear keeps the buffers, so a steady stream of groups does not reallocate them.
  leveldb::WriteBatch& batch = batch_;
  leveldb::WriteBatch& records = records_batch_;
  batch.Clear();
  records.Clear();
  char ts[8];
  PutBig64(ts, static_cast<uint64_t>(store_ts));
  char record_key[kRecordKeySize];
  record_key[0] = kRecordTag;
  auto put_block = [&](int64_t start, std::string_view bytes) {
    PutBig64(record_key + 1, static_cast<uint64_t>(start));
    records.Put(leveldb::Slice(record_key, sizeof record_key), leveldb::Slice(bytes.data(), bytes.size()));
  };
  // A group assigns each queue's offsets in order, so the entries a chunk adds to a queue
  // are consecutive: one run per queue.
  struct RunBuilder {
    int64_t first;
    std::string entries;
  };
  std::unordered_map<QueueState*, RunBuilder> runs;
  std::string& block = block_buffer_;
  block.clear();
  int64_t block_start = 0;
  char entry[kQueueEntryValueSize];
  for (size_t k = begin; k < end; ++k) {
    const Placed& p = placed[k];
    const AppendRequest& req = *p.request;
    if (!block.empty() && block.size() + req.record.size() > kMaxBlockBytes) {
      put_block(block_start, block);
      block.clear();
    }
    if (block.empty() && req.record.size() >= kMaxBlockBytes) {
      put_block(p.position, req.record);  // a block of its own, without another copy
    } else {
      if (block.empty()) block_start = p.position;
      block.append(req.record);
    }
    EncodeQueueEntry(QueueEntry{p.position, static_cast<int32_t>(req.record.size()), req.tags_code, store_ts},
                     entry);
    runs.try_emplace(p.queue, RunBuilder{p.queue_offset, {}})
        .first->second.entries.append(entry, sizeof entry);
    const int64_t bucket = p.position / core_.key_bucket_size;
    for (std::string_view k_name : SplitIndexKeys(req.keys))
      batch.Put(KeyIndexKey(bucket, req.topic, k_name, p.position), leveldb::Slice(ts, sizeof ts));
  }
  if (!block.empty()) put_block(block_start, block);
  std::string& key = key_buffer_;
  for (const auto& [q, run] : runs) {
    key.assign(1, kQueueEntryTag);
    key.append(q->name);
    AppendBig64(&key, static_cast<uint64_t>(run.first));
    batch.Put(key, run.entries);
    const int64_t max = run.first + static_cast<int64_t>(run.entries.size() / kQueueEntryValueSize);
    batch.Put(QueueStateKey(q->name), EncodeQueueState(q->min_offset.load(std::memory_order_relaxed), max));
  }
  const Placed& last = placed[end - 1];
  const int64_t chunk_end = last.position + static_cast<int64_t>(last.request->record.size());
  batch.Put(LogKey(), EncodeLog(core_.LogValueAt(chunk_end, sync_index)));

  // The records first: an index entry never names a record the records DB lacks.
  if (Status s = core_.WriteRecords(&records, sync_records); !s.ok()) return s;
  if (Status s = core_.WriteIndex(&batch, sync_index); !s.ok()) return s;
  for (const auto& [q, run] : runs)
    q->max_offset.store(run.first + static_cast<int64_t>(run.entries.size() / kQueueEntryValueSize),
                        std::memory_order_release);
  core_.log_end.store(chunk_end, std::memory_order_release);
  core_.records_appended.fetch_add(static_cast<int64_t>(end - begin), std::memory_order_relaxed);
  return Status::OK();
}

void AppendWriter::SyncNow() {
  std::lock_guard write_lock(core_.write_mu);
  if (!core_.db || !core_.broken.ok()) return;
  if (Status s = core_.SyncLocked(/*force=*/false); !s.ok())
    core_.log->error("periodic sync failed: {}", s.ToString());
}

}  // namespace sprocket::leveldb_store
