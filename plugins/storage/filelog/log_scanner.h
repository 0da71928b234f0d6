// LogScanner: reads the commit log's records in order from a start position, validating each
// one, for recovery (finding the end of valid data, re-dispatching records to consume queues).
//
// A record is accepted when its magic is right, its length fields add up to TOTALSIZE, it
// fits its segment with room for the blank marker, it lies wholly inside the file, and its
// PHYSICALOFFSET names its own position. A blank marker must state exactly the bytes left in
// its segment; the scan continues at the next segment. Without CRCs (a later issue) this
// catches a torn tail, not bit rot inside a body.
//
// Reads in large chunks; a returned record view is valid until the next call to Next().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "record_format.h"
#include "segmented_file.h"

namespace sprocket::filelog {

class LogScanner {
 public:
  enum class Step {
    kRecord,   // *out holds the next record
    kEnd,      // clean end: end of the last file, or zero bytes where a record would start
    kInvalid,  // bytes that are not a valid record or blank; error() says why
  };

  struct Record {
    int64_t position = 0;
    std::string_view bytes;
    RecordFields fields;
  };

  // Scans from `from` (a record boundary) and stops at `limit`.
  LogScanner(const SegmentedFile& files, int64_t from, int64_t limit);

  Step Next(Record* out);
  // Where the scan stands: after kEnd/kInvalid, the end of the valid records.
  int64_t position() const { return position_; }
  const std::string& error() const { return error_; }

 private:
  // Makes [position_, position_ + n) available in buf_; false when the file ends first.
  Result<bool> Fill(const Segment& seg, size_t n);
  Step Invalid(std::string why);

  const SegmentedFile& files_;
  int64_t position_;
  const int64_t limit_;
  std::shared_ptr<Segment> segment_;
  std::string buf_;
  int64_t buf_start_ = 0;  // absolute position of buf_[0]
  size_t buf_len_ = 0;
  std::string error_;
};

}  // namespace sprocket::filelog
