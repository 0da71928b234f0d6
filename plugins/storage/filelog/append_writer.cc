#include "append_writer.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>

#include "big_endian.h"
#include "dispatcher.h"
#include "flusher.h"
#include "record_format.h"
#include "segment_allocator.h"

namespace sprocket::filelog {

AppendWriter::AppendWriter(StoreCore& core, Flusher& flusher, SegmentAllocator& allocator,
                           Dispatcher& dispatcher)
    : core_(core), flusher_(flusher), allocator_(allocator), dispatcher_(dispatcher) {}

AppendWriter::~AppendWriter() { Stop(); }

void AppendWriter::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "filelog-writer");
    Run();
  });
}

bool AppendWriter::Submit(std::vector<AppendRequest>& requests, AppendCallback& done) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    // Grow first: if that throws, the caller still owns `done` and can complete it.
    if (pending_.size() == pending_.capacity())
      pending_.reserve(std::max<size_t>(16, 2 * pending_.capacity()));
    pending_.push_back(Pending{std::move(requests), std::move(done)});
    wake = waiting_;  // a busy writer finds the append when it takes the next batch
    waiting_ = false;
  }
  if (wake) cv_.notify_one();
  return true;
}

Status AppendWriter::RunTask(const std::function<Status()>& task) {
  Status status;
  bool done = false;
  std::unique_lock lock(mu_);
  if (stopping_) return Status::Aborted("filelog: the store is closed");
  Pending p;
  p.task = &task;
  p.task_status = &status;
  p.task_done = &done;
  pending_.push_back(std::move(p));
  waiting_ = false;
  cv_.notify_one();
  task_cv_.wait(lock, [&] { return done; });
  return status;
}

void AppendWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void AppendWriter::Run() {
  std::vector<Pending> batch;
  std::vector<Pending> appends;
  while (true) {
    bool stop = false;
    {
      std::unique_lock lock(mu_);
      auto ready = [this] { return !pending_.empty() || stopping_; };
      if (!ready()) {
        waiting_ = true;
        // Sleep until work arrives or the oldest SYNC_FLUSH waiter is due to time out.
        if (auto deadline = core_.sync_waiters.EarliestDeadline()) {
          cv_.wait_until(lock, *deadline, ready);
        } else {
          cv_.wait(lock, ready);
        }
        waiting_ = false;
      }
      batch.swap(pending_);
      stop = stopping_ && batch.empty();
    }
    // Appends are processed in runs between tasks, so a task sees everything queued before it.
    for (size_t i = 0; i < batch.size();) {
      size_t j = i;
      while (j < batch.size() && batch[j].task == nullptr) appends.push_back(std::move(batch[j++]));
      if (!appends.empty()) {
        try {
          Process(appends);
        } catch (const std::exception& e) {
          FailBatch(appends, e.what());
        }
        appends.clear();
      }
      if (j < batch.size()) {
        Pending& t = batch[j++];
        Status s;
        try {
          s = (*t.task)();
        } catch (const std::exception& e) {
          s = Status::IOError(std::string("filelog: ") + e.what());
        }
        {
          std::lock_guard lock(mu_);
          *t.task_status = std::move(s);
          *t.task_done = true;
        }
        task_cv_.notify_all();
      }
      i = j;
    }
    batch.clear();
    std::vector<Completion> expired = core_.sync_waiters.TakeExpired(Clock::now());
    RunCompletions(expired, *core_.log);
    if (stop) break;
  }
}

void AppendWriter::FailBatch(std::vector<Pending>& batch, const std::string& why) {
  // Only allocation can throw in Process; the batch's state is unknown, so stop writing.
  core_.log->error("filelog writer: {}", why);
  broken_ = Status::IOError("filelog: writer failed: " + why);
  std::vector<Completion> failed;
  for (Completion& c : in_flight_) {
    if (!c.done) continue;
    for (AppendResult& r : c.results) r.status = broken_;
    failed.push_back(std::move(c));
  }
  for (Pending& p : batch) {
    if (!p.done) continue;
    failed.push_back(Completion{std::move(p.done), std::vector<AppendResult>(p.requests.size())});
    for (AppendResult& r : failed.back().results) r.status = broken_;
  }
  in_flight_.clear();
  RunCompletions(failed, *core_.log);
}

Status AppendWriter::Validate(const AppendRequest& r) const {
  if (Status s = storage_common::CheckAppendRequest(
          r, core_.options.MaxRecordSize(), "maxMessageSize + 64 KiB, and what fits one commit-log segment");
      !s.ok())
    return s;
  if (!IsStorableTopic(r.topic) || r.queue_id < 0)
    return Status::MessageIllegal("topic '" + r.topic + "' queue " + std::to_string(r.queue_id) +
                                  " cannot be stored");
  return Status::OK();
}

int64_t AppendWriter::NextStoreTimestamp() {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  // Never backwards, even if the wall clock is: OffsetForTime binary-searches these.
  last_store_timestamp_ = std::max(now, last_store_timestamp_);
  return last_store_timestamp_;
}

Result<std::shared_ptr<ConsumeQueue>> AppendWriter::Queue(std::string_view topic, int32_t queue_id) {
  if (last_queue_ && last_queue_->queue_id() == queue_id && last_queue_->topic() == topic) return last_queue_;
  Result<std::shared_ptr<ConsumeQueue>> q = core_.queues.FindOrCreate(topic, queue_id);
  if (q.ok()) last_queue_ = *q;
  return q;
}

void AppendWriter::AfterLogMoved() {
  // Everything below the published end has its queue entries published: the flusher may
  // checkpoint up to here.
  core_.dispatched_end.store(core_.commit_log.end(), std::memory_order_release);
  // The next segment is prepared once the current one is half full: early enough for the
  // allocator (a 1 GiB fallocate takes milliseconds), late enough that a store holding
  // little data does not reserve a second segment's disk space.
  const int64_t pos = core_.commit_log.write_position();
  const int64_t start = core_.commit_log.SegmentStart(pos);
  const int64_t next = start + core_.commit_log.segment_size();
  if (pos - start >= core_.commit_log.segment_size() / 2 && next != requested_segment_) {
    requested_segment_ = next;
    allocator_.Request(next);
  }
}

void AppendWriter::Process(std::vector<Pending>& batch) {
  const int64_t store_ts = NextStoreTimestamp();
  LogBatch log_batch;
  std::vector<std::shared_ptr<ConsumeQueue>> touched;
  std::vector<Completion>& completions = in_flight_;  // a member, so Run can fail them on a throw
  completions.clear();
  completions.reserve(batch.size());
  int64_t stored = 0;

  for (Pending& p : batch) {
    Completion& c = completions.emplace_back();
    c.results.resize(p.requests.size());
    c.done = std::move(p.done);
    p.done = nullptr;
    for (size_t i = 0; i < p.requests.size(); ++i) {
      AppendRequest& req = p.requests[i];
      AppendResult& res = c.results[i];
      res.size = static_cast<int32_t>(std::min<size_t>(req.record.size(), INT32_MAX));
      if (!broken_.ok()) {
        res.status = broken_;
        continue;
      }
      if (Status v = Validate(req); !v.ok()) {
        res.status = std::move(v);
        continue;
      }
      Result<std::shared_ptr<ConsumeQueue>> q = Queue(req.topic, req.queue_id);
      if (!q.ok()) {
        res.status = q.status();
        continue;
      }
      Result<int64_t> position = core_.commit_log.Reserve(res.size, &log_batch);
      if (!position.ok()) {  // no segment to put it in (disk full): nothing was reserved
        res.status = Status::IOError("filelog: " + position.status().ToString());
        continue;
      }
      const int64_t queue_offset = (*q)->next_offset();
      char* rec = req.record.data();
      PutInt64(rec + kQueueOffsetField, queue_offset);
      PutInt64(rec + kLogPositionField, *position);
      PutInt64(rec + req.store_timestamp_field, store_ts);
      log_batch.AddRecord(*position, rec, req.record.size(), store_ts);
      if (!(*q)->has_staged()) touched.push_back(*q);
      (*q)->Stage(CqEntry{*position, res.size, req.tags_code});
      res.queue_offset = QueueOffset(queue_offset);
      res.position = LogPosition(*position);
      res.store_timestamp = store_ts;
      ++stored;
    }
  }

  if (!log_batch.empty()) {
    Status written = core_.commit_log.Write(log_batch);
    for (const auto& q : touched)
      if (written.ok()) written = q->WriteStaged();
    if (!written.ok()) {
      broken_ = Status::IOError(
          "filelog: appends stopped after a write failure (reopen the store to "
          "recover): " +
          written.ToString());
      core_.log->error("{}", broken_.message());
      for (Completion& c : completions)
        for (AppendResult& r : c.results)
          if (r.status.ok()) r.status = written;
      RunCompletions(completions, *core_.log);
      completions.clear();
      return;
    }
    core_.commit_log.Publish();
    for (const auto& q : touched) q->Publish();
    AfterLogMoved();
    core_.records_appended.fetch_add(stored, std::memory_order_relaxed);
  }

  // The rest is the dispatcher's: index keys, ASYNC_FLUSH callbacks, freeing the records.
  DispatchWork work;
  if (core_.index) {
    work.index.reserve(static_cast<size_t>(stored));
    for (size_t b = 0; b < batch.size(); ++b)
      for (size_t i = 0; i < batch[b].requests.size(); ++i) {
        const AppendResult& res = completions[b].results[i];
        AppendRequest& req = batch[b].requests[i];
        if (res.status.ok())
          work.index.push_back({std::move(req.topic), std::move(req.keys), res.position.value, store_ts});
      }
  }
  work.garbage.reserve(batch.size());
  for (Pending& p : batch) work.garbage.push_back(std::move(p.requests));
  if (!core_.options.sync_flush || stored == 0) {
    work.completions = std::move(completions);
    completions.clear();
    dispatcher_.Submit(std::move(work));
    return;
  }
  dispatcher_.Submit(std::move(work));
  // SYNC_FLUSH: whatever stored something waits for the fsync covering this batch.
  const int64_t target = core_.commit_log.write_position();
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(core_.options.sync_flush_timeout_ms);
  std::vector<Completion> now;
  for (Completion& c : completions) {
    bool any =
        std::any_of(c.results.begin(), c.results.end(), [](const AppendResult& r) { return r.status.ok(); });
    if (any) {
      core_.sync_waiters.Add(target, deadline, std::move(c));
    } else {
      now.push_back(std::move(c));
    }
    c.done = nullptr;
  }
  completions.clear();
  flusher_.WakeForSync();
  RunCompletions(now, *core_.log);
}

}  // namespace sprocket::filelog
