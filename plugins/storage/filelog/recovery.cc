#include "recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <map>

#include "log_scanner.h"
#include "record_format.h"

namespace sprocket::filelog {

namespace {

// Step 1. Returns the end of the valid records and cuts what follows.
Result<int64_t> RecoverLogEnd(StoreCore& core, const std::optional<CheckpointData>& checkpoint) {
  SegmentedFile& files = core.commit_log.files();
  const auto segments = files.Snapshot();
  if (segments.empty()) {
    // No data. Positions must never go back (offsetMsgIds name them), so a log whose files
    // are all gone continues at the next segment boundary after what the checkpoint saw.
    const int64_t seen = checkpoint ? checkpoint->log_durable_end : 0;
    const int64_t seg = files.segment_size();
    return (seen + seg - 1) / seg * seg;
  }
  const int64_t scan_from = segments[segments.size() >= 2 ? segments.size() - 2 : 0]->start();
  LogScanner scanner(files, scan_from, std::numeric_limits<int64_t>::max());
  LogScanner::Record record;
  LogScanner::Step step;
  int64_t records = 0;
  while ((step = scanner.Next(&record)) == LogScanner::Step::kRecord) ++records;
  const int64_t end = scanner.position();

  int64_t stored = 0;  // bytes the files hold at and after `end`
  for (const auto& seg : segments) {
    Result<int64_t> size = seg->FileSize();
    if (!size.ok()) return size.status();
    stored += std::max<int64_t>(0, seg->start() + *size - std::max(end, seg->start()));
  }
  if (step == LogScanner::Step::kInvalid) {
    core.log->warn("commitlog: cutting {} bytes from position {}: {}", stored, end, scanner.error());
  } else if (stored > 0) {
    core.log->warn("commitlog: cutting {} unused bytes from position {}", stored, end);
  }
  if (Status s = files.TruncateFrom(end); !s.ok()) return s;
  // What the files hold now is what the next run will find: make the tail durable once.
  files.SetSynced(std::min(scan_from, end));
  if (Status s = files.Sync(end); !s.ok()) return s;
  core.log->info("commitlog: {} records checked from position {}, log ends at {}", records, scan_from, end);
  return end;
}

// Step 3.
Status Redispatch(StoreCore& core, int64_t log_end) {
  const int64_t log_min = core.commit_log.min_position();
  const auto queues = core.queues.All();
  int64_t from = queues.empty() ? log_min : log_end;
  for (const auto& q : queues)
    from = std::min(from, q->max_offset() > q->min_offset() ? q->last_entry_end() : log_min);
  from = std::clamp(from, log_min, log_end);
  if (from == log_end) return Status::OK();

  LogScanner scanner(core.commit_log.files(), from, log_end);
  LogScanner::Record rec;
  LogScanner::Step step;
  std::map<ConsumeQueue*, std::shared_ptr<ConsumeQueue>> touched;
  int64_t added = 0;
  int64_t scanned = 0;
  while ((step = scanner.Next(&rec)) == LogScanner::Step::kRecord) {
    ++scanned;
    const RecordFields& f = rec.fields;
    Result<std::shared_ptr<ConsumeQueue>> found = core.queues.FindOrCreate(f.topic, f.queue_id);
    if (!found.ok()) {
      core.log->warn("re-dispatch: record at {} skipped: {}", rec.position, found.status().ToString());
      continue;
    }
    ConsumeQueue& q = **found;
    if (f.queue_offset < q.next_offset()) continue;  // already indexed
    if (f.queue_offset > q.next_offset()) {
      core.log->warn("re-dispatch: {} lacks entries [{}, {}); they stay holes", q.name(), q.next_offset(),
                     f.queue_offset);
      if (Status s = q.SkipTo(f.queue_offset); !s.ok()) return s;
    }
    q.Stage(CqEntry{rec.position, f.total_size, TagsCodeFromRecord(f, core.options.delay_level_ms)});
    ++added;
    touched.emplace(&q, *found);
    if (q.staged_bytes() >= 64 * 1024) {
      if (Status s = q.WriteStaged(); !s.ok()) return s;
    }
  }
  if (step == LogScanner::Step::kInvalid) {
    // Only the log's last two segments were validated; this is damage further back.
    core.log->error("re-dispatch stopped, records after it are not indexed: {}", scanner.error());
  }
  for (auto& [raw, q] : touched) {
    if (Status s = q->WriteStaged(); !s.ok()) return s;
    q->Publish();
  }
  core.log->info("re-dispatch: scanned {} records from position {}, added {} consume-queue entries", scanned,
                 from, added);
  return Status::OK();
}

}  // namespace

Status RecoverStore(StoreCore& core, const std::optional<CheckpointData>& checkpoint) {
  if (Status s = core.commit_log.files().Load(); !s.ok()) return s;
  Result<int64_t> end = RecoverLogEnd(core, checkpoint);
  if (!end.ok()) return end.status();
  core.commit_log.ResetEnd(*end);
  if (checkpoint && *end < checkpoint->log_durable_end)
    core.log->error("commitlog ends at {} but the checkpoint recorded it durable up to {}: acknowledged "
                    "records were lost", *end, checkpoint->log_durable_end);

  std::vector<std::pair<std::string, int64_t>> cut;
  if (Status s = core.queues.LoadAll(core.commit_log, &cut); !s.ok()) return s;
  for (const auto& [name, n] : cut)
    core.log->warn("{}: cut {} trailing entries the commit log does not back", name, n);
  return Redispatch(core, *end);
}

}  // namespace sprocket::filelog
