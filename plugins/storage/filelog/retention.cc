#include "retention.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "big_endian.h"
#include "record_format.h"

namespace sprocket::filelog {

std::optional<int64_t> NewestStoreTimestamp(Segment& segment, int64_t max_record_size) {
  if (const int64_t cached = segment.newest_store_timestamp(); cached >= 0) return cached;
  const char* p = segment.data();
  // Past the blank marker the segment was never written: zeros up to its end.
  int64_t i = segment.capacity();
  while (i >= 8) {
    uint64_t word;
    std::memcpy(&word, p + i - 8, 8);
    if (word != 0) break;
    i -= 8;
  }
  while (i > 0 && p[i - 1] == 0) --i;
  if (i == 0) return -1;
  // The marker's magic ends in a non-zero byte, so the non-zero bytes end with the marker.
  const int64_t blank = i - kBlankSize;
  if (blank < 0 || GetInt32(p + blank + kMagicField) != kBlankMagic ||
      GetInt32(p + blank) != segment.capacity() - blank)
    return std::nullopt;
  // The last record ends where the marker starts and names its own position.
  for (int64_t at = blank - kMinRecordSize; at >= 0 && at >= blank - max_record_size; --at) {
    if (GetInt32(p + at + kMagicField) == kMessageMagic && GetInt32(p + at) == blank - at &&
        GetInt64(p + at + kPhysicalOffsetField) == segment.start() + at) {
      const int64_t ts = GetInt64(p + at + StoreTimestampField(GetInt32(p + at + kSysFlagField)));
      segment.set_newest_store_timestamp(ts);
      return ts;
    }
  }
  return blank == 0 ? std::optional<int64_t>(-1) : std::nullopt;
}

Result<RetentionResult> DeleteExpiredSegments(StoreCore& core, const RetentionPolicy& policy) {
  RetentionResult result;
  CommitLog& log = core.commit_log;
  // The unit being appended to is the one holding the log end (a unit of positions, as for
  // every store, even before its file exists).
  const int64_t active_start = log.SegmentStart(log.end());
  const auto segments = log.files().Snapshot();
  size_t n = 0;
  while (n < segments.size() && static_cast<int64_t>(n) < policy.max_units) {
    Segment& seg = *segments[n];
    if (seg.start() >= active_start) break;
    if (!policy.force) {
      std::optional<int64_t> newest = NewestStoreTimestamp(seg, core.options.MaxRecordSize());
      if (!newest) {
        core.log->warn(
            "retention: cannot tell when {} was last written (no end-of-segment marker); keeping it",
            seg.path());
        break;
      }
      if (*newest >= policy.expire_before_ms) break;
    }
    ++n;
  }
  if (n > 0) {
    log.SetMin(std::max(log.min_position(), segments[n - 1]->end()));
    Result<std::vector<std::shared_ptr<Segment>>> removed =
        log.files().RemoveFront(n, [](const Segment&) { return true; });
    if (!removed.ok()) return removed.status();
    for (const auto& seg : *removed) {
      result.bytes_freed +=
          seg->DiskBytes();  // the unlinked file's blocks, freed when the last holder lets go
      core.log->info("retention: deleted {}", seg->path());
    }
    result.units_deleted = static_cast<int32_t>(removed->size());
    const int64_t log_min = log.min_position();
    if (core.index)
      if (Status s = core.index->DeleteBefore(LogPosition(log_min)); !s.ok()) return s;
    for (const auto& q : core.queues.All()) {
      Result<int64_t> freed = q->DeleteBelow(log_min);
      if (!freed.ok()) return freed.status();
      result.bytes_freed += *freed;
    }
  }
  result.log_min = LogPosition(log.min_position());
  return result;
}

}  // namespace sprocket::filelog
