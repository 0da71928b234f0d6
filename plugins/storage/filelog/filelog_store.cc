#include "filelog_store.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "file_util.h"
#include "queue_reader.h"
#include "record_format.h"
#include "recovery.h"
#include "replication.h"
#include "retention.h"

namespace sprocket::filelog {

Result<std::unique_ptr<MessageStore>> FileLogStore::Open(PluginHost& host) {
  Result<FileLogOptions> options = FileLogOptions::FromHost(host);
  if (!options.ok()) return options.status();
  std::shared_ptr<spdlog::logger> logger = host.Logger("store");
  if (!logger) return Status::InvalidArgument("filelog: the host gave no logger");
  const FileLogOptions& o = *options;
  for (const char* sub : {"", "commitlog", "consumequeue"})
    if (Status s = CreateDirs(JoinPath(o.data_dir, sub)); !s.ok()) return s;

  std::unique_ptr<FileLogStore> store(new FileLogStore(*options, logger));
  StoreCore& core = store->core_;
  Result<std::unique_ptr<StoreDirectory>> dir = StoreDirectory::Open(o.data_dir);
  if (!dir.ok()) return dir.status();
  core.directory = std::move(*dir);
  const bool crashed = core.directory->previous_run_crashed();
  if (crashed) logger->warn("{}: the last run did not close the store: recovering", o.data_dir);

  if (o.index_enable) {
    KeyIndexOptions io;
    io.dir = JoinPath(o.data_dir, "index");
    io.max_hash_slots = static_cast<int32_t>(o.max_hash_slots);
    io.max_index_count = static_cast<int32_t>(o.max_index_count);
    Result<std::unique_ptr<KeyIndex>> index = KeyIndex::Open(io, logger);
    if (!index.ok()) return index.status();
    core.index = std::move(*index);
  }

  Result<std::optional<CheckpointData>> cp = core.directory->ReadCheckpoint();
  std::optional<CheckpointData> checkpoint;
  if (!cp.ok()) {
    logger->warn("{}; ignoring it", cp.status().ToString());
  } else {
    checkpoint = *cp;
  }
  if (checkpoint && (checkpoint->commit_log_segment_size != o.commit_log_segment_size ||
                     checkpoint->consume_queue_file_size != o.consume_queue_file_size))
    return Status::InvalidArgument(
        "filelog: " + o.data_dir +
        " was written with mapedFileSizeCommitLog=" + std::to_string(checkpoint->commit_log_segment_size) +
        " and mapedFileSizeConsumeQueue=" + std::to_string(checkpoint->consume_queue_file_size) +
        "; the config says " + std::to_string(o.commit_log_segment_size) + " and " +
        std::to_string(o.consume_queue_file_size));

  if (Status s = RecoverStore(core, checkpoint, crashed); !s.ok()) return s;
  core.dispatched_end.store(core.commit_log.end(), std::memory_order_release);
  if (Status s = store->flusher_.FlushAll(); !s.ok()) return s;  // records the sizes used
  store->flusher_.Start();
  store->allocator_.Start();
  store->dispatcher_.Start();
  store->writer_.Start();
  store->trimmer_.Start();
  store->prefetcher_.Start();
  store->opened_ = true;
  logger->info("{}: opened, log [{}, {}), {} consume queues, {}", o.data_dir, core.commit_log.min_position(),
               core.commit_log.end(), core.queues.All().size(), o.sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH");
  return std::unique_ptr<MessageStore>(std::move(store));
}

FileLogStore::FileLogStore(FileLogOptions options, std::shared_ptr<spdlog::logger> logger)
    : core_(std::move(options), std::move(logger)),
      flusher_(core_),
      allocator_(core_.commit_log.files(), core_.log),
      dispatcher_(core_),
      writer_(core_, flusher_, allocator_, dispatcher_),
      trimmer_(core_.commit_log, core_.options.page_cache_window_bytes, core_.log) {}

FileLogStore::~FileLogStore() {
  Close();
  late_.Join();
}

void FileLogStore::Append(std::vector<AppendRequest> requests, AppendCallback done) {
  const size_t count = requests.size();
  try {
    if (writer_.Submit(requests, done)) return;
    late_.Complete(count, std::move(done), Status::Aborted("filelog: the store is closed"), *core_.log);
  } catch (const std::exception& e) {
    core_.log->error("append: {}", e.what());
    late_.Complete(count, std::move(done), Status::Busy(std::string("filelog: ") + e.what()), *core_.log);
  }
}

ReadQueueResult FileLogStore::ReadQueue(std::string_view topic, int32_t queue_id, QueueOffset from,
                                        const ReadLimits& limits, const TagFilter& filter) {
  try {
    std::shared_ptr<ConsumeQueue> q = core_.queues.Find(topic, queue_id);
    if (!q) {
      ReadQueueResult r;
      r.outcome = ReadOutcome::kNoMatchedLogicQueue;
      return r;
    }
    ReadSettings settings;
    settings.memory_window = core_.options.memory_window_bytes;
    settings.prefetcher = &prefetcher_;
    return ReadQueueRecords(core_.commit_log, *q, from.value, limits, filter, settings, *core_.log);
  } catch (const std::exception& e) {
    core_.log->error("read {}/{} from {}: {}", topic, queue_id, from.value, e.what());
    ReadQueueResult r;
    r.outcome = ReadOutcome::kNoMatchedMessage;  // nothing now; the caller retries from `from`
    r.next_offset = from;
    return r;
  }
}

QueueRangeResult FileLogStore::QueueRange(std::string_view topic, int32_t queue_id) {
  QueueRangeResult r;
  if (std::shared_ptr<ConsumeQueue> q = core_.queues.Find(topic, queue_id)) {
    r.min_offset = QueueOffset(q->min_offset());
    r.max_offset = QueueOffset(q->max_offset());
  }
  return r;
}

QueueOffset FileLogStore::OffsetForTime(std::string_view topic, int32_t queue_id, int64_t timestamp_ms) {
  std::shared_ptr<ConsumeQueue> q = core_.queues.Find(topic, queue_id);
  if (!q) return QueueOffset(0);
  try {
    return QueueOffset(FindOffsetForTime(core_.commit_log, *q, timestamp_ms));
  } catch (const std::exception& e) {
    core_.log->error("offset for time {}/{}: {}", topic, queue_id, e.what());
    return QueueOffset(q->max_offset());
  }
}

Result<RecordRead> FileLogStore::ReadAt(LogPosition position) {
  try {
    return core_.commit_log.ReadAt(position.value);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("filelog: read at ") + std::to_string(position.value) + ": " +
                           e.what());
  }
}

std::vector<std::pair<std::string, int32_t>> FileLogStore::ListQueues() {
  std::vector<std::pair<std::string, int32_t>> out;
  for (const auto& q : core_.queues.All())
    if (q->max_offset() > 0) out.emplace_back(q->topic(), q->queue_id());
  return out;
}

Status FileLogStore::Flush() {
  try {
    return flusher_.FlushAll();
  } catch (const std::exception& e) {
    return Status::IOError(std::string("filelog: flush: ") + e.what());
  }
}

StoreStats FileLogStore::Stats() {
  StoreStats s;
  s.log_min = LogPosition(core_.commit_log.min_position());
  s.log_end = LogPosition(core_.commit_log.end());
  s.durable_end = LogPosition(core_.commit_log.durable_end());
  s.records_appended = core_.records_appended.load(std::memory_order_relaxed);
  for (const auto& seg : core_.commit_log.files().Snapshot()) s.disk_bytes += seg->DiskBytes();
  s.syncs = core_.commit_log.files().sync_calls() + core_.directory->checkpoint_writes();
  if (core_.index) s.disk_bytes += core_.index->DiskBytes();
  for (const auto& q : core_.queues.All()) {
    s.disk_bytes += q->DiskBytes();
    s.syncs += q->sync_calls();
  }
  return s;
}

Status FileLogStore::Close() {
  std::lock_guard maintenance(maintenance_mu_);  // a retention pass in progress finishes first
  std::lock_guard lock(close_mu_);
  if (closed_) return close_status_;
  closed_ = true;
  if (!opened_) return close_status_;  // Open failed part-way: nothing to flush or mark
  try {
    trimmer_.Stop();
    prefetcher_.Stop();
    writer_.Stop();      // stores everything already queued; later appends complete Aborted
    dispatcher_.Stop();  // their keys indexed, ASYNC_FLUSH callbacks run
    allocator_.Stop();
    flusher_.Stop();  // final fsync; completes the SYNC_FLUSH waiters
    close_status_ = flusher_.FlushAll(/*clean_shutdown=*/true);
    if (core_.index) {
      Status s = core_.index->Close();
      if (close_status_.ok()) close_status_ = s;
    }
    if (close_status_.ok()) close_status_ = core_.directory->MarkCleanShutdown();
  } catch (const std::exception& e) {
    close_status_ = Status::IOError(std::string("filelog: close: ") + e.what());
  }
  if (close_status_.ok()) {
    core_.log->info("{}: closed cleanly at log position {} ({} records appended, {} commit-log fsyncs)",
                    core_.options.data_dir, core_.commit_log.end(), core_.records_appended.load(),
                    core_.commit_log.files().sync_calls());
  } else {
    core_.log->error("{}: close failed, the next open will recover: {}", core_.options.data_dir,
                     close_status_.ToString());
  }
  return close_status_;
}

Result<std::vector<LogPosition>> FileLogStore::LookupKey(std::string_view topic, std::string_view key,
                                                         int64_t begin_ms, int64_t end_ms,
                                                         int32_t max_results) {
  if (!core_.index) return Status::NotSupported("filelog: the key index is off (messageIndexEnable=false)");
  if (max_results <= 0) return std::vector<LogPosition>{};
  try {
    // The index keeps store times to the second and keys as hashes: each candidate is read
    // and kept only if it is this topic's record, carries the key and was stored in range.
    auto matches = [&](LogPosition p) {
      Result<RecordRead> rec = core_.commit_log.ReadAt(p.value);  // also gone when deleted or cut
      if (!rec.ok()) return false;
      Result<RecordFields> f = ParseRecord(std::string_view(rec->record.data, rec->record.size));
      if (!f.ok() || f->topic != topic || f->store_timestamp < begin_ms || f->store_timestamp > end_ms)
        return false;
      const std::string keys = KeysFromRecord(*f);
      for (size_t at = 0; at <= keys.size();) {
        const size_t sp = std::min(keys.find(' ', at), keys.size());
        if (std::string_view(keys).substr(at, sp - at) == key) return true;
        at = sp + 1;
      }
      return false;
    };
    // Every record acknowledged before this call is in the index first (its keys are added
    // by the dispatcher, which may trail a SYNC_FLUSH acknowledgement).
    if (!dispatcher_.WaitFor(dispatcher_.submitted(), std::chrono::seconds(5)))
      core_.log->warn("key lookup: the key index is more than 5 s behind; the newest records may be missing");
    // Candidates come newest first; ask for more while misses may have pushed matches out.
    std::vector<LogPosition> out;
    for (int64_t asked = max_results;; asked = std::min<int64_t>(asked * 4, INT32_MAX)) {
      Result<std::vector<LogPosition>> found =
          core_.index->Lookup(topic, key, begin_ms, end_ms, static_cast<int32_t>(asked));
      if (!found.ok()) return found;
      out.clear();
      for (LogPosition p : *found) {
        if (static_cast<int32_t>(out.size()) >= max_results) break;
        if (matches(p)) out.push_back(p);
      }
      if (static_cast<int32_t>(out.size()) >= max_results || static_cast<int64_t>(found->size()) < asked ||
          asked == INT32_MAX)
        return out;
    }
  } catch (const std::exception& e) {
    return Status::IOError(std::string("filelog: key lookup: ") + e.what());
  }
}

Result<LogChunk> FileLogStore::ReadLog(LogPosition from, int64_t max_bytes) {
  try {
    return core_.commit_log.ReadLog(from.value, max_bytes);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("filelog: read log at ") + std::to_string(from.value) + ": " +
                           e.what());
  }
}
Status FileLogStore::AppendReplica(LogPosition at, ByteView chunk) {
  try {
    std::lock_guard maintenance(maintenance_mu_);
    WriterParts parts{core_, writer_, allocator_, flusher_, dispatcher_};
    return writer_.RunTask([&] { return AppendReplicaOnWriter(parts, at.value, chunk); });
  } catch (const std::exception& e) {
    return Status::IOError(std::string("filelog: append replica: ") + e.what());
  }
}

Status FileLogStore::TruncateLog(LogPosition position) {
  try {
    std::lock_guard maintenance(maintenance_mu_);
    WriterParts parts{core_, writer_, allocator_, flusher_, dispatcher_};
    return writer_.RunTask([&] { return TruncateLogOnWriter(parts, position.value); });
  } catch (const std::exception& e) {
    return Status::IOError(std::string("filelog: truncate log: ") + e.what());
  }
}
Result<RetentionResult> FileLogStore::DeleteExpired(const RetentionPolicy& policy) {
  try {
    std::lock_guard maintenance(maintenance_mu_);
    {
      std::lock_guard lock(close_mu_);
      if (closed_) return Status::Aborted("filelog: the store is closed");
    }
    Result<RetentionResult> r = DeleteExpiredSegments(core_, policy);
    if (!r.ok()) return r;
    // The next recovery must not look for the deleted segments.
    if (r->units_deleted > 0)
      if (Status s = flusher_.FlushAll(); !s.ok()) return s;
    return r;
  } catch (const std::exception& e) {
    return Status::IOError(std::string("filelog: retention: ") + e.what());
  }
}

}  // namespace sprocket::filelog
