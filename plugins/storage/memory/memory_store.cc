#include "memory_store.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <string_view>
#include <utility>

#include "record_view.h"

namespace sprocket::memory {
namespace {

// RocketMQ scans at most this many queue entries per read when a tag filter skips records
// (maxFilterMessageCount: 16000 bytes of 20-byte consume-queue entries).
constexpr int64_t kMaxEntriesScanned = 800;

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Index key for LookupKey. '\0' cannot occur in a topic, so this is exact (a plain "topic#key"
// would let topic "a#b" + key "c" collide with topic "a" + key "b#c").
std::string IndexKey(std::string_view topic, std::string_view key) {
  std::string k(topic);
  k.push_back('\0');
  k.append(key);
  return k;
}

// The space-separated keys of a record, each once.
std::vector<std::string> SplitKeys(std::string_view keys) {
  std::vector<std::string> out;
  while (!keys.empty()) {
    const size_t sp = keys.find(' ');
    const std::string_view k = keys.substr(0, sp);
    if (!k.empty() && std::find(out.begin(), out.end(), k) == out.end()) out.emplace_back(k);
    if (sp == std::string_view::npos) break;
    keys.remove_prefix(sp + 1);
  }
  return out;
}

}  // namespace

MemoryStore::MemoryStore(MemoryOptions options) : options_(options) {
  completer_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !completions_.empty(); });
      if (completions_.empty()) return;  // stopping, and nothing left to run
      std::function<void()> run = std::move(completions_.front());
      completions_.pop_front();
      lock.unlock();  // callbacks run without the store's lock: they may call the store
      run();
      lock.lock();
      --pending_;
      cv_.notify_all();  // Close may be waiting for pending_ == 0
    }
  });
}

MemoryStore::~MemoryStore() {
  Close();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  completer_.join();
}

void MemoryStore::Complete(AppendCallback done, std::vector<AppendResult> results) {
  // Called with mu_ held: the callback only runs later, on the completion thread.
  ++pending_;
  completions_.push_back([done = std::move(done), results = std::move(results)] {
    if (done) done(results);
  });
  cv_.notify_all();
}

// ---------------------------------------------------------------------------------------
// Appending

Status MemoryStore::CheckRequest(const AppendRequest& r) const {
  // The kernel builds the record, but a store never trusts sizes it is about to patch at.
  const std::string& rec = r.record;
  if (static_cast<int64_t>(rec.size()) > options_.max_record_size)
    return Status::MessageIllegal("memory: record of " + std::to_string(rec.size()) + " bytes exceeds " +
                                  std::to_string(options_.max_record_size));
  if (rec.size() < kMinRecordSize || GetBE32(rec.data()) != rec.size() ||
      GetBE32(rec.data() + 4) != kMessageMagic)
    return Status::MessageIllegal("memory: not a record (size or magic)");
  if (r.store_timestamp_field < kLogPositionField + 8 || r.store_timestamp_field + 8 > rec.size())
    return Status::MessageIllegal("memory: store_timestamp_field out of the record");
  if (static_cast<int32_t>(GetBE32(rec.data() + 12)) != r.queue_id)
    return Status::MessageIllegal("memory: QUEUEID differs from the request's queue id");
  return Status::OK();
}

AppendResult MemoryStore::StoreLocked(AppendRequest& r) {
  AppendResult result;
  result.status = CheckRequest(r);
  if (!result.status.ok()) return result;  // a refused record takes no offset or position

  Queue& queue = topics_[r.topic][r.queue_id];
  // Store times never go backwards in log order, even if the clock does: OffsetForTime
  // binary-searches them.
  last_store_timestamp_ = std::max(last_store_timestamp_, NowMs());

  auto e = std::make_shared<Entry>();
  e->position = log_end_;
  e->size = static_cast<int64_t>(r.record.size());
  e->bytes = std::move(r.record);
  e->topic = std::move(r.topic);
  e->queue_id = r.queue_id;
  e->tags_code = r.tags_code;
  e->store_timestamp = last_store_timestamp_;
  e->keys = SplitKeys(r.keys);
  // The three fields the store owns (storage.h).
  PutBE64(e->bytes.data() + kQueueOffsetField, queue.max_offset());
  PutBE64(e->bytes.data() + kLogPositionField, e->position);
  PutBE64(e->bytes.data() + r.store_timestamp_field, e->store_timestamp);

  result.queue_offset = QueueOffset(queue.max_offset());
  result.position = LogPosition(e->position);
  result.size = static_cast<int32_t>(e->size);
  result.store_timestamp = e->store_timestamp;
  Insert(std::move(e), &queue);
  ++records_appended_;
  return result;
}

void MemoryStore::Insert(EntryPtr e, Queue* queue) {
  log_end_ = e->position + e->size;
  if (queue != nullptr) {
    queue->entries.push_back(e);
    for (const std::string& k : e->keys) keys_[IndexKey(e->topic, k)].push_back(e->position);
  }
  log_.emplace(e->position, std::move(e));
}

void MemoryStore::Append(std::vector<AppendRequest> requests, AppendCallback done) {
  std::vector<AppendResult> results(requests.size());
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < requests.size(); ++i) {
    if (closed_) {
      results[i].status = Status::Aborted("memory: the store is closed");
    } else {
      results[i] = StoreLocked(requests[i]);
    }
  }
  // Readable now; "durable" has no meaning here (SYNC_FLUSH was refused at open).
  Complete(std::move(done), std::move(results));
}

// ---------------------------------------------------------------------------------------
// Reading

MemoryStore::Queue* MemoryStore::FindQueue(std::string_view topic, int32_t queue_id) {
  auto t = topics_.find(topic);
  if (t == topics_.end()) return nullptr;
  auto q = t->second.find(queue_id);
  return q == t->second.end() ? nullptr : &q->second;
}

ReadQueueResult MemoryStore::ReadQueue(std::string_view topic, int32_t queue_id, QueueOffset from,
                                       const ReadLimits& limits, const TagFilter& filter) {
  ReadQueueResult r;
  std::lock_guard lock(mu_);
  Queue* q = FindQueue(topic, queue_id);
  if (q == nullptr) {
    r.outcome = ReadOutcome::kNoMatchedLogicQueue;
    return r;
  }
  const int64_t min = q->min_offset, max = q->max_offset(), at = from.value;
  r.min_offset = QueueOffset(min);
  r.max_offset = QueueOffset(max);
  // The outcomes and next offsets RocketMQ's DefaultMessageStore.getMessage gives.
  if (max == 0) {
    r.outcome = ReadOutcome::kNoMessageInQueue;
  } else if (at < min) {
    r.outcome = ReadOutcome::kOffsetTooSmall;
    r.next_offset = QueueOffset(min);
  } else if (at == max) {
    r.outcome = ReadOutcome::kOffsetOverflowOne;
    r.next_offset = from;
  } else if (at > max) {
    r.outcome = ReadOutcome::kOffsetOverflowBadly;
    r.next_offset = QueueOffset(max);
  }
  if (at < min || at >= max) return r;

  // Keep the chosen entries alive for the caller: the views point into them.
  auto hold = std::make_shared<std::vector<EntryPtr>>();
  // This store cannot tell memory from disk, so the in-memory limits apply (storage.h).
  const int64_t max_count = std::max<int64_t>(1, limits.max_count);
  const int64_t scan_end = std::min(max, at + std::max(kMaxEntriesScanned, max_count));
  int64_t bytes = 0;
  int64_t next = at;
  for (; next < scan_end && static_cast<int64_t>(hold->size()) < max_count; ++next) {
    const EntryPtr& e = q->entries[static_cast<size_t>(next - min)];
    if (!filter.Matches(e->tags_code)) continue;  // skipped, but scanned: next moves past it
    if (!hold->empty() && bytes + e->size > limits.max_bytes) break;  // >= 1 record per read
    bytes += e->size;
    hold->push_back(e);
    r.records.push_back(ByteView{e->bytes.data(), e->bytes.size()});
  }
  r.next_offset = QueueOffset(next);
  r.outcome = r.records.empty() ? ReadOutcome::kNoMatchedMessage : ReadOutcome::kFound;
  r.hold = std::move(hold);
  return r;
}

QueueRangeResult MemoryStore::QueueRange(std::string_view topic, int32_t queue_id) {
  std::lock_guard lock(mu_);
  QueueRangeResult r;
  if (Queue* q = FindQueue(topic, queue_id)) {
    r.min_offset = QueueOffset(q->min_offset);
    r.max_offset = QueueOffset(q->max_offset());
  }
  return r;
}

QueueOffset MemoryStore::OffsetForTime(std::string_view topic, int32_t queue_id, int64_t timestamp_ms) {
  std::lock_guard lock(mu_);
  Queue* q = FindQueue(topic, queue_id);
  if (q == nullptr) return QueueOffset(0);
  // Store times grow along the log, hence along each queue: binary search.
  auto it = std::partition_point(q->entries.begin(), q->entries.end(),
                                 [&](const EntryPtr& e) { return e->store_timestamp < timestamp_ms; });
  return QueueOffset(q->min_offset + (it - q->entries.begin()));
}

Result<RecordRead> MemoryStore::ReadAt(LogPosition position) {
  std::lock_guard lock(mu_);
  auto it = log_.find(position.value);
  // Positions come from clients: anything but the start of a record we hold is NotFound.
  if (it == log_.end() || it->second->blank)
    return Status::NotFound("memory: no record starts at " + std::to_string(position.value));
  const EntryPtr& e = it->second;
  return RecordRead{ByteView{e->bytes.data(), e->bytes.size()}, e};
}

std::vector<std::pair<std::string, int32_t>> MemoryStore::ListQueues() {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, int32_t>> out;
  for (const auto& [topic, queues] : topics_)
    for (const auto& [id, q] : queues)
      if (q.max_offset() > 0) out.emplace_back(topic, id);
  return out;
}

Result<std::vector<LogPosition>> MemoryStore::LookupKey(std::string_view topic, std::string_view key,
                                                        int64_t begin_ms, int64_t end_ms,
                                                        int32_t max_results) {
  std::lock_guard lock(mu_);
  std::vector<LogPosition> out;
  auto it = keys_.find(IndexKey(topic, key));
  if (it == keys_.end()) return out;
  for (auto p = it->second.rbegin(); p != it->second.rend(); ++p) {  // newest first
    if (static_cast<int32_t>(out.size()) >= max_results) break;
    const int64_t ts = log_.at(*p)->store_timestamp;
    if (ts >= begin_ms && ts <= end_ms) out.push_back(LogPosition(*p));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Replication: the log as bytes

Result<LogChunk> MemoryStore::ReadLog(LogPosition from, int64_t max_bytes) {
  std::lock_guard lock(mu_);
  if (from.value < log_min_)
    return Status::NotFound("memory: position " + std::to_string(from.value) + " was deleted");
  if (from.value > log_end_)
    return Status::InvalidArgument("memory: position " + std::to_string(from.value) + " is past the log end");
  auto it = log_.find(from.value);
  if (it == log_.end() && from.value != log_end_)
    return Status::InvalidArgument("memory: no entry starts at " + std::to_string(from.value));

  auto buffer = std::make_shared<std::string>();
  for (; it != log_.end(); ++it) {
    const Entry& e = *it->second;
    if (!buffer->empty() && static_cast<int64_t>(buffer->size()) + e.size > max_bytes) break;
    if (e.blank) {  // int32 length | int32 kBlankMagic | zeros (storage.h)
      const size_t at = buffer->size();
      buffer->resize(at + static_cast<size_t>(e.size), '\0');
      PutBE32(buffer->data() + at, static_cast<uint32_t>(e.size));
      PutBE32(buffer->data() + at + 4, kBlankMagic);
    } else {
      buffer->append(e.bytes);
    }
  }
  LogChunk chunk;
  chunk.start = from;
  chunk.next = from + static_cast<int64_t>(buffer->size());
  chunk.bytes = ByteView{buffer->data(), buffer->size()};
  chunk.hold = std::move(buffer);
  return chunk;
}

Status MemoryStore::StoreReplicaEntry(std::string_view bytes, int64_t position) {
  if (GetBE32(bytes.data() + 4) == kBlankMagic) {  // positions that hold no record
    auto e = std::make_shared<Entry>();
    e->position = position;
    e->size = GetBE32(bytes.data());
    e->blank = true;
    Insert(std::move(e), nullptr);
    return Status::OK();
  }
  Result<RecordView> rec = ParseRecord(bytes);
  if (!rec.ok())
    return Status::Corruption("memory: at " + std::to_string(position) + ": " + rec.status().message());
  if (rec->position != position)
    return Status::Corruption("memory: record at " + std::to_string(position) + " says PHYSICALOFFSET " +
                              std::to_string(rec->position));
  auto [q, created] = topics_[std::string(rec->topic)].try_emplace(rec->queue_id);
  Queue& queue = q->second;
  // A follower may start mid-log (the leader deleted older data): a new queue starts at the
  // first offset it is given. After that, offsets must follow on densely.
  if (created) queue.min_offset = rec->queue_offset;
  if (rec->queue_offset != queue.max_offset())
    return Status::Corruption("memory: record at " + std::to_string(position) + " has queue offset " +
                              std::to_string(rec->queue_offset) + ", the queue is at " +
                              std::to_string(queue.max_offset()));
  auto e = std::make_shared<Entry>();
  e->position = position;
  e->size = rec->size;
  e->bytes.assign(bytes.data(), rec->size);
  e->topic = std::string(rec->topic);
  e->queue_id = rec->queue_id;
  e->tags_code = TagsCode(FindProperty(rec->properties, "TAGS"));
  e->store_timestamp = rec->store_timestamp;
  // AppendRequest::keys is "UNIQ_KEY KEYS..."; rebuild it from the properties.
  e->keys = SplitKeys(std::string(FindProperty(rec->properties, "UNIQ_KEY")) + " " +
                      std::string(FindProperty(rec->properties, "KEYS")));
  last_store_timestamp_ = std::max(last_store_timestamp_, e->store_timestamp);
  Insert(std::move(e), &queue);
  ++records_appended_;
  return Status::OK();
}

Status MemoryStore::AppendReplica(LogPosition at, ByteView chunk) {
  std::lock_guard lock(mu_);
  if (closed_) return Status::Aborted("memory: the store is closed");
  if (log_end_ == 0 && log_.empty()) log_min_ = log_end_ = at.value;  // an empty store starts anywhere
  if (at.value != log_end_)
    return Status::InvalidArgument("memory: replica chunk at " + std::to_string(at.value) +
                                   ", the log ends at " + std::to_string(log_end_));
  // Entry by entry: on an error, what came before it stays stored and log_end_ says where
  // the next chunk must start.
  std::string_view rest(chunk.data, chunk.size);
  while (!rest.empty()) {
    const uint32_t size = rest.size() >= 8 ? GetBE32(rest.data()) : 0;
    if (size < 8 || size > rest.size())
      return Status::Corruption("memory: truncated entry at " + std::to_string(log_end_));
    if (Status s = StoreReplicaEntry(rest.substr(0, size), log_end_); !s.ok()) return s;
    rest.remove_prefix(size);
  }
  return Status::OK();
}

void MemoryStore::DropNewest(const Entry& e) {
  if (e.blank) return;
  Queue& q = topics_[e.topic][e.queue_id];
  q.entries.pop_back();
  for (const std::string& k : e.keys) {
    auto it = keys_.find(IndexKey(e.topic, k));
    it->second.pop_back();
    if (it->second.empty()) keys_.erase(it);
  }
}

Status MemoryStore::TruncateLog(LogPosition position) {
  std::lock_guard lock(mu_);
  if (closed_) return Status::Aborted("memory: the store is closed");
  const int64_t p = position.value;
  if (p < log_min_ || p > log_end_ || (p < log_end_ && log_.count(p) == 0))
    return Status::InvalidArgument("memory: " + std::to_string(p) + " is not an entry boundary in [" +
                                   std::to_string(log_min_) + ", " + std::to_string(log_end_) + "]");
  // Newest first, so each entry is at the back of its queue and key lists.
  while (!log_.empty() && log_.rbegin()->first >= p) {
    DropNewest(*log_.rbegin()->second);
    log_.erase(std::prev(log_.end()));
  }
  log_end_ = p;
  return Status::OK();
}

// ---------------------------------------------------------------------------------------
// Retention

void MemoryStore::DropOldest(const Entry& e) {
  if (e.blank) return;
  Queue& q = topics_[e.topic][e.queue_id];
  q.entries.pop_front();  // the queue's oldest entry is the log's oldest entry of that queue
  ++q.min_offset;         // so that reads below it give kOffsetTooSmall
  for (const std::string& k : e.keys) {
    auto it = keys_.find(IndexKey(e.topic, k));
    it->second.pop_front();
    if (it->second.empty()) keys_.erase(it);
  }
}

Result<RetentionResult> MemoryStore::DeleteExpired(const RetentionPolicy& policy) {
  std::lock_guard lock(mu_);
  if (closed_) return Status::Aborted("memory: the store is closed");
  RetentionResult r;
  const int64_t unit_size = options_.unit_size;
  const int64_t appending_unit = log_end_ / unit_size;  // never deleted
  while (r.units_deleted < policy.max_units && !log_.empty()) {
    // The oldest unit: every entry that starts in [unit * size, (unit + 1) * size).
    const int64_t unit = log_.begin()->first / unit_size;
    if (unit >= appending_unit) break;
    auto unit_end = log_.lower_bound((unit + 1) * unit_size);
    int64_t newest = INT64_MIN;
    for (auto it = log_.begin(); it != unit_end; ++it)
      if (!it->second->blank) newest = std::max(newest, it->second->store_timestamp);
    // Units expire in log order: stop at the first one that has not (unless forced).
    if (!policy.force && newest >= policy.expire_before_ms) break;
    for (auto it = log_.begin(); it != unit_end; ++it) {
      DropOldest(*it->second);
      if (!it->second->blank) r.bytes_freed += it->second->size;
    }
    log_.erase(log_.begin(), unit_end);
    ++r.units_deleted;
  }
  log_min_ = log_.empty() ? log_end_ : log_.begin()->first;
  r.log_min = LogPosition(log_min_);
  return r;
}

// ---------------------------------------------------------------------------------------
// The rest

Status MemoryStore::Flush() { return Status::OK(); }  // nothing is ever on disk

StoreStats MemoryStore::Stats() {
  std::lock_guard lock(mu_);
  StoreStats s;
  s.log_min = LogPosition(log_min_);
  s.log_end = LogPosition(log_end_);
  // "Known to be on disk": nothing is, but nothing more will ever be either, and a durable
  // end that never moves would stall a kernel waiting for it (replication acks).
  s.durable_end = LogPosition(log_end_);
  s.records_appended = records_appended_;
  s.disk_bytes = 0;
  return s;
}

Status MemoryStore::Close() {
  std::unique_lock lock(mu_);
  closed_ = true;
  // Appends made before Close were stored; wait until their completions have run. A
  // completion that calls Close itself must not wait for itself.
  if (std::this_thread::get_id() != completer_.get_id()) cv_.wait(lock, [this] { return pending_ == 0; });
  return Status::OK();
}

}  // namespace sprocket::memory
