#include "consume_queue.h"

#include <algorithm>
#include <limits>

#include "big_endian.h"
#include "file_util.h"
#include "record_format.h"

namespace sprocket::filelog {

namespace {

constexpr int64_t kChunk = 1024;  // entries read at a time while scanning

CqEntry DecodeEntry(const char* p) { return CqEntry{GetInt64(p), GetInt32(p + 8), GetInt64(p + 12)}; }

bool IsZero(const CqEntry& e) { return e.position == 0 && e.size == 0 && e.tags_code == 0; }

// What a written entry looks like; zeros and most torn writes do not.
bool Plausible(const CqEntry& e) { return e.filler() || (e.size >= kMinRecordSize && e.position >= 0); }

}  // namespace

ConsumeQueue::ConsumeQueue(std::string topic, int32_t queue_id, std::string dir, int64_t file_size)
    : topic_(std::move(topic)),
      queue_id_(queue_id),
      files_(std::move(dir), file_size, SegmentOptions{.reserve = false, .map = false},
             "consumequeue " + topic_ + "/" + std::to_string(queue_id)) {}

Result<CqEntry> ConsumeQueue::EntryAt(int64_t offset) const {
  std::vector<CqEntry> one;
  if (Status s = ReadEntries(offset, 1, &one); !s.ok()) return s;
  return one[0];
}

bool ConsumeQueue::Backed(const CqEntry& e, int64_t offset, const CommitLog& log) const {
  if (e.hole()) return false;
  // Retention deleted the record: nothing to check it against, and it was durable long ago.
  if (e.position < log.min_position()) return true;
  Result<LogView> head = log.View(e.position, static_cast<int64_t>(kRecordQueueOffsetField) + 8);
  if (!head.ok() || e.position + e.size > log.end()) return false;
  const char* h = head->data;
  return GetInt32(h + kMagicField) == kMessageMagic && GetInt32(h + kTotalSizeField) == e.size &&
         GetInt32(h + kQueueIdField) == queue_id_ && GetInt64(h + kRecordQueueOffsetField) == offset;
}

void ConsumeQueue::RaiseMin(int64_t offset) {
  int64_t cur = min_.load(std::memory_order_acquire);
  while (cur < offset && !min_.compare_exchange_weak(cur, offset, std::memory_order_acq_rel)) {
  }
}

Result<int64_t> ConsumeQueue::Load(const CommitLog& log, int64_t trusted_below, bool zero_tail) {
  if (Status s = files_.Load(); !s.ok()) return s;
  const auto segs = files_.Snapshot();
  auto trusted = [trusted_below](const CqEntry& e) { return Plausible(e) && e.position < trusted_below; };
  std::vector<CqEntry> chunk;
  int64_t min = 0;
  int64_t max = 0;
  int64_t dropped = 0;
  if (!segs.empty()) {
    const int64_t hi = segs.back()->end() / kCqEntrySize;
    const int64_t first = segs.front()->start() / kCqEntrySize;
    // Entries before the queue's first record are zeros (it started past the file's start);
    // the first entry found counts only if it is trusted, else recovery rebuilds from the start.
    min = first;
    for (int64_t at = first; at < hi && min == first;) {
      const int64_t n = std::min(kChunk, hi - at);
      if (Status s = ReadEntries(at, n, &chunk); !s.ok()) return s;
      auto it = std::find_if(chunk.begin(), chunk.end(), [](const CqEntry& e) { return !IsZero(e); });
      if (it != chunk.end()) {
        if (trusted(*it)) min = at + (it - chunk.begin());
        break;
      }
      at += n;
    }
    // Scan the last file from its start; step back a file while even that is untrusted
    // (the entries after the checkpoint may straddle a file boundary).
    size_t idx = segs.size() - 1;
    int64_t scan = std::max(min, segs[idx]->start() / kCqEntrySize);
    while (idx > 0 && scan > min) {
      Result<CqEntry> e = EntryAt(scan);
      if (!e.ok()) return e.status();
      if (trusted(*e)) break;
      --idx;
      scan = std::max(min, segs[idx]->start() / kCqEntrySize);
    }
    max = scan;
    for (bool stop = false; max < hi && !stop;) {
      const int64_t n = std::min(kChunk, hi - max);
      if (Status s = ReadEntries(max, n, &chunk); !s.ok()) return s;
      for (const CqEntry& e : chunk) {
        if (!trusted(e)) {
          stop = true;
          dropped += IsZero(e) ? 0 : 1;
          break;
        }
        ++max;
      }
    }
    // Trailing entries whose record is not in the log (the log's tail was cut) go too.
    bool backed = false;
    while (max > min && !backed) {
      const int64_t from = std::max(min, max - kChunk);
      if (Status s = ReadEntries(from, max - from, &chunk); !s.ok()) return s;
      for (int64_t i = max - from - 1; i >= 0 && !backed; --i) {
        if (!chunk[static_cast<size_t>(i)].filler() && Backed(chunk[static_cast<size_t>(i)], from + i, log)) {
          backed = true;
        } else {
          max = from + i;
          ++dropped;
        }
      }
    }
    if (zero_tail || dropped > 0) {
      if (Status s = files_.TruncateFrom(max * kCqEntrySize); !s.ok()) return s;
    }
  }
  last_entry_end_ = -1;
  if (max > min) {
    Result<CqEntry> last = EntryAt(max - 1);
    if (!last.ok()) return last.status();
    last_entry_end_ = last->position + last->size;
  }
  files_.SetSynced(max * kCqEntrySize);
  next_ = max;
  staged_first_ = max;
  staged_.clear();
  min_.store(min, std::memory_order_release);
  max_.store(max, std::memory_order_release);
  return dropped;
}

void ConsumeQueue::Stage(const CqEntry& e) {
  if (staged_.empty()) staged_first_ = next_;
  char buf[kCqEntrySize];
  PutInt64(buf, e.position);
  PutInt32(buf + 8, e.size);
  PutInt64(buf + 12, e.tags_code);
  staged_.append(buf, sizeof buf);
  ++next_;
  if (!e.hole()) last_entry_end_ = e.position + e.size;
}

Status ConsumeQueue::SkipTo(int64_t offset) {
  if (offset <= next_) return Status::OK();
  if (next_ == min_offset() && staged_.empty()) {  // empty: it simply starts later
    RaiseMin(offset);
    max_.store(offset, std::memory_order_release);
    next_ = offset;
    staged_first_ = offset;
    return Status::OK();
  }
  // Fillers rather than zeros: a zero entry would end the queue when it is next loaded.
  while (next_ < offset) {
    Stage(CqEntry{-1, 0, 0});
    if (staged_.size() >= 64 * 1024) {
      if (Status s = WriteStaged(); !s.ok()) return s;
    }
  }
  return Status::OK();
}

Status ConsumeQueue::RestartEmptyAt(int64_t offset) {
  if (min_offset() != max_offset() || !staged_.empty())
    return Status::InvalidArgument(name() + ": cannot restart a queue that holds entries");
  min_.store(offset, std::memory_order_release);
  max_.store(offset, std::memory_order_release);
  next_ = offset;
  staged_first_ = offset;
  last_entry_end_ = -1;
  return files_.RemoveAll(offset * kCqEntrySize);
}

Status ConsumeQueue::WriteStaged() {
  int64_t at = staged_first_ * kCqEntrySize;
  size_t done = 0;
  while (done < staged_.size()) {
    const int64_t file_end = (at / files_.segment_size() + 1) * files_.segment_size();
    const size_t n =
        static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(staged_.size() - done), file_end - at));
    iovec v{staged_.data() + done, n};
    if (Status s = files_.Write(at, {&v, 1}); !s.ok()) return s;
    at += static_cast<int64_t>(n);
    done += n;
  }
  staged_.clear();
  staged_first_ = next_;
  return Status::OK();
}

Result<int64_t> ConsumeQueue::CutFromPosition(int64_t position) {
  if (Status s = WriteStaged(); !s.ok()) return s;
  const int64_t min = min_offset();
  const int64_t old_max = next_;
  int64_t k = old_max;
  std::vector<CqEntry> chunk;
  for (bool stop = false; k > min && !stop;) {
    const int64_t from = std::max(min, k - kChunk);
    if (Status s = ReadEntries(from, k - from, &chunk); !s.ok()) return s;
    for (int64_t i = k - from - 1; i >= 0; --i) {
      const CqEntry& e = chunk[static_cast<size_t>(i)];
      if (!e.hole() && e.position < position) {
        stop = true;
        break;
      }
      k = from + i;
    }
  }
  if (k == old_max) return 0;
  max_.store(k, std::memory_order_release);  // readers stop short of the entries first
  next_ = k;
  staged_first_ = k;
  if (Status s = files_.TruncateFrom(k * kCqEntrySize, old_max * kCqEntrySize); !s.ok()) return s;
  last_entry_end_ = -1;
  if (k > min) {
    Result<CqEntry> last = EntryAt(k - 1);
    if (!last.ok()) return last.status();
    last_entry_end_ = last->position + last->size;
  }
  return old_max - k;
}

Result<int64_t> ConsumeQueue::DeleteBelow(int64_t log_min) {
  // The first entry whose record is still in the log. Entries are in log order; a filler
  // counts as "still there", so a misplaced filler can only leave the minimum too low
  // (readers skip entries below the log), never skip a record.
  int64_t lo = min_offset();
  int64_t hi = max_offset();
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    Result<CqEntry> e = EntryAt(mid);
    if (!e.ok()) return e.status();
    if (e->filler() || (!e->hole() && e->position >= log_min)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  RaiseMin(lo);
  const int64_t new_min = min_offset();
  const int64_t last_start = files_.LastEnd(0) - files_.segment_size();
  int64_t freed = 0;
  Result<std::vector<std::shared_ptr<Segment>>> removed = files_.RemoveFront(
      std::numeric_limits<size_t>::max(),
      [&](const Segment& seg) { return seg.start() < last_start && seg.end() <= new_min * kCqEntrySize; });
  if (!removed.ok()) return removed.status();
  for (const auto& seg : *removed) freed += seg->DiskBytes();
  return freed;
}

Status ConsumeQueue::ReadEntries(int64_t from, int64_t count, std::vector<CqEntry>* out) const {
  out->clear();
  if (count <= 0) return Status::OK();
  std::string buf(static_cast<size_t>(count * kCqEntrySize), '\0');
  int64_t at = from * kCqEntrySize;
  const int64_t end = at + count * kCqEntrySize;
  while (at < end) {
    const int64_t file_end = (at / files_.segment_size() + 1) * files_.segment_size();
    const int64_t n = std::min(end, file_end) - at;
    if (auto seg = files_.Find(at)) {  // a missing file reads as holes
      Status s =
          seg->Read(at - seg->start(), buf.data() + (at - from * kCqEntrySize), static_cast<size_t>(n));
      if (!s.ok()) return s;
    }
    at += n;
  }
  out->reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) out->push_back(DecodeEntry(buf.data() + i * kCqEntrySize));
  return Status::OK();
}

Status ConsumeQueue::Sync() {
  while (true) {
    const uint64_t epoch = files_.epoch();  // before the end it goes with (see SyncIfUnchanged)
    Result<bool> done = files_.SyncIfUnchanged(max_offset() * kCqEntrySize, epoch);
    if (!done.ok()) return done.status();
    if (*done) return Status::OK();
  }
}

int64_t ConsumeQueue::DiskBytes() const {
  int64_t total = 0;
  for (const auto& seg : files_.Snapshot()) total += seg->DiskBytes();
  return total;
}

}  // namespace sprocket::filelog
