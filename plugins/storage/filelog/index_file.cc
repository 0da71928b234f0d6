#include "index_file.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "big_endian.h"
#include "file_util.h"
#include "record_format.h"

namespace sprocket::filelog {

namespace {

constexpr int64_t kHeaderSize = 40;
constexpr int64_t kSlotSize = 4;
constexpr int64_t kEntrySize = 20;
constexpr size_t kNameLength = 17;  // yyyyMMddHHmmssSSS

// RocketMQ's IndexFile.indexKeyHashMethod of "topic#key": abs(hashCode), with
// Integer.MIN_VALUE -> 0.
int32_t IndexHash(std::string_view topic_hash_key) {
  int32_t h = JavaStringHash(topic_hash_key);
  if (h == INT32_MIN) return 0;
  return h < 0 ? -h : h;
}

int32_t KeyHash(std::string_view topic, std::string_view key) {
  std::string full;
  full.reserve(topic.size() + 1 + key.size());
  full.append(topic).append(1, '#').append(key);
  return IndexHash(full);
}

// How many keys ahead AddBatch asks the CPU for a hash slot: the slots are spread over
// 4*S bytes (20 MB by default), so nearly every put misses the caches and the TLB.
constexpr size_t kSlotPrefetchDistance = 8;

// UtilAll.timeMillisToHumanString: local time, to the millisecond.
std::string FileNameFor(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

bool IsIndexFileName(std::string_view name) {
  return name.size() == kNameLength &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The 17-digit decimal number after `name` (also 17 digits for any name we create).
std::string NextName(std::string name) {
  for (size_t i = name.size(); i-- > 0;) {
    if (name[i] != '9') {
      ++name[i];
      return name;
    }
    name[i] = '0';
  }
  return "1" + name;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct IndexHeader {
  int64_t begin_ts = 0;
  int64_t end_ts = 0;
  int64_t begin_phy = 0;
  int64_t end_phy = 0;
  int32_t slot_count = 0;   // hashSlotCount: keys put
  int32_t index_count = 1;  // 1 + entries
  bool operator==(const IndexHeader&) const = default;
  int32_t entries() const { return index_count - 1; }
  // Whether any record (with or without keys) was noted in this file.
  bool has_position() const { return index_count > 1 || end_phy > 0; }
};

struct IndexEntry {
  int32_t key_hash = 0;
  int64_t phy = 0;
  int32_t time_diff = 0;
  int32_t prev = 0;
};

// One mapped index file. Not thread-safe: KeyIndex's locks guard it.
class IndexFileMap {
 public:
  IndexFileMap(std::string path, std::string name, int fd, char* base, int64_t size, int32_t slots,
               int32_t max_count)
      : path_(std::move(path)),
        name_(std::move(name)),
        fd_(fd),
        base_(base),
        size_(size),
        slots_(slots),
        max_count_(max_count) {}
  ~IndexFileMap() {
    if (base_ != nullptr) ::munmap(base_, static_cast<size_t>(size_));
    if (fd_ >= 0) ::close(fd_);
  }
  IndexFileMap(const IndexFileMap&) = delete;
  IndexFileMap& operator=(const IndexFileMap&) = delete;

  // Maps `path`, creating it (sparse, `size` bytes) when `create`; an existing file must be
  // exactly `size` bytes.
  static Result<std::shared_ptr<IndexFileMap>> Map(const std::string& dir, const std::string& name,
                                                   int64_t size, int32_t slots, int32_t max_count,
                                                   bool create) {
    std::string path = JoinPath(dir, name);
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0644);
    if (fd < 0) return ErrnoStatus(create ? "create index file" : "open index file", path, errno);
    auto fail = [&](std::string_view what) {
      Status s = ErrnoStatus(what, path, errno);
      ::close(fd);
      if (create) ::unlink(path.c_str());
      return s;
    };
    if (create) {
      if (::ftruncate(fd, size) != 0) return Result<std::shared_ptr<IndexFileMap>>(fail("size index file"));
    } else {
      struct stat st;
      if (::fstat(fd, &st) != 0) return Result<std::shared_ptr<IndexFileMap>>(fail("stat index file"));
      if (st.st_size != size) {
        ::close(fd);
        // (Empty files never get here: Load removes them.) Never mapped: touching the
        // mapping past the end of a shorter file would kill the process (SIGBUS).
        return Status::InvalidArgument(
            "index file " + path + " has " + std::to_string(st.st_size) +
            " bytes, but maxHashSlotNum=" + std::to_string(slots) +
            " and maxIndexNum=" + std::to_string(max_count) + " make " + std::to_string(size) +
            ": these sizes cannot change for an existing store (restore the old values; if they did "
            "not change, the file was damaged. Deleting the index directory loses key lookups of the "
            "records stored so far)");
      }
    }
    void* base = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) return Result<std::shared_ptr<IndexFileMap>>(fail("mmap index file"));
    return std::make_shared<IndexFileMap>(std::move(path), name, fd, static_cast<char*>(base), size, slots,
                                          max_count);
  }

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  bool full() const { return live.index_count >= max_count_; }

  IndexHeader ReadHeader() const {
    IndexHeader h;
    h.begin_ts = GetInt64(base_ + 0);
    h.end_ts = GetInt64(base_ + 8);
    h.begin_phy = GetInt64(base_ + 16);
    h.end_phy = GetInt64(base_ + 24);
    h.slot_count = GetInt32(base_ + 32);
    h.index_count = GetInt32(base_ + 36);
    return h;
  }
  void WriteHeader(const IndexHeader& h) {
    PutInt64(base_ + 0, h.begin_ts);
    PutInt64(base_ + 8, h.end_ts);
    PutInt64(base_ + 16, h.begin_phy);
    PutInt64(base_ + 24, h.end_phy);
    PutInt32(base_ + 32, h.slot_count);
    PutInt32(base_ + 36, h.index_count);
  }

  int32_t Slot(int32_t s) const { return GetInt32(SlotAt(s)); }
  void PrefetchSlotOf(int32_t key_hash) const { __builtin_prefetch(SlotAt(SlotOf(key_hash)), 1); }
  void SetSlot(int32_t s, int32_t v) { PutInt32(SlotAt(s), v); }
  int32_t SlotOf(int32_t key_hash) const { return key_hash % slots_; }

  IndexEntry Entry(int32_t i) const {
    const char* p = EntryAt(i);
    return IndexEntry{GetInt32(p), GetInt64(p + 4), GetInt32(p + 12), GetInt32(p + 16)};
  }
  void SetEntry(int32_t i, const IndexEntry& e) {
    char* p = EntryAt(i);
    PutInt32(p, e.key_hash);
    PutInt64(p + 4, e.phy);
    PutInt32(p + 12, e.time_diff);
    PutInt32(p + 16, e.prev);
  }
  // An entry past the flushed count as it may be after a crash: a chain link is usable
  // only when it hashes to `slot`, points strictly backwards and indexes a record at or
  // after `min_phy` (the last flushed entry's). Zeros (a page that never reached the disk)
  // are not.
  bool Plausible(const IndexEntry& e, int32_t i, int32_t slot, int64_t min_phy) const {
    if (e.key_hash == 0 && e.phy == 0 && e.time_diff == 0 && e.prev == 0) return false;
    return e.key_hash >= 0 && SlotOf(e.key_hash) == slot && e.prev >= 0 && e.prev < i && e.phy >= min_phy &&
           e.time_diff >= 0;
  }

  // IndexFile.putKey, with beginTimestamp set before the first entry's timeDiff is taken.
  void Put(int32_t key_hash, int64_t phy, int64_t ts) {
    const int32_t n = live.index_count;
    if (n <= 1) {
      live.begin_ts = ts;
      live.begin_phy = phy;
    }
    int64_t diff = (ts - live.begin_ts) / 1000;
    diff = std::clamp<int64_t>(diff, 0, INT32_MAX);
    const int32_t slot = SlotOf(key_hash);
    int32_t prev = Slot(slot);
    if (prev <= 0 || prev >= n) prev = 0;
    SetEntry(n, IndexEntry{key_hash, phy, static_cast<int32_t>(diff), prev});
    SetSlot(slot, n);
    live.index_count = n + 1;
    live.slot_count += 1;
    live.end_phy = phy;
    live.end_ts = ts;
  }

  // Lower bound of entry i's store time (timeDiff keeps whole seconds).
  int64_t EntryTime(const IndexEntry& e) const { return live.begin_ts + int64_t{e.time_diff} * 1000; }

  // First entry number whose record is at or after `pos` (index_count when none).
  int32_t FirstEntryAtOrAfter(int64_t pos) const {
    int32_t lo = 1, hi = live.index_count;
    while (lo < hi) {
      int32_t mid = lo + (hi - lo) / 2;
      if (Entry(mid).phy >= pos) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  // Drops entries [k, index_count): unlinks each from its slot (newest first, so every slot
  // goes back to its newest remaining entry), zeroes them so that a stale copy never looks
  // like a chain link after a crash, and rechecks every slot.
  void DropFrom(int32_t k) {
    for (int32_t i = live.index_count - 1; i >= k; --i) {
      IndexEntry e = Entry(i);
      if (e.key_hash >= 0) {
        int32_t slot = SlotOf(e.key_hash);
        if (Slot(slot) == i) SetSlot(slot, e.prev > 0 && e.prev < i ? e.prev : 0);
      }
    }
    if (k < live.index_count) {
      std::fill(EntryAt(k), EntryAt(k) + (live.index_count - k) * kEntrySize, '\0');
    }
    live.index_count = k;
    live.slot_count = k - 1;
    if (k > 1) {
      IndexEntry last = Entry(k - 1);
      live.end_phy = last.phy;
      // timeDiff lost the milliseconds: keep an upper bound so the file still matches.
      live.end_ts = EntryTime(last) + 999;
    } else {
      live.end_phy = live.begin_phy;
      live.end_ts = live.begin_ts;
    }
    RepairSlots();
  }

  // Zeroes the entries written past index_count before a crash (they are contiguous from
  // index_count); a later crash must not mistake one of them for a chain link.
  int64_t ZeroTail() {
    int32_t i = live.index_count;
    static constexpr char kZero[kEntrySize] = {};
    while (i < max_count_ && std::memcmp(EntryAt(i), kZero, kEntrySize) != 0) {
      std::memset(EntryAt(i), 0, kEntrySize);
      ++i;
    }
    return i - live.index_count;
  }

  // Makes every slot point below index_count (see "Durability" in index_file.h): a slot
  // pointing past it walks back along its chain; if a link is not plausible, all slots are
  // rebuilt from the entries. Returns how many slots changed.
  int64_t RepairSlots() {
    const int32_t n = live.index_count;
    const int64_t min_phy = n > 1 ? Entry(n - 1).phy : 0;
    int64_t changed = 0;
    bool rebuild = false;
    for (int32_t s = 0; s < slots_ && !rebuild; ++s) {
      int32_t v = Slot(s);
      if (v >= 0 && v < n) continue;
      while (v >= n || v < 0) {
        if (v < 0 || v >= max_count_) {
          rebuild = true;
          break;
        }
        IndexEntry e = Entry(v);
        if (!Plausible(e, v, s, min_phy)) {
          rebuild = true;
          break;
        }
        v = e.prev;
      }
      if (!rebuild) {
        SetSlot(s, v);
        ++changed;
      }
    }
    if (rebuild) {
      std::fill(SlotAt(0), SlotAt(0) + int64_t{slots_} * kSlotSize, '\0');
      for (int32_t i = 1; i < n; ++i) {
        IndexEntry e = Entry(i);
        if (e.key_hash >= 0) SetSlot(SlotOf(e.key_hash), i);
      }
      changed = slots_;
    }
    return changed;
  }

  Status Sync() {
    if (::fdatasync(fd_) != 0) return ErrnoStatus("fdatasync index file", path_, errno);
    return Status::OK();
  }
  // A new file: its size and header (fsync, not fdatasync: the size is all that is new).
  Status SyncNew() {
    if (::fsync(fd_) != 0) return ErrnoStatus("fsync new index file", path_, errno);
    return Status::OK();
  }

  // Entries and slots durable first, then the header that covers them.
  Status SyncWithHeader(const IndexHeader& h) {
    if (Status s = Sync(); !s.ok()) return s;
    WriteHeader(h);
    if (Status s = Sync(); !s.ok()) return s;
    on_disk = h;
    return Status::OK();
  }

  int64_t DiskBytes() const {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return 0;
    return static_cast<int64_t>(st.st_blocks) * 512;
  }

  IndexHeader live;     // the header as Add keeps it (guarded by KeyIndex::mu_)
  IndexHeader on_disk;  // the header last written to the file (guarded by KeyIndex::flush_mu_)

 private:
  char* SlotAt(int32_t s) const { return base_ + kHeaderSize + int64_t{s} * kSlotSize; }
  char* EntryAt(int32_t i) const {
    return base_ + kHeaderSize + int64_t{slots_} * kSlotSize + int64_t{i} * kEntrySize;
  }

  const std::string path_;
  const std::string name_;
  const int fd_;
  char* const base_;
  const int64_t size_;
  const int32_t slots_;
  const int32_t max_count_;
};

KeyIndex::KeyIndex(KeyIndexOptions options, std::shared_ptr<spdlog::logger> log)
    : options_(std::move(options)),
      log_(std::move(log)),
      file_size_(kHeaderSize + int64_t{options_.max_hash_slots} * kSlotSize +
                 int64_t{options_.max_index_count} * kEntrySize) {}

KeyIndex::~KeyIndex() { Close(); }

Result<std::unique_ptr<KeyIndex>> KeyIndex::Open(KeyIndexOptions options,
                                                 std::shared_ptr<spdlog::logger> log) {
  if (options.max_hash_slots < 1) {
    return Status::InvalidArgument("maxHashSlotNum must be at least 1, not " +
                                   std::to_string(options.max_hash_slots));
  }
  if (options.max_index_count < 2) {
    return Status::InvalidArgument("maxIndexNum must be at least 2, not " +
                                   std::to_string(options.max_index_count));
  }
  if (options.dir.empty()) return Status::InvalidArgument("key index: no directory");
  std::unique_ptr<KeyIndex> index(new KeyIndex(std::move(options), std::move(log)));
  if (Status s = index->Load(); !s.ok()) return s;
  return index;
}

Status KeyIndex::Load() {
  if (Status s = CreateDirs(options_.dir); !s.ok()) return s;
  auto names = ListDir(options_.dir, /*directories=*/false);
  if (!names.ok()) return names.status();
  std::vector<std::string> sorted;
  for (auto& n : *names) {
    if (IsIndexFileName(n)) sorted.push_back(std::move(n));
  }
  std::sort(sorted.begin(), sorted.end());
  if (Status s = RemoveEmptyFiles(&sorted); !s.ok()) return s;
  for (const auto& name : sorted) {
    auto f =
        IndexFileMap::Map(options_.dir, name, file_size_, options_.max_hash_slots, options_.max_index_count,
                          /*create=*/false);
    if (!f.ok()) return f.status();
    IndexHeader h = (*f)->ReadHeader();
    if (h.index_count > options_.max_index_count) {
      return Status::Corruption("index file " + (*f)->path() + ": indexCount " +
                                std::to_string(h.index_count) + " exceeds maxIndexNum " +
                                std::to_string(options_.max_index_count));
    }
    // A header never flushed reads as zeros: an empty file.
    if (h.index_count < 1) h = IndexHeader{};
    (*f)->live = h;
    (*f)->on_disk = (*f)->ReadHeader();
    files_.push_back(std::move(*f));
  }
  // Only the newest file may be partly filled. One that is not, followed by newer files,
  // was still being flushed when the process stopped: what follows it was never durable.
  for (size_t i = 0; i + 1 < files_.size(); ++i) {
    if (files_[i]->full()) continue;
    for (size_t j = i + 1; j < files_.size(); ++j) {
      log_->warn("index file {} follows the partly flushed {}: removing it (recovery re-indexes)",
                 files_[j]->path(), files_[i]->name());
      if (::unlink(files_[j]->path().c_str()) != 0) {
        return ErrnoStatus("remove index file", files_[j]->path(), errno);
      }
    }
    files_.resize(i + 1);
    if (Status s = SyncDir(options_.dir); !s.ok()) return s;
    break;
  }
  if (!files_.empty()) {
    IndexFileMap& last = *files_.back();
    int64_t changed = last.RepairSlots();
    int64_t zeroed = last.ZeroTail();
    if (changed > 0 || zeroed > 0) {
      log_->warn("index file {}: {} entries past the last flush dropped, {} hash slots repaired", last.path(),
                 zeroed, changed);
      IndexHeader h = last.live;
      if (Status s = last.SyncWithHeader(h); !s.ok()) return s;
    }
    last_name_ = last.name();
  }
  for (const auto& f : files_) {
    if (f->live.has_position()) last_pos_ = std::max(last_pos_, f->live.end_phy);
  }
  durable_end_.store(std::max<int64_t>(last_pos_, 0));
  log_->info("key index {}: {} file(s), durable end {}", options_.dir, files_.size(), durable_end_.load());
  return Status::OK();
}

// An empty (0-byte) file was created but never sized on disk: a process killed between
// open(O_CREAT) and ftruncate left it, or a power loss did for a file written before NewFile
// synced new files (its name reached the disk, its size did not). It holds nothing, and every
// newer file was created after it and never flushed (flushes go oldest first, and its first
// one would have made its size durable): all go, and recovery re-indexes from the older
// files' durable end. Without this, Open would refuse the store for the file's size.
Status KeyIndex::RemoveEmptyFiles(std::vector<std::string>* sorted) {
  for (size_t i = 0; i < sorted->size(); ++i) {
    const std::string path = JoinPath(options_.dir, (*sorted)[i]);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat index file", path, errno);
    if (st.st_size != 0) continue;
    log_->warn(
        "key index: {} is empty (0 bytes): created but never synced before the last run stopped; "
        "removing it and {} newer file(s) (recovery re-indexes their records)",
        path, sorted->size() - i - 1);
    for (size_t j = i; j < sorted->size(); ++j) {
      const std::string doomed = JoinPath(options_.dir, (*sorted)[j]);
      if (::unlink(doomed.c_str()) != 0 && errno != ENOENT) {
        return ErrnoStatus("remove index file", doomed, errno);
      }
    }
    sorted->resize(i);
    return SyncDir(options_.dir);
  }
  return Status::OK();
}

Result<std::shared_ptr<IndexFileMap>> KeyIndex::NewFile() {
  std::string name = FileNameFor(NowMillis());
  // Names must sort in creation order even when the clock stands still or steps back: the
  // next number after the newest name then (names are only ever sorted, never parsed).
  if (name <= last_name_) name = NextName(last_name_);
  auto f =
      IndexFileMap::Map(options_.dir, name, file_size_, options_.max_hash_slots, options_.max_index_count,
                        /*create=*/true);
  if (!f.ok()) return f.status();
  IndexHeader h;
  if (!files_.empty()) {
    // IndexService.getAndCreateLastIndexFile: a new file starts where the last one ended.
    const IndexHeader& prev = files_.back()->live;
    h.begin_ts = h.end_ts = prev.end_ts;
    h.begin_phy = h.end_phy = prev.end_phy;
  }
  // Size and header durable before the name (see "Creating a file" in index_file.h). On
  // failure the file goes: it must not stay behind under a name the next attempt may reuse.
  (*f)->live = h;
  (*f)->WriteHeader(h);
  Status synced = (*f)->SyncNew();
  if (synced.ok()) synced = SyncDir(options_.dir);
  if (!synced.ok()) {
    ::unlink((*f)->path().c_str());
    return synced;
  }
  (*f)->on_disk = h;
  last_name_ = name;
  files_.push_back(*f);
  log_->info("key index: new file {}", (*f)->path());
  return f;
}

Status KeyIndex::Add(std::string_view topic, std::string_view keys, LogPosition pos,
                     int64_t store_timestamp_ms) {
  const Record record{topic, keys, pos, store_timestamp_ms};
  return AddBatch(std::span<const Record>(&record, 1));
}

Status KeyIndex::AddBatch(std::span<const Record> records, BatchErrors* errors) {
  if (errors != nullptr) *errors = BatchErrors{};
  if (records.empty()) return Status::OK();
  std::lock_guard add_lock(add_mu_);

  // Hash every key first, outside mu_: Lookup then waits only for the slot and entry
  // writes. A key repeated within one record is indexed once.
  hashes_.clear();
  hash_ends_.clear();
  std::string_view prefix_topic;
  bool have_prefix = false;
  for (const Record& r : records) {
    if (!have_prefix || r.topic != prefix_topic) {
      key_scratch_.assign(r.topic).push_back('#');
      prefix_topic = r.topic;
      have_prefix = true;
    }
    const size_t prefix = r.topic.size() + 1;
    seen_.clear();
    const std::string_view keys = r.keys;
    size_t at = 0;
    while (at < keys.size()) {
      size_t end = keys.find(' ', at);
      if (end == std::string_view::npos) end = keys.size();
      const std::string_view k = keys.substr(at, end - at);
      at = end + 1;
      if (k.empty() || std::find(seen_.begin(), seen_.end(), k) != seen_.end()) continue;
      seen_.push_back(k);
      key_scratch_.resize(prefix);
      key_scratch_.append(k);
      hashes_.push_back(IndexHash(key_scratch_));
    }
    hash_ends_.push_back(hashes_.size());
  }

  std::unique_lock lock(mu_);
  if (closed_) {
    if (errors != nullptr) *errors = BatchErrors{records.size(), 0};
    return Status::Aborted("key index closed");
  }
  Status first_error;
  auto fail = [&](size_t i, Status s) {
    if (first_error.ok()) first_error = std::move(s);
    if (errors != nullptr && errors->count++ == 0) errors->first = i;
  };
  // files_ holds the file while mu_ is held; no reference counting per key.
  IndexFileMap* f = files_.empty() ? nullptr : files_.back().get();
  const size_t total = hashes_.size();
  size_t begin = 0;
  for (size_t i = 0; i < records.size(); begin = hash_ends_[i], ++i) {
    const Record& r = records[i];
    const size_t end = hash_ends_[i];
    if (r.position.value <= last_pos_) continue;  // already indexed (recovery re-adds)
    bool added = true;
    for (size_t k = begin; k < end; ++k) {
      if (f == nullptr || f->full()) {
        auto created = NewFile();
        if (!created.ok()) {
          fail(i, created.status());
          added = false;
          break;
        }
        f = created->get();
      }
      if (k + kSlotPrefetchDistance < total) f->PrefetchSlotOf(hashes_[k + kSlotPrefetchDistance]);
      f->Put(hashes_[k], r.position.value, r.store_timestamp_ms);
    }
    if (!added) continue;
    if (begin == end) {
      if (f == nullptr) {
        auto created = NewFile();
        if (!created.ok()) {
          fail(i, created.status());
          continue;
        }
        f = created->get();
      }
      f->live.end_phy = r.position.value;
    }
    last_pos_ = r.position.value;
  }
  return first_error;
}

Result<std::vector<LogPosition>> KeyIndex::Lookup(std::string_view topic, std::string_view key,
                                                  int64_t begin_ms, int64_t end_ms, int32_t max_results) {
  std::vector<LogPosition> out;
  if (max_results <= 0 || end_ms < begin_ms) return out;
  const int32_t hash = KeyHash(topic, key);
  std::shared_lock lock(mu_);
  if (closed_) return Status::Aborted("key index closed");
  // IndexService.queryOffset: newest file first, stopping at a file that starts before
  // the range (older files hold only older records).
  for (auto it = files_.rbegin(); it != files_.rend(); ++it) {
    const IndexFileMap& f = **it;
    const IndexHeader& h = f.live;
    if (h.entries() <= 0) continue;  // its timestamps are inherited, not its own
    if (h.end_phy < floor_) break;   // deleted by retention, like every older file
    if (h.begin_ts <= end_ms && h.end_ts + 999 >= begin_ms) {
      const int32_t slot = f.SlotOf(hash);
      int32_t i = f.Slot(slot);
      if (i > 0 && i < h.index_count) {
        while (true) {
          IndexEntry e = f.Entry(i);
          if (e.time_diff < 0 || e.phy < floor_) break;  // chains run newest (highest) first
          const int64_t t = f.EntryTime(e);              // the record was stored in [t, t + 999]
          if (e.key_hash == hash && t <= end_ms && t + 999 >= begin_ms) {
            out.push_back(LogPosition(e.phy));
            if (out.size() >= static_cast<size_t>(max_results)) return out;
          }
          if (e.prev <= 0 || e.prev >= i || t + 999 < begin_ms) break;
          i = e.prev;
        }
      }
    }
    if (h.begin_ts < begin_ms) break;
  }
  return out;
}

LogPosition KeyIndex::DurableEnd() const { return LogPosition(durable_end_.load(std::memory_order_acquire)); }

std::vector<std::shared_ptr<IndexFileMap>> KeyIndex::Snapshot() const {
  std::shared_lock lock(mu_);
  return files_;
}

Status KeyIndex::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  return FlushLocked();
}

Status KeyIndex::FlushLocked() {
  struct Job {
    std::shared_ptr<IndexFileMap> file;
    IndexHeader header;
  };
  std::vector<Job> jobs;
  int64_t end = -1;
  {
    std::shared_lock lock(mu_);
    if (closed_) return Status::OK();
    for (const auto& f : files_) {
      if (!(f->live == f->on_disk)) jobs.push_back({f, f->live});
    }
    end = last_pos_;
  }
  // Oldest first: a newer file's header is never durable before an older file's final one.
  for (auto& job : jobs) {
    if (Status s = job.file->SyncWithHeader(job.header); !s.ok()) return s;
  }
  durable_end_.store(std::max<int64_t>(end, 0), std::memory_order_release);
  return Status::OK();
}

Status KeyIndex::TruncateFrom(LogPosition pos) {
  std::lock_guard flush_lock(flush_mu_);
  std::unique_lock lock(mu_);
  if (closed_) return Status::Aborted("key index closed");
  bool removed = false;
  while (!files_.empty()) {
    IndexFileMap& f = *files_.back();
    IndexHeader& h = f.live;
    const bool gone =
        h.entries() > 0 ? f.Entry(1).phy >= pos.value : h.begin_phy >= pos.value && h.end_phy > 0;
    if (gone) {
      // Every record this file indexes is cut: the file goes (the previous one, if any,
      // becomes the one Add appends to).
      if (::unlink(f.path().c_str()) != 0 && errno != ENOENT) {
        return ErrnoStatus("remove index file", f.path(), errno);
      }
      log_->info("key index: removed {} (truncated at {})", f.path(), pos.value);
      files_.pop_back();
      removed = true;
      continue;
    }
    if (h.entries() > 0) {
      int32_t k = f.FirstEntryAtOrAfter(pos.value);
      if (k < h.index_count) {
        log_->info("key index {}: dropping {} entries at or after {}", f.name(), h.index_count - k,
                   pos.value);
        f.DropFrom(k);
      }
    }
    if (h.end_phy >= pos.value) h.end_phy = h.entries() > 0 ? f.Entry(h.index_count - 1).phy : h.begin_phy;
    break;
  }
  last_name_ = files_.empty() ? last_name_ : files_.back()->name();
  last_pos_ = -1;
  for (const auto& f : files_) {
    if (f->live.has_position()) last_pos_ = std::max(last_pos_, f->live.end_phy);
  }
  for (const auto& f : files_) {
    if (!(f->live == f->on_disk)) {
      if (Status s = f->SyncWithHeader(f->live); !s.ok()) return s;
    }
  }
  if (removed) {
    if (Status s = SyncDir(options_.dir); !s.ok()) return s;
  }
  durable_end_.store(std::max<int64_t>(last_pos_, 0), std::memory_order_release);
  return Status::OK();
}

Status KeyIndex::DeleteBefore(LogPosition log_min) {
  std::lock_guard flush_lock(flush_mu_);
  std::vector<std::shared_ptr<IndexFileMap>> doomed;
  {
    std::unique_lock lock(mu_);
    if (closed_) return Status::Aborted("key index closed");
    floor_ = std::max(floor_, log_min.value);
    // IndexService.deleteExpiredFile: oldest first, never the newest file.
    size_t n = 0;
    while (n + 1 < files_.size() && files_[n]->live.end_phy < log_min.value) ++n;
    doomed.assign(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(n));
    files_.erase(files_.begin(), files_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  if (doomed.empty()) return Status::OK();
  for (const auto& f : doomed) {
    if (::unlink(f->path().c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus("remove index file", f->path(), errno);
    }
    log_->info("key index: deleted {} (its records are all before {})", f->path(), log_min.value);
  }
  return SyncDir(options_.dir);
  // The mappings go when the last holder (a running Lookup or Flush) lets go of them.
}

Status KeyIndex::Close() {
  std::lock_guard flush_lock(flush_mu_);
  Status s;
  {
    std::shared_lock lock(mu_);
    if (closed_) return Status::OK();
  }
  s = FlushLocked();
  std::unique_lock lock(mu_);
  closed_ = true;
  files_.clear();
  return s;
}

int64_t KeyIndex::DiskBytes() const {
  int64_t total = 0;
  for (const auto& f : Snapshot()) total += f->DiskBytes();
  return total;
}

size_t KeyIndex::FileCount() const {
  std::shared_lock lock(mu_);
  return files_.size();
}

}  // namespace sprocket::filelog
