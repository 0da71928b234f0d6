#include "consume_queue.h"

#include <algorithm>

#include "big_endian.h"
#include "file_util.h"
#include "record_format.h"

namespace sprocket::filelog {

namespace {

constexpr int64_t kLoadChunk = 1024;  // entries read at a time while trimming at open

CqEntry DecodeEntry(const char* p) {
  return CqEntry{GetInt64(p), GetInt32(p + 8), GetInt64(p + 12)};
}

}  // namespace

ConsumeQueue::ConsumeQueue(std::string topic, int32_t queue_id, std::string dir, int64_t file_size)
    : topic_(std::move(topic)),
      queue_id_(queue_id),
      files_(std::move(dir), file_size, "consumequeue " + topic_ + "/" + std::to_string(queue_id)) {}

bool ConsumeQueue::Backed(const CqEntry& e, int64_t offset, const CommitLog& log) const {
  if (e.hole() || e.position < log.min_position() || e.position + e.size > log.end()) return false;
  char head[kRecordQueueOffsetField + 8];
  if (!log.files().Read(e.position, head, sizeof head).ok()) return false;
  return GetInt32(head + kMagicField) == kMessageMagic && GetInt32(head + kTotalSizeField) == e.size &&
         GetInt64(head + kRecordQueueOffsetField) == offset;
}

Result<int64_t> ConsumeQueue::Load(const CommitLog& log) {
  if (Status s = files_.Load(); !s.ok()) return s;
  const auto segments = files_.Snapshot();
  int64_t min = 0;
  int64_t max = 0;
  if (!segments.empty()) {
    Result<int64_t> last_size = segments.back()->FileSize();
    if (!last_size.ok()) return last_size.status();
    min = segments.front()->start() / kCqEntrySize;
    // A partial entry at the end (torn write) is dropped with the truncation below.
    max = (segments.back()->start() + *last_size) / kCqEntrySize;
  }
  const int64_t loaded_max = max;

  std::vector<CqEntry> chunk;
  bool backed = false;
  while (max > min && !backed) {
    const int64_t from = std::max(min, max - kLoadChunk);
    if (Status s = ReadEntries(from, max - from, &chunk); !s.ok()) return s;
    for (int64_t i = max - from - 1; i >= 0; --i) {
      if (Backed(chunk[static_cast<size_t>(i)], from + i, log)) {
        backed = true;
        break;
      }
      max = from + i;
    }
  }
  if (Status s = files_.TruncateFrom(max * kCqEntrySize); !s.ok()) return s;

  // Holes at the front come from a gap re-dispatch; the first readable entry is the minimum.
  bool found = false;
  while (min < max && !found) {
    const int64_t count = std::min(kLoadChunk, max - min);
    if (Status s = ReadEntries(min, count, &chunk); !s.ok()) return s;
    for (const CqEntry& e : chunk) {
      if (!e.hole()) {
        found = true;
        break;
      }
      ++min;
    }
  }

  last_entry_end_ = -1;
  if (max > min) {
    if (Status s = ReadEntries(max - 1, 1, &chunk); !s.ok()) return s;
    last_entry_end_ = chunk[0].position + chunk[0].size;
  }
  files_.SetSynced(max * kCqEntrySize);
  next_ = max;
  staged_first_ = max;
  min_.store(min, std::memory_order_release);
  max_.store(max, std::memory_order_release);
  return loaded_max - max;
}

void ConsumeQueue::Stage(const CqEntry& e) {
  if (staged_.empty()) staged_first_ = next_;
  char buf[kCqEntrySize];
  PutInt64(buf, e.position);
  PutInt32(buf + 8, e.size);
  PutInt64(buf + 12, e.tags_code);
  staged_.append(buf, sizeof buf);
  ++next_;
  last_entry_end_ = e.position + e.size;
}

Status ConsumeQueue::SkipTo(int64_t offset) {
  if (Status s = WriteStaged(); !s.ok()) return s;
  if (offset <= next_) return Status::OK();
  if (next_ == min_offset()) min_.store(offset, std::memory_order_release);  // nothing before it
  next_ = offset;
  return Status::OK();
}

Status ConsumeQueue::WriteStaged() {
  int64_t at = staged_first_ * kCqEntrySize;
  size_t done = 0;
  while (done < staged_.size()) {
    const int64_t file_end = (at / files_.segment_size() + 1) * files_.segment_size();
    const size_t n = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(staged_.size() - done), file_end - at));
    iovec v{staged_.data() + done, n};
    if (Status s = files_.Write(at, {&v, 1}); !s.ok()) return s;
    at += static_cast<int64_t>(n);
    done += n;
  }
  staged_.clear();
  staged_first_ = next_;
  return Status::OK();
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
      Result<size_t> got = seg->ReadUpTo(at - seg->start(), buf.data() + (at - from * kCqEntrySize),
                                         static_cast<size_t>(n));
      if (!got.ok()) return got.status();
    }
    at += n;
  }
  out->reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) out->push_back(DecodeEntry(buf.data() + i * kCqEntrySize));
  return Status::OK();
}

}  // namespace sprocket::filelog
