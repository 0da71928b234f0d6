#include "segmented_file.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "file_util.h"

namespace sprocket::filelog {

SegmentedFile::SegmentedFile(std::string dir, int64_t segment_size, std::string what)
    : dir_(std::move(dir)), segment_size_(segment_size), what_(std::move(what)) {}

Status SegmentedFile::Load() {
  Result<std::vector<std::string>> names = ListDir(dir_, /*directories=*/false);
  if (!names.ok()) return names.status();
  std::vector<std::shared_ptr<Segment>> loaded;
  for (const std::string& name : *names) {
    int64_t start = 0;
    if (!ParseSegmentFileName(name, &start)) continue;
    if (start % segment_size_ != 0)
      return Status::Corruption(what_ + ": file " + name + " does not start at a multiple of the " +
                                "segment size " + std::to_string(segment_size_));
    Result<std::shared_ptr<Segment>> seg =
        Segment::Open(JoinPath(dir_, name), start, segment_size_, /*create=*/false);
    if (!seg.ok()) return seg.status();
    Result<int64_t> size = (*seg)->FileSize();
    if (!size.ok()) return size.status();
    if (*size > segment_size_)
      return Status::Corruption(what_ + ": file " + name + " holds " + std::to_string(*size) +
                                " bytes, more than the segment size " + std::to_string(segment_size_));
    loaded.push_back(std::move(*seg));
  }
  std::sort(loaded.begin(), loaded.end(),
            [](const auto& a, const auto& b) { return a->start() < b->start(); });
  std::unique_lock lock(mu_);
  segments_ = std::move(loaded);
  return Status::OK();
}

std::shared_ptr<Segment> SegmentedFile::Find(int64_t offset) const {
  std::shared_lock lock(mu_);
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](int64_t off, const auto& seg) { return off < seg->start(); });
  if (it == segments_.begin()) return nullptr;
  --it;
  return (*it)->Contains(offset) ? *it : nullptr;
}

std::vector<std::shared_ptr<Segment>> SegmentedFile::Snapshot() const {
  std::shared_lock lock(mu_);
  return segments_;
}

bool SegmentedFile::empty() const {
  std::shared_lock lock(mu_);
  return segments_.empty();
}

int64_t SegmentedFile::FirstStart(int64_t fallback) const {
  std::shared_lock lock(mu_);
  return segments_.empty() ? fallback : segments_.front()->start();
}

Result<std::shared_ptr<Segment>> SegmentedFile::FindOrCreate(int64_t offset) {
  if (auto seg = Find(offset)) return seg;
  const int64_t start = offset - offset % segment_size_;
  // Created outside the lock: readers never wait for file creation or the directory sync.
  Result<std::shared_ptr<Segment>> seg =
      Segment::Open(JoinPath(dir_, SegmentFileName(start)), start, segment_size_, /*create=*/true);
  if (!seg.ok()) return seg.status();
  if (Status s = SyncDir(dir_); !s.ok()) return s;
  std::unique_lock lock(mu_);
  auto it = std::upper_bound(segments_.begin(), segments_.end(), start,
                             [](int64_t off, const auto& s) { return off < s->start(); });
  segments_.insert(it, *seg);
  return *seg;
}

Status SegmentedFile::Write(int64_t offset, std::span<const iovec> iov) {
  Result<std::shared_ptr<Segment>> seg = FindOrCreate(offset);
  if (!seg.ok()) return seg.status();
  return (*seg)->Write(offset - (*seg)->start(), iov);
}

Status SegmentedFile::Read(int64_t offset, char* dst, size_t n) const {
  std::shared_ptr<Segment> seg = Find(offset);
  if (!seg) return Status::NotFound(what_ + ": no segment holds offset " + std::to_string(offset));
  if (offset + static_cast<int64_t>(n) > seg->end())
    return Status::InvalidArgument(what_ + ": read of " + std::to_string(n) + " bytes at " +
                                   std::to_string(offset) + " crosses the end of " + seg->path());
  return seg->Read(offset - seg->start(), dst, n);
}

Status SegmentedFile::Sync(int64_t upto) {
  if (upto <= synced()) return Status::OK();
  std::lock_guard guard(sync_mu_);
  const int64_t from = synced();
  if (upto <= from) return Status::OK();  // another caller got there first
  for (const auto& seg : Snapshot()) {
    if (seg->end() <= from || seg->start() >= upto) continue;
    if (Status s = seg->Sync(); !s.ok()) return s;
  }
  synced_.store(upto, std::memory_order_release);
  return Status::OK();
}

Status SegmentedFile::TruncateFrom(int64_t offset) {
  std::unique_lock lock(mu_);
  bool removed = false;
  while (!segments_.empty() && segments_.back()->start() > offset) {
    const std::string path = segments_.back()->path();
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("unlink", path, errno);
    segments_.pop_back();
    removed = true;
  }
  // The segment holding `offset` keeps its bytes below it (one starting exactly at `offset`
  // stays, empty, so the next write finds it).
  if (!segments_.empty() && offset <= segments_.back()->end()) {
    Result<int64_t> size = segments_.back()->FileSize();
    if (!size.ok()) return size.status();
    const int64_t keep = offset - segments_.back()->start();
    if (*size > keep) {
      if (Status s = segments_.back()->Truncate(keep); !s.ok()) return s;
      if (Status s = segments_.back()->Sync(); !s.ok()) return s;
    }
  }
  if (synced() > offset) synced_.store(offset, std::memory_order_release);
  lock.unlock();
  return removed ? SyncDir(dir_) : Status::OK();
}

}  // namespace sprocket::filelog
