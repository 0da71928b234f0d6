#include "filelog_store.h"

#include <spdlog/spdlog.h>

#include <exception>

#include "file_util.h"
#include "queue_reader.h"
#include "recovery.h"

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
  if (core.directory->previous_run_crashed())
    logger->warn("{}: the last run did not close the store; cutting any torn log tail and re-indexing "
                 "(full crash recovery with CRC checks is not implemented yet)", o.data_dir);

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
        "filelog: " + o.data_dir + " was written with mapedFileSizeCommitLog=" +
        std::to_string(checkpoint->commit_log_segment_size) + " and mapedFileSizeConsumeQueue=" +
        std::to_string(checkpoint->consume_queue_file_size) + "; the config says " +
        std::to_string(o.commit_log_segment_size) + " and " + std::to_string(o.consume_queue_file_size));

  if (Status s = RecoverStore(core, checkpoint); !s.ok()) return s;
  if (Status s = store->flusher_.FlushAll(); !s.ok()) return s;  // records the sizes used
  store->flusher_.Start();
  store->writer_.Start();
  store->opened_ = true;
  logger->info("{}: opened, log [{}, {}), {} consume queues, {}", o.data_dir, core.commit_log.min_position(),
               core.commit_log.end(), core.queues.All().size(), o.sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH");
  return std::unique_ptr<MessageStore>(std::move(store));
}

FileLogStore::FileLogStore(FileLogOptions options, std::shared_ptr<spdlog::logger> logger)
    : core_(std::move(options), std::move(logger)), flusher_(core_), writer_(core_, flusher_) {}

FileLogStore::~FileLogStore() {
  Close();
  std::lock_guard lock(late_mu_);
  for (std::thread& t : late_) t.join();
}

void FileLogStore::CompleteLate(size_t count, AppendCallback done, Status status) {
  std::lock_guard lock(late_mu_);
  late_.emplace_back([count, done = std::move(done), status = std::move(status), this] {
    std::vector<Completion> c(1);
    c[0].done = done;
    c[0].results.resize(count);
    for (AppendResult& r : c[0].results) r.status = status;
    RunCompletions(c, *core_.log);
  });
}

void FileLogStore::Append(std::vector<AppendRequest> requests, AppendCallback done) {
  const size_t count = requests.size();
  try {
    if (writer_.Submit(requests, done)) return;
    CompleteLate(count, std::move(done), Status::Aborted("filelog: the store is closed"));
  } catch (const std::exception& e) {
    core_.log->error("append: {}", e.what());
    if (done) CompleteLate(count, std::move(done), Status::Busy(std::string("filelog: ") + e.what()));
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
    return ReadQueueRecords(core_.commit_log, *q, from.value, limits, filter, *core_.log);
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
    return Status::IOError(std::string("filelog: read at ") + std::to_string(position.value) + ": " + e.what());
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
  return s;
}

Status FileLogStore::Close() {
  std::lock_guard lock(close_mu_);
  if (closed_) return close_status_;
  closed_ = true;
  if (!opened_) return close_status_;  // Open failed part-way: nothing to flush or mark
  try {
    writer_.Stop();   // stores everything already queued; later appends complete Aborted
    flusher_.Stop();  // final fsync; completes the SYNC_FLUSH waiters
    close_status_ = flusher_.FlushAll(/*clean_shutdown=*/true);
    if (close_status_.ok()) close_status_ = core_.directory->MarkCleanShutdown();
  } catch (const std::exception& e) {
    close_status_ = Status::IOError(std::string("filelog: close: ") + e.what());
  }
  if (close_status_.ok()) {
    core_.log->info("{}: closed cleanly at log position {}", core_.options.data_dir, core_.commit_log.end());
  } else {
    core_.log->error("{}: close failed, the next open will recover: {}", core_.options.data_dir,
                     close_status_.ToString());
  }
  return close_status_;
}

// Not built yet in this version: see README.md "Known limits".
Result<std::vector<LogPosition>> FileLogStore::LookupKey(std::string_view, std::string_view, int64_t, int64_t,
                                                         int32_t) {
  return Status::NotSupported("not implemented: filelog key index");
}
Result<LogChunk> FileLogStore::ReadLog(LogPosition, int64_t) {
  return Status::NotSupported("not implemented: filelog ReadLog");
}
Status FileLogStore::AppendReplica(LogPosition, ByteView) {
  return Status::NotSupported("not implemented: filelog AppendReplica");
}
Status FileLogStore::TruncateLog(LogPosition) { return Status::NotSupported("not implemented: filelog TruncateLog"); }
Result<RetentionResult> FileLogStore::DeleteExpired(const RetentionPolicy&) {
  return Status::NotSupported("not implemented: filelog retention");
}

}  // namespace sprocket::filelog
