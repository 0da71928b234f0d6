#include "log_scanner.h"

#include <algorithm>

#include "big_endian.h"

namespace sprocket::filelog {

namespace {
constexpr size_t kChunk = 1 << 20;
}

LogScanner::LogScanner(const SegmentedFile& files, int64_t from, int64_t limit)
    : files_(files), position_(from), limit_(limit) {}

LogScanner::Step LogScanner::Invalid(std::string why) {
  error_ = (segment_ ? segment_->path() : files_.what()) + " at position " + std::to_string(position_) +
           ": " + why;
  return Step::kInvalid;
}

Result<bool> LogScanner::Fill(const Segment& seg, size_t n) {
  if (position_ >= buf_start_ && position_ + static_cast<int64_t>(n) <= buf_start_ + static_cast<int64_t>(buf_len_))
    return true;
  const int64_t in_segment = position_ - seg.start();
  const size_t want = static_cast<size_t>(
      std::min<int64_t>(std::max(n, kChunk), seg.capacity() - in_segment));
  if (buf_.size() < want) buf_.resize(want);
  Result<size_t> got = seg.ReadUpTo(in_segment, buf_.data(), want);
  if (!got.ok()) return got.status();
  buf_start_ = position_;
  buf_len_ = *got;
  return buf_len_ >= n;
}

LogScanner::Step LogScanner::Next(Record* out) {
  while (true) {
    if (position_ >= limit_) return Step::kEnd;
    if (!segment_ || !segment_->Contains(position_)) {
      segment_ = files_.Find(position_);
      buf_len_ = 0;
      if (!segment_) return Step::kEnd;  // no file holds this position: the log ends here
    }
    Result<bool> have = Fill(*segment_, 8);
    if (!have.ok()) return Invalid(have.status().ToString());
    if (!*have) {
      if (buf_len_ == 0) return Step::kEnd;  // the file ends exactly here
      return Invalid("file ends inside a record header");
    }
    const char* head = buf_.data() + (position_ - buf_start_);
    const int32_t size = GetInt32(head);
    const int32_t magic = GetInt32(head + 4);
    const int64_t left = segment_->end() - position_;
    if (size == 0 && magic == 0) return Step::kEnd;  // never written (zeros)
    if (magic == kBlankMagic) {
      if (size != left) return Invalid("blank marker says " + std::to_string(size) + " bytes left, " +
                                       std::to_string(left) + " are");
      position_ = segment_->end();
      continue;
    }
    if (magic != kMessageMagic) return Invalid("bad magic " + std::to_string(magic));
    if (size < kMinRecordSize || size + kBlankSize > left)
      return Invalid("record size " + std::to_string(size) + " impossible here");
    if (position_ + size > limit_) return Invalid("record crosses the scan limit");
    have = Fill(*segment_, static_cast<size_t>(size));
    if (!have.ok()) return Invalid(have.status().ToString());
    if (!*have) return Invalid("file ends inside a record of " + std::to_string(size) + " bytes");
    std::string_view bytes(buf_.data() + (position_ - buf_start_), static_cast<size_t>(size));
    Result<RecordFields> fields = ParseRecord(bytes);
    if (!fields.ok()) return Invalid(fields.status().message());
    if (fields->physical_offset != position_)
      return Invalid("PHYSICALOFFSET says " + std::to_string(fields->physical_offset));
    out->position = position_;
    out->bytes = bytes;
    out->fields = *fields;
    position_ += size;
    return Step::kRecord;
  }
}

}  // namespace sprocket::filelog
