#include "commit_log.h"

#include <sys/uio.h>

#include <algorithm>

#include "big_endian.h"
#include "file_util.h"
#include "record_format.h"

namespace sprocket::filelog {

void LogBatch::AddBlank(int64_t position, int32_t bytes_left) {
  std::array<char, 8>& b = blanks_.emplace_back();
  EncodeBlank(b.data(), bytes_left);
  pieces_.push_back({position, b.data(), b.size(), -1});
}

CommitLog::CommitLog(const std::string& dir, int64_t segment_size, bool reserve_blocks)
    // reserve_blocks (ASYNC_FLUSH): the allocator thread fallocates each segment, so block
    // allocation — and the block-bitmap reads it may need — happens there, not in the
    // periodic fdatasync, which holds the inode's block-map lock (ext4 i_data_sem) while it
    // allocates and so stalls the writer's next pwritev: two 80–90 ms stalls per 2 GiB
    // appended were measured here, and ASYNC appends ran 0.60–0.70x -> 0.73–0.81x the
    // disk's sequential writes with fallocated segments (interleaved A/B).
    // Sparse otherwise (SYNC_FLUSH): on journaled ext4 every fdatasync after writing into
    // fallocated (unwritten) extents converts them in a journal commit (~4 ms per sync was
    // measured on such a file system). Appends are pwritev either way, so a full disk is a
    // write error (ENOSPC), never a fault.
    : files_(dir, segment_size, SegmentOptions{.reserve = reserve_blocks, .map = true}, "commitlog") {}

void CommitLog::ResetEnd(int64_t end) {
  write_position_ = end;
  current_.reset();
  end_.store(end, std::memory_order_release);
}

Result<int64_t> CommitLog::Reserve(int64_t size, LogBatch* batch) {
  const int64_t segment_end = SegmentStart(write_position_) + segment_size();
  // Invariant: a segment always has >= kBlankSize bytes left after its last record, so the
  // marker fits whenever a record does not.
  if (write_position_ + size + kBlankSize > segment_end) {
    Result<std::shared_ptr<Segment>> next = files_.FindOrCreate(segment_end);
    if (!next.ok()) return next.status();
    batch->AddBlank(write_position_, static_cast<int32_t>(segment_end - write_position_));
    write_position_ = segment_end;
    current_ = std::move(*next);
  }
  if (!current_ || !current_->Contains(write_position_)) {
    // A fresh log, or one repositioned: its first segment may not exist yet.
    Result<std::shared_ptr<Segment>> cur = files_.FindOrCreate(write_position_);
    if (!cur.ok()) return cur.status();
    current_ = std::move(*cur);
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
    std::shared_ptr<Segment> seg = files_.Find(run_start);
    if (!seg) return Status::IOError("commitlog: no segment for position " + std::to_string(run_start));
    int64_t next = run_start;
    int64_t newest = -1;
    iov.clear();
    while (i < pieces.size() && pieces[i].position == next && next < seg->end()) {
      iov.push_back({const_cast<char*>(pieces[i].data), pieces[i].size});
      next += static_cast<int64_t>(pieces[i].size);
      newest = std::max(newest, pieces[i].store_timestamp);
      ++i;
    }
    if (iov.empty())  // a gap between pieces is a bug in Reserve's callers
      return Status::InvalidArgument("commitlog: batch is not contiguous at " + std::to_string(run_start));
    if (Status s = seg->Write(run_start - seg->start(), iov); !s.ok()) return s;
    if (newest >= 0) seg->set_newest_store_timestamp(newest);
  }
  return Status::OK();
}

Status CommitLog::WriteRaw(const char* data, int64_t n, int64_t newest_store_timestamp) {
  if (!current_ || !current_->Contains(write_position_)) {
    Result<std::shared_ptr<Segment>> cur = files_.FindOrCreate(write_position_);
    if (!cur.ok()) return cur.status();
    current_ = std::move(*cur);
  }
  if (write_position_ + n > current_->end())
    return Status::InvalidArgument("commitlog: raw write crosses the end of " + current_->path());
  iovec v{const_cast<char*>(data), static_cast<size_t>(n)};
  if (Status s = current_->Write(write_position_ - current_->start(), {&v, 1}); !s.ok()) return s;
  if (newest_store_timestamp >= 0) current_->set_newest_store_timestamp(newest_store_timestamp);
  write_position_ += n;
  return Status::OK();
}

Status CommitLog::CutAt(int64_t position) {
  const int64_t old_end = std::max(end(), write_position_);
  ResetEnd(position);
  if (std::shared_ptr<Segment> seg = files_.Find(position))
    seg->set_newest_store_timestamp(-1);  // found again when needed
  return files_.TruncateFrom(position, old_end);
}

Result<int64_t> CommitLog::SyncTo(const std::atomic<int64_t>& position) {
  while (true) {
    const uint64_t epoch = files_.epoch();  // first: see SegmentedFile::SyncIfUnchanged
    const int64_t upto = position.load(std::memory_order_acquire);
    Result<bool> done = files_.SyncIfUnchanged(upto, epoch);
    if (!done.ok()) return done.status();
    if (*done) return upto;
  }
}

Result<LogView> CommitLog::View(int64_t position, int64_t size) const {
  if (position < min_position() || size <= 0 || position + size > end())
    return Status::NotFound("commitlog: no " + std::to_string(size) + " bytes at " +
                            std::to_string(position) + " (log holds [" + std::to_string(min_position()) +
                            ", " + std::to_string(end()) + "))");
  std::shared_ptr<Segment> seg = files_.Find(position);
  if (!seg || position + size > seg->end())
    return Status::NotFound("commitlog: position " + std::to_string(position) + " is not held");
  return LogView{seg->data() + (position - seg->start()), std::move(seg)};
}

Result<RecordRead> CommitLog::ReadAt(int64_t position) const {
  // The position usually comes from a client's msgId: anything that is not the start of a
  // record is "not found", not damage.
  auto not_found = [position](const std::string& why) {
    return Status::NotFound("commitlog: no record at " + std::to_string(position) + ": " + why);
  };
  Result<LogView> head = View(position, 8);
  if (!head.ok()) return not_found("not in the log");
  const int64_t seg_end = head->segment->end();
  const int32_t size = GetInt32(head->data);
  const int32_t magic = GetInt32(head->data + kMagicField);
  if (magic == kBlankMagic) return not_found("an end-of-segment blank starts there");
  if (magic != kMessageMagic) return not_found("no record header");
  if (size < kMinRecordSize || position + size + kBlankSize > seg_end || position + size > end())
    return not_found("impossible size " + std::to_string(size));
  const char* rec = head->data;
  if (GetInt64(rec + kPhysicalOffsetField) != position) return not_found("the header names another position");
  Result<RecordFields> fields = ParseRecord(std::string_view(rec, static_cast<size_t>(size)));
  if (!fields.ok())
    return Status::Corruption("commitlog: record at " + std::to_string(position) + ": " +
                              fields.status().message());
  if (!BodyCrcMatches(*fields))
    return Status::Corruption("commitlog: record at " + std::to_string(position) + ": body CRC mismatch");
  RecordRead out;
  out.record = ByteView{rec, static_cast<size_t>(size)};
  out.hold = std::move(head->segment);
  return out;
}

Result<LogChunk> CommitLog::ReadLog(int64_t from, int64_t max_bytes) const {
  const int64_t log_end = end();
  if (from < min_position())
    return Status::NotFound("commitlog: position " + std::to_string(from) + " was deleted");
  if (from > log_end)
    return Status::InvalidArgument("commitlog: position " + std::to_string(from) + " is past the log end " +
                                   std::to_string(log_end));
  LogChunk chunk;
  chunk.start = LogPosition(from);
  chunk.next = LogPosition(from);
  if (from == log_end) return chunk;
  std::shared_ptr<Segment> seg = files_.Find(from);
  if (!seg) return Status::NotFound("commitlog: position " + std::to_string(from) + " is not held");
  const char* base = seg->data() - seg->start();  // base[p] is log byte p
  const int64_t limit = std::min(log_end, seg->end());
  int64_t at = from;
  while (at < limit) {
    if (at + 8 > limit) return Status::Corruption("commitlog: entry header cut at " + std::to_string(at));
    const int32_t size = GetInt32(base + at);
    const int32_t magic = GetInt32(base + at + kMagicField);
    int64_t entry = 0;
    if (magic == kBlankMagic && size == seg->end() - at) {
      entry = size;
    } else if (magic == kMessageMagic && size >= kMinRecordSize && at + size + kBlankSize <= seg->end() &&
               GetInt64(base + at + kPhysicalOffsetField) == at) {
      entry = size;
    } else if (at == from) {
      return Status::InvalidArgument("commitlog: no record or blank starts at " + std::to_string(from));
    } else {
      return Status::Corruption("commitlog: bad entry at " + std::to_string(at));
    }
    if (at + entry > log_end) break;                        // cannot happen for published entries; stay safe
    if (at > from && at + entry - from > max_bytes) break;  // at least one entry, however large
    at += entry;
  }
  chunk.bytes = ByteView{base + from, static_cast<size_t>(at - from)};
  chunk.next = LogPosition(at);
  chunk.hold = std::move(seg);
  return chunk;
}

}  // namespace sprocket::filelog
