#include "replication.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "append_writer.h"
#include "big_endian.h"
#include "dispatcher.h"
#include "flusher.h"
#include "record_format.h"
#include "segment_allocator.h"

namespace sprocket::filelog {

namespace {

struct Entry {
  int64_t position = 0;
  int64_t size = 0;
  const char* bytes = nullptr;
  bool blank = false;
  RecordFields fields;  // records only; views into the chunk
  std::shared_ptr<ConsumeQueue> queue;
  bool restart_queue = false;  // the record starts its (empty) queue at its own offset
};

std::string At(int64_t position) { return " at position " + std::to_string(position); }

// Step 1: every entry of the chunk, checked against this store's segments.
Status ParseChunk(const CommitLog& log, int64_t at, ByteView chunk, std::vector<Entry>* entries) {
  int64_t i = 0;
  int64_t pos = at;
  const auto n = static_cast<int64_t>(chunk.size);
  while (i < n) {
    if (n - i < kBlankSize)
      return Status::Corruption("filelog: replica chunk ends inside an entry header" + At(pos));
    const char* p = chunk.data + i;
    const int32_t size = GetInt32(p);
    const int32_t magic = GetInt32(p + kMagicField);
    const int64_t left = log.SegmentStart(pos) + log.segment_size() - pos;
    Entry e;
    e.position = pos;
    e.size = size;
    e.bytes = p;
    if (magic == kBlankMagic) {
      if (size != left)
        return Status::InvalidArgument("filelog: a blank" + At(pos) + " covers " + std::to_string(size) +
                                       " bytes, this store's segment ends " + std::to_string(left) +
                                       " bytes later (the leader must use the same mappedFileSizeCommitLog)");
      if (i + size > n) return Status::Corruption("filelog: replica chunk ends inside the blank" + At(pos));
      e.blank = true;
    } else if (magic == kMessageMagic) {
      if (size < kMinRecordSize || i + size > n)
        return Status::Corruption("filelog: replica record" + At(pos) + " has an impossible size " +
                                  std::to_string(size));
      if (size + kBlankSize > left)
        return Status::InvalidArgument("filelog: the replica record" + At(pos) +
                                       " does not fit this store's "
                                       "segment (the leader must use the same mappedFileSizeCommitLog)");
      Result<RecordFields> f = ParseRecord(std::string_view(p, static_cast<size_t>(size)));
      if (!f.ok())
        return Status::Corruption("filelog: replica record" + At(pos) + ": " + f.status().message());
      if (f->physical_offset != pos)
        return Status::Corruption("filelog: the replica record" + At(pos) + " names PHYSICALOFFSET " +
                                  std::to_string(f->physical_offset));
      if (!IsStorableTopic(f->topic) || f->queue_id < 0 || f->queue_offset < 0)
        return Status::Corruption("filelog: the replica record" + At(pos) + " names no storable queue");
      e.fields = *f;
    } else {
      return Status::Corruption("filelog: no record or blank" + At(pos) + " of the replica chunk");
    }
    entries->push_back(e);
    i += size;
    pos += size;
  }
  return Status::OK();
}

// Step 2: each record continues its queue, starts an empty one, or follows a gap (holes).
Status CheckQueueOffsets(AppendWriter& writer, std::vector<Entry>* entries) {
  std::map<ConsumeQueue*, int64_t> next;
  for (Entry& e : *entries) {
    if (e.blank) continue;
    Result<std::shared_ptr<ConsumeQueue>> q = writer.Queue(e.fields.topic, e.fields.queue_id);
    if (!q.ok()) return q.status();
    e.queue = *q;
    auto [it, first] = next.try_emplace(q->get(), (*q)->next_offset());
    if (e.fields.queue_offset < it->second) {
      if (!first || (*q)->min_offset() != (*q)->max_offset())
        return Status::Corruption("filelog: the replica record" + At(e.position) + " has queue offset " +
                                  std::to_string(e.fields.queue_offset) + " but " + (*q)->name() +
                                  " already holds offsets up to " + std::to_string(it->second));
      e.restart_queue = true;
    }
    it->second = e.fields.queue_offset + 1;
  }
  return Status::OK();
}

}  // namespace

Status AppendReplicaOnWriter(WriterParts& w, int64_t at, ByteView chunk) {
  StoreCore& core = w.core;
  CommitLog& log = core.commit_log;
  if (!w.writer.broken().ok()) return w.writer.broken();
  const int64_t end = log.end();
  if (at != end && log.min_position() != end)
    return Status::InvalidArgument("filelog: AppendReplica at " + std::to_string(at) +
                                   ", but the log ends at " + std::to_string(end));
  if (at < 0) return Status::InvalidArgument("filelog: AppendReplica at a negative position");
  std::vector<Entry> entries;
  if (Status s = ParseChunk(log, at, chunk, &entries); !s.ok()) return s;
  if (entries.empty()) return Status::OK();
  if (Status s = CheckQueueOffsets(w.writer, &entries); !s.ok()) return s;

  if (at != end) {
    // An empty store takes the leader's position. Its old (empty) files go, and the
    // checkpoint names the new start before any byte lands, so recovery starts there.
    std::unique_lock pause = w.allocator.Pause();
    std::unique_lock checkpoints = w.flusher.HoldCheckpoints();
    // The new end first, then the files (their epoch moves): see SegmentedFile::SyncIfUnchanged.
    log.SetMin(at);
    log.ResetEnd(at);
    core.dispatched_end.store(at, std::memory_order_release);
    if (Status s = log.files().RemoveAll(at); !s.ok()) return s;
    // Positions may go back: nothing the index holds names a record any more.
    if (core.index) {
      w.dispatcher.WaitIdle();
      if (Status s = core.index->TruncateFrom(LogPosition(0)); !s.ok()) return s;
    }
    if (Status s = w.flusher.FlushAllLocked(); !s.ok()) return s;
    core.log->info("commitlog: empty, restarting at position {} for replication", at);
  }

  // Write the bytes, one pwrite per segment touched.
  int64_t newest = -1;
  int64_t run_newest = -1;
  size_t run = 0;
  for (size_t k = 0; k < entries.size(); ++k) {
    if (!entries[k].blank) run_newest = std::max(run_newest, entries[k].fields.store_timestamp);
    const bool last_in_run =
        k + 1 == entries.size() || entries[k].blank ||
        log.SegmentStart(entries[k + 1].position) != log.SegmentStart(entries[run].position);
    if (!last_in_run) continue;
    const int64_t bytes = entries[k].position + entries[k].size - entries[run].position;
    newest = std::max(newest, run_newest);
    if (Status s = log.WriteRaw(entries[run].bytes, bytes, run_newest); !s.ok()) {
      w.writer.Break(
          Status::IOError("filelog: appends stopped after a write failure (reopen the store to "
                          "recover): " +
                          s.ToString()));
      return s;
    }
    run = k + 1;
    run_newest = -1;
  }

  std::vector<std::shared_ptr<ConsumeQueue>> touched;
  int64_t records = 0;
  for (const Entry& e : entries) {
    if (e.blank) continue;
    ConsumeQueue& q = *e.queue;
    if (e.restart_queue) {
      if (Status s = q.RestartEmptyAt(e.fields.queue_offset); !s.ok()) return s;
    } else if (e.fields.queue_offset > q.next_offset()) {
      if (Status s = q.SkipTo(e.fields.queue_offset); !s.ok()) return s;
    }
    if (!q.has_staged()) touched.push_back(e.queue);
    q.Stage(CqEntry{e.position, static_cast<int32_t>(e.size),
                    TagsCodeFromRecord(e.fields, core.options.delay_level_ms)});
    ++records;
  }
  for (const auto& q : touched)
    if (Status s = q->WriteStaged(); !s.ok()) return s;
  DispatchWork work;
  if (core.index)
    for (const Entry& e : entries)
      if (!e.blank)
        work.index.push_back(
            {std::string(e.fields.topic), KeysFromRecord(e.fields), e.position, e.fields.store_timestamp});
  log.Publish();
  for (const auto& q : touched) q->Publish();
  w.writer.AfterLogMoved();
  w.writer.NoteStoreTimestamp(newest);
  core.records_appended.fetch_add(records, std::memory_order_relaxed);
  if (!work.index.empty()) w.dispatcher.Submit(std::move(work));
  return core.options.sync_flush ? log.Sync(log.end()) : Status::OK();
}

Status TruncateLogOnWriter(WriterParts& w, int64_t position) {
  StoreCore& core = w.core;
  CommitLog& log = core.commit_log;
  const int64_t end = log.end();
  if (position == end) return Status::OK();
  if (position > end)
    return Status::InvalidArgument("filelog: TruncateLog at " + std::to_string(position) +
                                   ", past the log end " + std::to_string(end));
  if (position < log.min_position())
    return Status::InvalidArgument("filelog: TruncateLog at " + std::to_string(position) +
                                   ", before the log start " + std::to_string(log.min_position()));
  if (position != log.min_position()) {
    Result<LogChunk> boundary = log.ReadLog(position, 1);
    if (!boundary.ok())
      return Status::InvalidArgument("filelog: TruncateLog at " + std::to_string(position) +
                                     " is not a record boundary: " + boundary.status().message());
  }
  std::unique_lock pause = w.allocator.Pause();
  std::unique_lock checkpoints = w.flusher.HoldCheckpoints();
  // Queues first: readers stop short of the dropped records before the log loses them.
  int64_t dropped = 0;
  for (const auto& q : core.queues.All()) {
    Result<int64_t> n = q->CutFromPosition(position);
    if (!n.ok()) return n.status();
    dropped += *n;
  }
  if (core.index) {
    w.dispatcher.WaitIdle();  // every record's keys are in before the cut
    if (Status s = core.index->TruncateFrom(LogPosition(position)); !s.ok()) return s;
  }
  // The dispatched end moves before the log's epoch does (CutAt), so a flush that sees the
  // new epoch also sees the new end.
  core.dispatched_end.store(position, std::memory_order_release);
  if (Status s = log.CutAt(position); !s.ok()) return s;
  core.log->warn("commitlog: truncated from {} to {} ({} consume-queue entries dropped)", end, position,
                 dropped);
  return w.flusher.FlushAllLocked();
}

}  // namespace sprocket::filelog
