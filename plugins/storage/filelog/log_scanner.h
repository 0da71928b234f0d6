// LogScanner: reads the commit log's records in order from a start position, validating each
// one, for recovery (finding the end of valid data, re-dispatching records to consume queues
// and the key index).
//
// A record is accepted when its magic is right, its length fields add up to TOTALSIZE, it
// fits its segment with room for the blank marker, it lies below the scan limit, its
// PHYSICALOFFSET names its own position and (`may_be_torn`: bytes a crash may have torn) its
// BODYCRC matches the body and its topic and properties do not end in the zeros of a cut
// write. A blank marker must state exactly the bytes left in its segment; the scan continues
// at the next segment. An all-zero header (never written) is the clean end of the log.
//
// Reads through the segments' mappings (no copies): a returned record view stays valid while
// the segment it lies in is held by the SegmentedFile.
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
    kEnd,      // clean end: zeros where a record would start, no further segment, or the limit
    kInvalid,  // bytes that are not a valid record or blank; error() says why
  };

  struct Record {
    int64_t position = 0;
    std::string_view bytes;
    RecordFields fields;
  };

  // Scans from `from` (a record boundary) and stops at `limit`.
  LogScanner(const SegmentedFile& files, int64_t from, int64_t limit, bool may_be_torn);

  Step Next(Record* out);
  // Where the scan stands: after kEnd/kInvalid, the end of the valid records.
  int64_t position() const { return position_; }
  const std::string& error() const { return error_; }

 private:
  Step Invalid(std::string why);

  const SegmentedFile& files_;
  int64_t position_;
  const int64_t limit_;
  const bool may_be_torn_;
  std::shared_ptr<Segment> segment_;
  int64_t prefetched_to_ = 0;  // cold scans: asked the kernel to read ahead up to here
  std::string error_;
};

}  // namespace sprocket::filelog
