#include "log_scanner.h"

#include <algorithm>

#include "big_endian.h"

namespace sprocket::filelog {

namespace {
// A cold recovery scan reads the log sequentially: ask for this much ahead at a time.
constexpr int64_t kReadAhead = 8 << 20;

// Whether a record that parses and whose body matches BODYCRC was still cut short. A write
// that stopped partway (a process killed inside pwritev) leaves a prefix of its bytes, at page
// or even byte granularity, and zeros after it. A cut in the fixed fields or a length field
// breaks the length sum and a cut in the body its CRC, but nothing covers the topic and the
// properties: a record cut there still parses. Topic names never hold a NUL and a properties
// string ends with a separator (\x02) or a value, never a NUL; a cut there leaves the
// topic's last byte NUL (no properties: the cut reached into the topic) or the properties'.
bool CutShort(const RecordFields& f) {
  if (f.topic.empty() || f.topic.back() == '\0') return true;
  return !f.properties.empty() && f.properties.back() == '\0';
}
}  // namespace

LogScanner::LogScanner(const SegmentedFile& files, int64_t from, int64_t limit, bool may_be_torn)
    : files_(files), position_(from), limit_(limit), may_be_torn_(may_be_torn) {}

LogScanner::Step LogScanner::Invalid(std::string why) {
  error_ = (segment_ ? segment_->path() : files_.what()) + " at position " + std::to_string(position_) +
           ": " + why;
  return Step::kInvalid;
}

LogScanner::Step LogScanner::Next(Record* out) {
  while (true) {
    if (position_ >= limit_) return Step::kEnd;
    if (!segment_ || !segment_->Contains(position_)) {
      segment_ = files_.Find(position_);
      if (!segment_) return Step::kEnd;  // no file holds this position: the log ends here
      prefetched_to_ = position_;
    }
    const int64_t left = segment_->end() - position_;
    if (left < kBlankSize) return Invalid("fewer than 8 bytes left in the segment");
    if (position_ + kReadAhead / 2 > prefetched_to_) {
      segment_->Prefetch(position_ - segment_->start(), kReadAhead);
      prefetched_to_ = position_ + kReadAhead;
    }
    const char* head = segment_->data() + (position_ - segment_->start());
    const int32_t size = GetInt32(head);
    const int32_t magic = GetInt32(head + 4);
    if (size == 0 && magic == 0) return Step::kEnd;  // never written (zeros)
    if (magic == kBlankMagic) {
      if (size != left)
        return Invalid("blank marker says " + std::to_string(size) + " bytes left, " + std::to_string(left) +
                       " are");
      position_ = segment_->end();
      continue;
    }
    if (magic != kMessageMagic) return Invalid("bad magic " + std::to_string(magic));
    if (size < kMinRecordSize || size + kBlankSize > left)
      return Invalid("record size " + std::to_string(size) + " impossible here");
    if (position_ + size > limit_) return Invalid("record crosses the scan limit");
    std::string_view bytes(head, static_cast<size_t>(size));
    Result<RecordFields> fields = ParseRecord(bytes);
    if (!fields.ok()) return Invalid(fields.status().message());
    if (fields->physical_offset != position_)
      return Invalid("PHYSICALOFFSET says " + std::to_string(fields->physical_offset));
    if (may_be_torn_ && !BodyCrcMatches(*fields)) return Invalid("body CRC mismatch");
    if (may_be_torn_ && CutShort(*fields))
      return Invalid("record cut short: its topic or properties end in NUL");
    out->position = position_;
    out->bytes = bytes;
    out->fields = *fields;
    position_ += size;
    return Step::kRecord;
  }
}

}  // namespace sprocket::filelog
