#include "queue_reader.h"

#include <spdlog/spdlog.h>
#include <sys/mman.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "big_endian.h"
#include "record_format.h"

namespace sprocket::filelog {

namespace {

struct Chosen {
  CqEntry entry;
  int64_t offset;
};

bool Resident(const Segment& seg, int64_t offset) {
  unsigned char vec = 0;
  const char* page = seg.data() + offset / 4096 * 4096;
  return ::mincore(const_cast<char*>(page), 1, &vec) != 0 || (vec & 1) != 0;
}

// Reports a reader that finished at `last_end` to the prefetcher: a cold read always, a warm
// one when the range ahead of it is not in memory or the prefetcher follows some reader.
void PrefetchAhead(const std::shared_ptr<Segment>& segment, int64_t last_end, int64_t log_end,
                   Prefetcher* prefetcher, bool cold_read) {
  const Segment& seg = *segment;
  if (prefetcher == nullptr || !seg.Contains(last_end)) return;
  const int64_t limit = std::min(seg.end(), log_end);
  if (limit <= last_end) return;
  const int64_t probe = last_end + (std::min(limit, last_end + Prefetcher::kWindow) - last_end) / 2;
  const bool cold = cold_read || !Resident(seg, probe - seg.start());
  if (!cold && !prefetcher->Following()) return;
  prefetcher->Advance(segment, last_end - seg.start(), limit - seg.start(), cold);
}

// The header of the record at `data` matches its consume-queue entry.
bool HeaderMatches(const char* data, const ConsumeQueue& queue, const CqEntry& e, int64_t offset) {
  return GetInt32(data + kTotalSizeField) == e.size && GetInt32(data + kMagicField) == kMessageMagic &&
         GetInt32(data + kQueueIdField) == queue.queue_id() && GetInt64(data + kRecordQueueOffsetField) == offset;
}

Status EntryMismatch(const ConsumeQueue& queue, const CqEntry& e, int64_t offset, spdlog::logger& logger) {
  Status s = Status::Corruption(queue.name() + ": entry " + std::to_string(offset) + " names a " +
                                std::to_string(e.size) + "-byte record at " + std::to_string(e.position) +
                                ", the log holds something else there");
  logger.error("{}", s.message());
  return s;
}

// Cold read: the records are not in memory, so they are read with pread into one buffer
// instead of being faulted in page by page through the mapping. Measured on the development
// VM, touching cold pages of a mapping cost a host fault each (most of the reader's CPU);
// pread runs at the disk's speed with the file's own readahead. Contiguous records (one
// queue written alone, or a backlog of one busy queue) are read with one call.
std::vector<ByteView> ReadCold(const CommitLog& log, const ConsumeQueue& queue, const std::vector<Chosen>& chosen,
                               std::shared_ptr<const void>* hold, Prefetcher* prefetcher, spdlog::logger& logger,
                               Status* status) {
  int64_t total = 0;
  for (const Chosen& c : chosen) total += c.entry.size;
  std::shared_ptr<char[]> buffer = std::make_shared_for_overwrite<char[]>(static_cast<size_t>(total));
  std::vector<ByteView> views;
  views.reserve(chosen.size());
  std::shared_ptr<Segment> last_segment;
  int64_t at = 0;
  for (size_t i = 0; i < chosen.size() && status->ok();) {
    const CqEntry& e = chosen[i].entry;
    Result<LogView> v = log.View(e.position, e.size);
    if (!v.ok()) {
      *status = v.status();
      break;
    }
    const std::shared_ptr<Segment>& seg = v->segment;
    const int64_t limit = std::min(seg->end(), log.end());
    size_t j = i + 1;
    int64_t run_end = e.position + e.size;
    while (j < chosen.size() && chosen[j].entry.position == run_end && run_end + chosen[j].entry.size <= limit)
      run_end += chosen[j++].entry.size;
    char* dst = buffer.get() + at;
    if (Status s = seg->ReadFile(e.position - seg->start(), dst, static_cast<size_t>(run_end - e.position));
        !s.ok()) {
      *status = s;
      break;
    }
    for (size_t k = i; k < j; ++k) {
      const CqEntry& ek = chosen[k].entry;
      if (!HeaderMatches(dst, queue, ek, chosen[k].offset)) {
        *status = EntryMismatch(queue, ek, chosen[k].offset, logger);
        break;
      }
      views.push_back(ByteView{dst, static_cast<size_t>(ek.size)});
      dst += ek.size;
      at += ek.size;
    }
    last_segment = seg;
    i = j;
  }
  if (!views.empty()) {
    const CqEntry& last = chosen[views.size() - 1].entry;
    PrefetchAhead(last_segment, last.position + last.size, log.end(), prefetcher, /*cold_read=*/true);
    *hold = std::move(buffer);
  }
  return views;
}

// Views of the chosen records, stopping at the first one that cannot be served (deleted by
// retention meanwhile, or not what its entry says: logged). A consumer must never skip past
// a record it was not given, so the caller restarts the next read at that record.
std::vector<ByteView> ViewRecords(const CommitLog& log, const ConsumeQueue& queue,
                                  const std::vector<Chosen>& chosen, std::shared_ptr<const void>* hold,
                                  Prefetcher* prefetcher, spdlog::logger& logger, Status* status) {
  std::vector<ByteView> views;
  views.reserve(chosen.size());
  std::vector<std::shared_ptr<Segment>> segments;
  *status = Status::OK();
  if (!chosen.empty()) {
    const CqEntry& first = chosen.front().entry;
    Result<LogView> v = log.View(first.position, first.size);
    if (v.ok() && !Resident(*v->segment, first.position - v->segment->start()))
      return ReadCold(log, queue, chosen, hold, prefetcher, logger, status);
  }
  for (const Chosen& c : chosen) {
    const CqEntry& e = c.entry;
    const char* data = nullptr;
    if (!segments.empty() && segments.back()->Contains(e.position) &&
        e.position + e.size <= std::min(segments.back()->end(), log.end())) {
      data = segments.back()->data() + (e.position - segments.back()->start());
    } else {
      Result<LogView> v = log.View(e.position, e.size);
      if (!v.ok()) {
        *status = v.status();
        break;
      }
      data = v->data;
      segments.push_back(std::move(v->segment));
    }
    if (!HeaderMatches(data, queue, e, c.offset)) {
      *status = EntryMismatch(queue, e, c.offset, logger);
      break;
    }
    views.push_back(ByteView{data, static_cast<size_t>(e.size)});
  }
  if (!views.empty()) {
    const CqEntry& last = chosen[views.size() - 1].entry;
    PrefetchAhead(segments.back(), last.position + last.size, log.end(), prefetcher, /*cold_read=*/false);
  }
  if (segments.size() == 1) {
    *hold = std::move(segments.front());
  } else if (!segments.empty()) {
    *hold = std::make_shared<std::vector<std::shared_ptr<Segment>>>(std::move(segments));
  }
  return views;
}

std::optional<int64_t> StoreTimestampAt(const CommitLog& log, const ConsumeQueue& queue, int64_t offset) {
  std::vector<CqEntry> entry;
  if (!queue.ReadEntries(offset, 1, &entry).ok() || entry[0].hole()) return std::nullopt;
  Result<LogView> v = log.View(entry[0].position, entry[0].size);
  if (!v.ok() || GetInt32(v->data + kMagicField) != kMessageMagic) return std::nullopt;
  const size_t field = StoreTimestampField(GetInt32(v->data + kSysFlagField));
  if (static_cast<int64_t>(field + 8) > entry[0].size) return std::nullopt;
  return GetInt64(v->data + field);
}

}  // namespace

ReadQueueResult ReadQueueRecords(const CommitLog& log, const ConsumeQueue& queue, int64_t from,
                                 const ReadLimits& limits, const TagFilter& filter,
                                 const ReadSettings& settings, spdlog::logger& logger) {
  ReadQueueResult r;
  const int64_t min = queue.min_offset();
  const int64_t max = queue.max_offset();
  r.min_offset = QueueOffset(min);
  r.max_offset = QueueOffset(max);
  if (max == 0) {  // RocketMQ tests maxOffset == 0 first, whatever was asked
    r.outcome = ReadOutcome::kNoMessageInQueue;
    r.next_offset = QueueOffset(0);
    return r;
  }
  if (from < min) {
    r.outcome = ReadOutcome::kOffsetTooSmall;
    r.next_offset = QueueOffset(min);
    return r;
  }
  if (from == max) {
    r.outcome = ReadOutcome::kOffsetOverflowOne;
    r.next_offset = QueueOffset(from);
    return r;
  }
  if (from > max) {
    r.outcome = ReadOutcome::kOffsetOverflowBadly;
    r.next_offset = QueueOffset(max);
    return r;
  }

  const int64_t max_count = std::max<int64_t>(1, limits.max_count);
  const int64_t to_scan =
      std::min(max - from, filter.match_all ? max_count : std::max(kMinEntriesScanned, max_count));
  std::vector<CqEntry> entries;
  if (Status s = queue.ReadEntries(from, to_scan, &entries); !s.ok()) {
    logger.error("{}: reading entries from {}: {}", queue.name(), from, s.ToString());
    r.status = s;
    r.next_offset = QueueOffset(from);
    return r;
  }
  const int64_t log_min = log.min_position();
  const int64_t log_end = log.end();
  std::vector<Chosen> chosen;
  int64_t bytes = 0;
  int64_t scanned = 0;
  int64_t removed = 0;
  for (const CqEntry& e : entries) {
    if (!e.hole() && e.position < log_min) {
      ++removed;  // retention deleted the record; the queue's minimum is about to move past it
    } else if (!e.hole() && filter.Matches(e.tags_code)) {
      // RocketMQ's isTheBatchFull: the first matching record is always taken; after that the
      // byte and count limits of memory or disk apply, by how far behind the log end it is.
      if (!chosen.empty()) {
        const bool on_disk = log_end - e.position > settings.memory_window;
        const int64_t count_limit = on_disk ? limits.max_count_on_disk : limits.max_count;
        const int64_t byte_limit = on_disk ? limits.max_bytes_on_disk : limits.max_bytes;
        const auto n = static_cast<int64_t>(chosen.size());
        if (n >= max_count || n >= count_limit || bytes + e.size > byte_limit) break;
      }
      chosen.push_back(Chosen{e, from + scanned});
      bytes += e.size;
    }
    ++scanned;
    if (static_cast<int64_t>(chosen.size()) >= max_count) break;
  }
  r.next_offset = QueueOffset(from + scanned);
  if (!chosen.empty()) {
    Status viewed;
    r.records = ViewRecords(log, queue, chosen, &r.hold, settings.prefetcher, logger, &viewed);
    if (!viewed.ok()) {
      const Chosen& stuck = chosen[r.records.size()];
      const bool deleted = stuck.entry.position < log.min_position();  // retention won the race
      if (deleted) ++removed;
      if (r.records.empty() && !deleted) {
        r.status = viewed;
        r.next_offset = QueueOffset(from);
        return r;
      }
      // Hand over what was read; the next read starts at the record that was not (or past
      // the deleted ones when nothing was read).
      if (!r.records.empty()) r.next_offset = QueueOffset(stuck.offset);
    }
  }
  if (!r.records.empty()) {
    r.outcome = ReadOutcome::kFound;
  } else {
    r.outcome = removed > 0 ? ReadOutcome::kMessageWasRemoving : ReadOutcome::kNoMatchedMessage;
  }
  return r;
}

int64_t FindOffsetForTime(const CommitLog& log, const ConsumeQueue& queue, int64_t timestamp_ms) {
  int64_t lo = queue.min_offset();
  int64_t hi = queue.max_offset();
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    std::optional<int64_t> ts = StoreTimestampAt(log, queue, mid);
    // An unreadable entry counts as earlier than any time, keeping the search moving.
    if (ts && *ts >= timestamp_ms) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

}  // namespace sprocket::filelog
