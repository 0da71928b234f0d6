#include "segmented_file.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "file_util.h"

namespace sprocket::filelog {

namespace {

auto StartLess = [](int64_t off, const std::shared_ptr<Segment>& seg) { return off < seg->start(); };

}  // namespace

SegmentedFile::SegmentedFile(std::string dir, int64_t segment_size, SegmentOptions options, std::string what)
    : dir_(std::move(dir)), segment_size_(segment_size), options_(options), what_(std::move(what)) {}

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
        Segment::OpenExisting(JoinPath(dir_, name), start, segment_size_, options_);
    if (!seg.ok()) return seg.status();
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
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset, StartLess);
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

size_t SegmentedFile::count() const {
  std::shared_lock lock(mu_);
  return segments_.size();
}

int64_t SegmentedFile::FirstStart(int64_t fallback) const {
  std::shared_lock lock(mu_);
  return segments_.empty() ? fallback : segments_.front()->start();
}

int64_t SegmentedFile::LastEnd(int64_t fallback) const {
  std::shared_lock lock(mu_);
  return segments_.empty() ? fallback : segments_.back()->end();
}

Result<std::shared_ptr<Segment>> SegmentedFile::FindOrCreate(int64_t offset) {
  if (auto seg = Find(offset)) return seg;
  std::lock_guard create(create_mu_);
  if (auto seg = Find(offset)) return seg;  // made by the other creator meanwhile
  const int64_t start = offset - offset % segment_size_;
  // Created outside mu_: readers never wait for file creation, fallocate or the directory sync.
  Result<std::shared_ptr<Segment>> seg =
      Segment::Create(JoinPath(dir_, SegmentFileName(start)), start, segment_size_, options_);
  if (!seg.ok()) return seg.status();
  if (Status s = SyncDir(dir_); !s.ok()) return s;
  std::unique_lock lock(mu_);
  segments_.insert(std::upper_bound(segments_.begin(), segments_.end(), start, StartLess), *seg);
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

Result<bool> SegmentedFile::SyncIfUnchanged(int64_t upto, uint64_t epoch) {
  if (upto <= synced() && epoch == this->epoch()) return true;
  std::lock_guard guard(sync_mu_);
  if (epoch != this->epoch()) return false;
  const int64_t from = synced();
  if (upto <= from) return true;  // another caller got there first
  for (const auto& seg : Snapshot()) {
    if (seg->end() <= from || seg->start() >= upto) continue;
    sync_calls_.fetch_add(1, std::memory_order_relaxed);
    if (Status s = seg->Sync(); !s.ok()) return s;
  }
  synced_.store(upto, std::memory_order_release);
  return true;
}

Status SegmentedFile::Unlink(const std::string& path) const {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("unlink", path, errno);
  return Status::OK();
}

Status SegmentedFile::TruncateFrom(int64_t offset, int64_t zero_to) {
  std::lock_guard guard(sync_mu_);
  epoch_.fetch_add(1, std::memory_order_acq_rel);  // a Sync with an older end must not record it
  if (synced() > offset) synced_.store(offset, std::memory_order_release);
  std::vector<std::shared_ptr<Segment>> removed;
  std::shared_ptr<Segment> holder;
  {
    std::unique_lock lock(mu_);
    while (!segments_.empty() && segments_.back()->start() > offset) {
      removed.push_back(segments_.back());
      segments_.pop_back();
    }
    if (!segments_.empty() && segments_.back()->Contains(offset)) holder = segments_.back();
  }
  for (const auto& seg : removed)
    if (Status s = Unlink(seg->path()); !s.ok()) return s;
  // The segment holding `offset` keeps its bytes below it; one starting exactly there stays
  // (empty), so the next write finds it.
  if (holder) {
    const int64_t to = std::min(holder->end(), std::max(offset, zero_to));
    if (to > offset) {
      if (Status s = holder->ZeroRange(offset - holder->start(), to - holder->start()); !s.ok()) return s;
      sync_calls_.fetch_add(1, std::memory_order_relaxed);
      if (Status s = holder->Sync(); !s.ok()) return s;
    }
  }
  return removed.empty() ? Status::OK() : SyncDir(dir_);
}

Result<std::vector<std::shared_ptr<Segment>>> SegmentedFile::RemoveFront(
    size_t max, const std::function<bool(const Segment&)>& expired) {
  std::vector<std::shared_ptr<Segment>> removed;
  for (const auto& seg : Snapshot()) {
    if (removed.size() >= max || !expired(*seg)) break;
    removed.push_back(seg);
  }
  if (removed.empty()) return removed;
  {
    std::unique_lock lock(mu_);
    // Only the front can be removed, and only this caller removes from the front.
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(removed.size()));
  }
  for (const auto& seg : removed)
    if (Status s = Unlink(seg->path()); !s.ok()) return s;
  if (Status s = SyncDir(dir_); !s.ok()) return s;
  return removed;
}

Status SegmentedFile::RemoveAll(int64_t synced) {
  std::lock_guard guard(sync_mu_);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  synced_.store(synced, std::memory_order_release);
  std::vector<std::shared_ptr<Segment>> all;
  {
    std::unique_lock lock(mu_);
    all.swap(segments_);
  }
  for (const auto& seg : all)
    if (Status s = Unlink(seg->path()); !s.ok()) return s;
  return all.empty() ? Status::OK() : SyncDir(dir_);
}

}  // namespace sprocket::filelog
