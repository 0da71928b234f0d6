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

// Cold backlog: when the pages just past the read are not in memory, ask the kernel to read
// the next kColdReadAhead bytes in the background, and the read itself if it is cold too,
// so the faults that follow (ours, or the socket's copy) find the pages there.
void PrefetchIfCold(const Segment& seg, int64_t first, int64_t last_end, int64_t log_end) {
  const int64_t in_first = first - seg.start();
  if (!Resident(seg, in_first)) seg.Prefetch(in_first, last_end - first);
  const int64_t ahead_end = std::min({seg.end(), log_end, last_end + kColdReadAhead});
  if (ahead_end <= last_end) return;
  const int64_t probe = last_end + (ahead_end - last_end) / 2;
  if (!Resident(seg, probe - seg.start())) seg.Prefetch(last_end - seg.start(), ahead_end - last_end);
}

// Views of the chosen records, stopping at the first one that cannot be served (deleted by
// retention meanwhile, or not what its entry says: logged). A consumer must never skip past
// a record it was not given, so the caller restarts the next read at that record.
std::vector<ByteView> ViewRecords(const CommitLog& log, const ConsumeQueue& queue,
                                  const std::vector<Chosen>& chosen, std::shared_ptr<const void>* hold,
                                  spdlog::logger& logger, Status* status) {
  std::vector<ByteView> views;
  views.reserve(chosen.size());
  std::vector<std::shared_ptr<Segment>> segments;
  *status = Status::OK();
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
    if (GetInt32(data + kTotalSizeField) != e.size || GetInt32(data + kMagicField) != kMessageMagic ||
        GetInt32(data + kQueueIdField) != queue.queue_id() ||
        GetInt64(data + kRecordQueueOffsetField) != c.offset) {
      *status = Status::Corruption(queue.name() + ": entry " + std::to_string(c.offset) + " names a " +
                                   std::to_string(e.size) + "-byte record at " + std::to_string(e.position) +
                                   ", the log holds something else there");
      logger.error("{}", status->message());
      break;
    }
    views.push_back(ByteView{data, static_cast<size_t>(e.size)});
  }
  if (!views.empty() && !segments.empty()) {
    const Chosen& first = chosen.front();
    const Chosen& last = chosen[views.size() - 1];
    const Segment& seg = *segments.back();
    if (seg.Contains(last.entry.position))
      PrefetchIfCold(seg, std::max(seg.start(), first.entry.position), last.entry.position + last.entry.size,
                     log.end());
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
    r.records = ViewRecords(log, queue, chosen, &r.hold, logger, &viewed);
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
