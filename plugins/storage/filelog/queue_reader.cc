#include "queue_reader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "big_endian.h"
#include "record_format.h"

namespace sprocket::filelog {

namespace {

// Copies the records `chosen` names into one buffer, in order, stopping at the first one
// that cannot be read or does not look like its entry says (logged): a consumer must never
// skip past a record it was not given. Returns the views of the leading readable records
// and, in *status, why the copy stopped early (OK when everything was read).
std::vector<ByteView> CopyRecords(const CommitLog& log, const ConsumeQueue& queue,
                                  const std::vector<CqEntry>& chosen, std::shared_ptr<const void>* hold,
                                  spdlog::logger& logger, Status* status) {
  size_t total = 0;
  for (const CqEntry& e : chosen) total += static_cast<size_t>(e.size);
  auto buffer = std::make_shared<std::string>(total, '\0');
  std::vector<ByteView> views;
  views.reserve(chosen.size());
  const int64_t log_end = log.end();
  size_t at = 0;
  size_t i = 0;
  *status = Status::OK();
  while (i < chosen.size()) {
    // Records appended together are adjacent in the log: read each such run with one pread.
    size_t j = i;
    size_t run_bytes = static_cast<size_t>(chosen[i].size);
    while (j + 1 < chosen.size() && chosen[j + 1].position == chosen[j].position + chosen[j].size) {
      ++j;
      run_bytes += static_cast<size_t>(chosen[j].size);
    }
    char* dst = buffer->data() + at;
    Status s = chosen[i].position + static_cast<int64_t>(run_bytes) <= log_end
                   ? log.files().Read(chosen[i].position, dst, run_bytes)
                   : Status::NotFound("beyond the log end " + std::to_string(log_end));
    if (!s.ok()) {
      logger.error("{}: reading records at {}: {}", queue.name(), chosen[i].position, s.ToString());
      *status = s;
      break;
    }
    for (size_t k = i; k <= j; ++k) {
      if (GetInt32(dst) != chosen[k].size || GetInt32(dst + kMagicField) != kMessageMagic) {
        *status = Status::Corruption(queue.name() + ": entry names a " + std::to_string(chosen[k].size) +
                                     "-byte record at " + std::to_string(chosen[k].position) +
                                     ", the log holds something else there");
        logger.error("{}", status->message());
        *hold = std::move(buffer);
        return views;
      }
      views.push_back(ByteView{dst, static_cast<size_t>(chosen[k].size)});
      dst += chosen[k].size;
    }
    at += run_bytes;
    i = j + 1;
  }
  *hold = std::move(buffer);
  return views;
}

std::optional<int64_t> StoreTimestampAt(const CommitLog& log, const ConsumeQueue& queue, int64_t offset) {
  std::vector<CqEntry> entry;
  if (!queue.ReadEntries(offset, 1, &entry).ok() || entry[0].hole()) return std::nullopt;
  char head[kHeaderProbeSize];
  const size_t n = std::min<size_t>(sizeof head, static_cast<size_t>(entry[0].size));
  if (entry[0].position + static_cast<int64_t>(n) > log.end() || !log.files().Read(entry[0].position, head, n).ok())
    return std::nullopt;
  if (GetInt32(head + kMagicField) != kMessageMagic) return std::nullopt;
  const size_t field = StoreTimestampField(GetInt32(head + kSysFlagField));
  if (field + 8 > n) return std::nullopt;
  return GetInt64(head + field);
}

}  // namespace

ReadQueueResult ReadQueueRecords(const CommitLog& log, const ConsumeQueue& queue, int64_t from,
                                 const ReadLimits& limits, const TagFilter& filter, spdlog::logger& logger) {
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
  const int64_t to_scan = std::min(max - from, std::max(kMinEntriesScanned, max_count));
  std::vector<CqEntry> entries;
  if (Status s = queue.ReadEntries(from, to_scan, &entries); !s.ok()) {
    logger.error("{}: reading entries from {}: {}", queue.name(), from, s.ToString());
    r.status = s;
    r.next_offset = QueueOffset(from);
    return r;
  }
  std::vector<CqEntry> chosen;
  std::vector<int64_t> chosen_offsets;
  int64_t bytes = 0;
  int64_t scanned = 0;
  for (const CqEntry& e : entries) {
    if (!e.hole() && filter.Matches(e.tags_code)) {
      // Limits never leave a read empty: the first matching record is always taken.
      if (!chosen.empty() && bytes + e.size > limits.max_bytes) break;
      chosen.push_back(e);
      chosen_offsets.push_back(from + scanned);
      bytes += e.size;
    }
    ++scanned;
    if (static_cast<int64_t>(chosen.size()) >= max_count) break;
  }
  r.next_offset = QueueOffset(from + scanned);
  if (!chosen.empty()) {
    Status copied;
    r.records = CopyRecords(log, queue, chosen, &r.hold, logger, &copied);
    if (!copied.ok()) {
      if (r.records.empty()) {
        r.status = copied;
        r.next_offset = QueueOffset(from);
        return r;
      }
      // Hand over what was read; the next read starts at the unreadable record.
      r.next_offset = QueueOffset(chosen_offsets[r.records.size()]);
    }
  }
  r.outcome = r.records.empty() ? ReadOutcome::kNoMatchedMessage : ReadOutcome::kFound;
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
