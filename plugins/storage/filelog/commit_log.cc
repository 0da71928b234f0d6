#include "commit_log.h"

#include <sys/uio.h>

#include "big_endian.h"
#include "file_util.h"
#include "record_format.h"

namespace sprocket::filelog {

void LogBatch::AddBlank(int64_t position, int32_t bytes_left) {
  std::array<char, 8>& b = blanks_.emplace_back();
  EncodeBlank(b.data(), bytes_left);
  pieces_.push_back({position, b.data(), b.size()});
}

CommitLog::CommitLog(const std::string& dir, int64_t segment_size)
    : files_(dir, segment_size, "commitlog") {}

void CommitLog::ResetEnd(int64_t end) {
  write_position_ = end;
  end_.store(end, std::memory_order_release);
}

int64_t CommitLog::Reserve(int64_t size, LogBatch* batch) {
  const int64_t seg = files_.segment_size();
  const int64_t segment_end = (write_position_ / seg + 1) * seg;
  // Invariant: a segment always has >= kBlankSize bytes left after its last record, so the
  // marker fits whenever a record does not.
  if (write_position_ + size + kBlankSize > segment_end) {
    batch->AddBlank(write_position_, static_cast<int32_t>(segment_end - write_position_));
    write_position_ = segment_end;
  }
  const int64_t position = write_position_;
  write_position_ += size;
  return position;
}

Status CommitLog::Write(const LogBatch& batch) {
  const auto& pieces = batch.pieces();
  std::vector<iovec> iov;
  size_t i = 0;
  while (i < pieces.size()) {
    // One run: contiguous pieces that share a segment (a blank always ends a segment).
    const int64_t run_start = pieces[i].position;
    const int64_t segment_end = (run_start / files_.segment_size() + 1) * files_.segment_size();
    int64_t next = run_start;
    iov.clear();
    while (i < pieces.size() && pieces[i].position == next && next < segment_end) {
      iov.push_back({const_cast<char*>(pieces[i].data), pieces[i].size});
      next += static_cast<int64_t>(pieces[i].size);
      ++i;
    }
    if (iov.empty())  // a gap between pieces is a bug in Reserve's callers
      return Status::InvalidArgument("commitlog: batch is not contiguous at " + std::to_string(run_start));
    if (Status s = files_.Write(run_start, iov); !s.ok()) return s;
  }
  return Status::OK();
}

Status CommitLog::ReadRecord(int64_t position, int32_t size, char* dst) const {
  if (position < 0 || size <= 0 || position + size > end())
    return Status::NotFound("commitlog: no record of " + std::to_string(size) + " bytes at " +
                            std::to_string(position) + " (log ends at " + std::to_string(end()) + ")");
  return files_.Read(position, dst, static_cast<size_t>(size));
}

Result<RecordRead> CommitLog::ReadAt(int64_t position) const {
  const int64_t limit = end();
  if (position < min_position() || position + 8 > limit)
    return Status::NotFound("commitlog: no record at " + std::to_string(position));
  std::shared_ptr<Segment> seg = files_.Find(position);
  char head[8];
  Result<size_t> got = seg ? seg->ReadUpTo(position - seg->start(), head, sizeof head) : Result<size_t>(size_t{0});
  if (!got.ok()) return got.status();
  if (*got < sizeof head)  // e.g. inside the unwritten rest of a segment after its blank marker
    return Status::NotFound("commitlog: no record at " + std::to_string(position));
  const int32_t size = GetInt32(head);
  const int32_t magic = GetInt32(head + 4);
  if (magic == kBlankMagic)
    return Status::NotFound("commitlog: position " + std::to_string(position) + " is an end-of-segment blank");
  // The position usually comes from a client's msgId: no record starting here is "not
  // found", not damage.
  if (magic != kMessageMagic || size < kMinRecordSize || position + size > limit)
    return Status::NotFound("commitlog: no valid record header at " + std::to_string(position) +
                              " (size " + std::to_string(size) + ", magic " + std::to_string(magic) + ")");
  auto buffer = std::make_shared<std::string>(static_cast<size_t>(size), '\0');
  if (Status s = files_.Read(position, buffer->data(), buffer->size()); !s.ok()) return s;
  if (GetInt64(buffer->data() + kPhysicalOffsetField) != position)
    return Status::Corruption("commitlog: record at " + std::to_string(position) +
                              " names another position in PHYSICALOFFSET");
  RecordRead out;
  out.record = ByteView{buffer->data(), buffer->size()};
  out.hold = std::move(buffer);
  return out;
}

}  // namespace sprocket::filelog
