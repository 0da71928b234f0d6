#include "recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "big_endian.h"
#include "log_scanner.h"
#include "record_format.h"

namespace sprocket::filelog {

namespace {

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

// Without a checkpoint, where the first segment's first record starts: its start, unless it
// begins with zeros (a follower's log that started inside the segment), then the first
// position after them that holds a record header naming itself.
int64_t FirstRecordIn(const Segment& seg) {
  const char* p = seg.data();
  const int64_t n = seg.capacity();
  int64_t q = 0;
  while (q < n && p[q] == 0) ++q;
  // TOTALSIZE's high bytes are zeros for every record: the header starts up to 3 bytes before.
  for (int64_t at = std::max<int64_t>(0, q - 3); at <= q && at + kMinRecordSize + kBlankSize <= n; ++at) {
    if (GetInt32(p + at + kMagicField) == kMessageMagic &&
        GetInt64(p + at + kPhysicalOffsetField) == seg.start() + at)
      return seg.start() + at;
  }
  return seg.start();
}

struct LogBounds {
  int64_t min = 0;
  int64_t end = 0;
  int64_t scanned_from = 0;
};

// Steps 1 and 2.
Result<LogBounds> RecoverLog(StoreCore& core, const std::optional<CheckpointData>& cp, bool crashed) {
  SegmentedFile& files = core.commit_log.files();
  const int64_t seg_size = files.segment_size();
  const auto segments = files.Snapshot();
  LogBounds b;
  if (segments.empty()) {
    // No data. Positions must never go back (offsetMsgIds name them): continue where the
    // checkpoint saw the log, at a segment boundary unless nothing was ever written there.
    const int64_t seen = cp ? std::max(cp->log_min, cp->log_durable_end) : 0;
    b.min = b.end = b.scanned_from =
        (cp && seen == cp->log_min) ? seen : (seen + seg_size - 1) / seg_size * seg_size;
    return b;
  }
  const Segment& first = *segments.front();
  if (cp && first.Contains(cp->log_min)) {
    b.min = cp->log_min;
  } else {
    if (cp && cp->log_min > first.start())
      core.log->warn("commitlog: checkpoint says the log starts at {}, but {} is still there; starting there",
                     cp->log_min, first.path());
    b.min = cp ? first.start() : FirstRecordIn(first);
  }
  int64_t from = cp ? std::max(b.min, cp->log_durable_end) : b.min;
  if (from > segments.back()->end()) {
    core.log->error(
        "commitlog: the checkpoint saw the log durable up to {}, the files end at {}: data was lost", from,
        segments.back()->end());
    from = std::max(b.min, segments.back()->start());
  }
  b.scanned_from = from;

  LogScanner scanner(files, from, kNoLimit, /*may_be_torn=*/true);
  LogScanner::Record record;
  LogScanner::Step step;
  int64_t records = 0;
  while ((step = scanner.Next(&record)) == LogScanner::Step::kRecord) ++records;
  b.end = scanner.position();
  if (step == LogScanner::Step::kInvalid)
    core.log->warn("commitlog: cutting the log at {}: {}", b.end, scanner.error());
  // After a crash the bytes past the end may hold a torn record or pages written out of
  // order; they must never be read as records by a later recovery, so they become zeros.
  // After a clean shutdown they are zeros already; only segments past the end go.
  const bool zero = crashed || step == LogScanner::Step::kInvalid;
  if (Status s = files.TruncateFrom(b.end, zero ? kNoLimit : b.end); !s.ok()) return s;
  // Make what the files hold below the end durable once (a killed process left it in the
  // page cache, maybe not on disk).
  files.SetSynced(std::min(from, b.end));
  if (Status s = files.Sync(b.end); !s.ok()) return s;
  files.SetSynced(b.end);
  if (records > 0 || from != b.end)
    core.log->info("commitlog: {} records checked (CRC) from position {}, log ends at {}", records, from,
                   b.end);
  return b;
}

// Step 4's key-index adds, StoreCore::kIndexBatch records at a time. The topics and keys
// are copied into one reused buffer (the keys are built from the record's properties).
class IndexBatcher {
 public:
  explicit IndexBatcher(StoreCore& core) : core_(core) {}

  void Add(const RecordFields& f, int64_t position) {
    Pending p;
    p.topic_at = bytes_.size();
    bytes_.append(f.topic);
    p.keys_at = bytes_.size();
    bytes_.append(KeysFromRecord(f));
    p.keys_end = bytes_.size();
    p.position = position;
    p.store_timestamp = f.store_timestamp;
    pending_.push_back(p);
    if (pending_.size() >= StoreCore::kIndexBatch) Flush();
  }

  void Flush() {
    if (pending_.empty()) return;
    const std::string_view bytes = bytes_;
    records_.clear();
    for (const Pending& p : pending_) {
      records_.push_back({bytes.substr(p.topic_at, p.keys_at - p.topic_at),
                          bytes.substr(p.keys_at, p.keys_end - p.keys_at), LogPosition(p.position),
                          p.store_timestamp});
    }
    core_.IndexBatch(records_);
    pending_.clear();
    records_.clear();
    bytes_.clear();
  }

 private:
  struct Pending {
    size_t topic_at = 0;
    size_t keys_at = 0;
    size_t keys_end = 0;
    int64_t position = 0;
    int64_t store_timestamp = 0;
  };
  StoreCore& core_;
  std::string bytes_;
  std::vector<Pending> pending_;
  std::vector<KeyIndex::Record> records_;
};

// Step 4: consume-queue entries of records from cq_from on, index keys from index_from on.
Status Redispatch(StoreCore& core, int64_t cq_from, int64_t index_from, int64_t log_end) {
  const int64_t from = std::min(cq_from, index_from);
  if (from >= log_end) return Status::OK();
  LogScanner scanner(core.commit_log.files(), from, log_end, /*may_be_torn=*/false);
  LogScanner::Record rec;
  LogScanner::Step step;
  std::map<ConsumeQueue*, std::shared_ptr<ConsumeQueue>> touched;
  int64_t added = 0;
  int64_t scanned = 0;
  IndexBatcher index(core);
  while ((step = scanner.Next(&rec)) == LogScanner::Step::kRecord) {
    ++scanned;
    const RecordFields& f = rec.fields;
    if (rec.position >= index_from) index.Add(f, rec.position);  // the index skips what it holds
    if (rec.position < cq_from) continue;
    Result<std::shared_ptr<ConsumeQueue>> found = core.queues.FindOrCreate(f.topic, f.queue_id);
    if (!found.ok()) {
      core.log->warn("re-dispatch: record at {} skipped: {}", rec.position, found.status().ToString());
      continue;
    }
    ConsumeQueue& q = **found;
    if (f.queue_offset < q.next_offset()) continue;  // already indexed
    if (f.queue_offset > q.next_offset()) {
      if (q.next_offset() > q.min_offset())
        core.log->warn("re-dispatch: the log lacks records [{}, {}) of {}; they stay holes", q.next_offset(),
                       f.queue_offset, q.name());
      if (Status s = q.SkipTo(f.queue_offset); !s.ok()) return s;
    }
    q.Stage(CqEntry{rec.position, f.total_size, TagsCodeFromRecord(f, core.options.delay_level_ms)});
    ++added;
    touched.emplace(&q, *found);
    if (q.staged_bytes() >= 64 * 1024) {
      if (Status s = q.WriteStaged(); !s.ok()) return s;
    }
  }
  // The log was validated up to log_end a moment ago; anything else is damage further back.
  if (step == LogScanner::Step::kInvalid)
    core.log->error("re-dispatch stopped, records after it are not indexed: {}", scanner.error());
  index.Flush();
  for (auto& [raw, q] : touched) {
    if (Status s = q->WriteStaged(); !s.ok()) return s;
    q->Publish();
  }
  core.log->info("re-dispatch: scanned {} records from position {}, added {} consume-queue entries", scanned,
                 from, added);
  return Status::OK();
}

}  // namespace

Status RecoverStore(StoreCore& core, const std::optional<CheckpointData>& checkpoint, bool crashed) {
  if (Status s = core.commit_log.files().Load(); !s.ok()) return s;
  Result<LogBounds> log = RecoverLog(core, checkpoint, crashed);
  if (!log.ok()) return log.status();
  core.commit_log.SetMin(log->min);
  core.commit_log.ResetEnd(log->end);
  if (checkpoint && log->end < checkpoint->log_durable_end)
    core.log->error(
        "commitlog ends at {} but the checkpoint recorded it durable up to {}: acknowledged "
        "records were lost",
        log->end, checkpoint->log_durable_end);

  // Without a checkpoint nothing in the queues is known durable: rebuild them all.
  int64_t cq_from = checkpoint ? std::clamp(checkpoint->cq_durable_position, log->min, log->end) : log->min;
  std::vector<std::pair<std::string, int64_t>> cut;
  if (Status s = core.queues.LoadAll(core.commit_log, cq_from, crashed || !checkpoint, &cut); !s.ok())
    return s;
  for (const auto& [name, n] : cut) core.log->warn("{}: dropped {} entries past its durable end", name, n);
  const auto queues = core.queues.All();
  if (queues.empty()) cq_from = log->min;  // consumequeue/ was deleted: rebuild every queue
  for (const auto& q : queues) {
    // Entries of records below the log's start (retention, or a cut) are not readable.
    if (Result<int64_t> freed = q->DeleteBelow(log->min); !freed.ok()) return freed.status();
  }
  // The key index keeps its own durable end; entries of records past the log's end go.
  int64_t index_from = log->end;
  if (core.index) {
    if (Status s = core.index->TruncateFrom(LogPosition(log->end)); !s.ok()) return s;
    index_from = std::clamp(core.index->DurableEnd().value, log->min, log->end);
  }
  return Redispatch(core, cq_from, index_from, log->end);
}

}  // namespace sprocket::filelog
