#include "leveldb_store.h"

#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <filesystem>
#include <optional>

#include "read_path.h"
#include "recovery.h"
#include "replication.h"
#include "retention.h"

namespace sprocket::leveldb_store {

namespace {

// Key-index buckets are at least this many positions wide, so that a lookup seeks a bounded
// number of buckets even when the retention unit is small (tests use 64 KiB).
constexpr int64_t kMinKeyBucketSize = int64_t{64} << 20;

std::string_view View(const leveldb::Slice& s) { return std::string_view(s.data(), s.size()); }

// The Mformat value of the index DB in `dir`: this build's version, else InvalidArgument.
Result<FormatValue> CheckFormat(std::string_view value, const std::string& dir) {
  std::optional<FormatValue> f = DecodeFormat(value);
  if (f && f->version == 1)
    return Status::InvalidArgument("leveldb: " + dir +
                                   " is in format version 1 (records inside the index database, written by "
                                   "an older build); this build reads version " +
                                   std::to_string(kFormatVersion) + " only (FORMAT.md)");
  if (!f || f->version != kFormatVersion || f->key_bucket_size <= 0)
    return Status::InvalidArgument("leveldb: " + dir + " has an unknown format (this plugin writes version " +
                                   std::to_string(kFormatVersion) + ")");
  return *f;
}

}  // namespace

Status FromLevelDb(const leveldb::Status& s, std::string_view context) {
  std::string msg = "leveldb: " + std::string(context) + ": " + s.ToString();
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(std::move(msg));
  if (s.IsCorruption()) return Status::Corruption(std::move(msg));
  if (s.IsNotSupportedError()) return Status::NotSupported(std::move(msg));
  if (s.IsInvalidArgument()) return Status::InvalidArgument(std::move(msg));
  return Status::IOError(std::move(msg));
}

int64_t DirectoryBytes(const std::string& dir) {
  std::error_code ec;
  int64_t total = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    std::error_code fec;
    if (entry.is_regular_file(fec)) {
      const auto size = entry.file_size(fec);
      if (!fec) total += static_cast<int64_t>(size);
    }
  }
  return total;
}

namespace {

Status WriteTo(StoreCore& core, leveldb::DB* db, leveldb::WriteBatch* batch, bool sync, const char* what) {
  leveldb::WriteOptions wo;
  wo.sync = sync;
  leveldb::Status s = db->Write(wo, batch);
  if (leveldb::Status e = core.env->TakeError(); s.ok() && !e.ok()) s = e;
  if (s.ok()) return Status::OK();
  // LevelDB's log may now end in a partial record; writing on could put data after a hole.
  core.broken =
      FromLevelDb(s, std::string(what) + " write failed; changes stopped until the store is reopened");
  return core.broken;
}

}  // namespace

Status StoreCore::WriteIndex(leveldb::WriteBatch* batch, bool sync) {
  return WriteTo(*this, db.get(), batch, sync, "index");
}

Status StoreCore::WriteRecords(leveldb::WriteBatch* batch, bool sync) {
  return WriteTo(*this, records.get(), batch, sync, "records");
}

Status StoreCore::SyncLocked(bool force) {
  if (!broken.ok()) return broken;
  const int64_t end = log_end.load(std::memory_order_relaxed);
  if (force || durable_end.load() < end) {
    leveldb::WriteBatch nothing;  // a synced write syncs LevelDB's log, even an empty one
    if (Status s = WriteRecords(&nothing, /*sync=*/true); !s.ok()) return s;
    AdvanceDurable(end);
  }
  if (force || index_synced_end.load() < end) {
    leveldb::WriteBatch mark;  // records how far both logs are synced
    mark.Put(LogKey(), EncodeLog(LogValueAt(end, /*synced=*/true)));
    if (Status s = WriteIndex(&mark, /*sync=*/true); !s.ok()) return s;
    index_synced_end.store(end);
  }
  return Status::OK();
}

void StoreCore::AdvanceDurable(int64_t end) {
  int64_t cur = durable_end.load();
  while (cur < end && !durable_end.compare_exchange_weak(cur, end)) {
  }
}

Result<std::unique_ptr<MessageStore>> LevelDbStore::Open(PluginHost& host) {
  Result<LevelDbOptions> options = LevelDbOptions::FromHost(host);
  if (!options.ok()) return options.status();
  std::shared_ptr<spdlog::logger> logger = host.Logger("store");
  if (!logger) return Status::InvalidArgument("leveldb: the host gave no logger");
  std::error_code ec;
  std::filesystem::create_directories(options->db_dir, ec);
  if (ec) return Status::IOError("leveldb: create " + options->db_dir + ": " + ec.message());

  std::unique_ptr<LevelDbStore> store(new LevelDbStore(*options, logger));
  if (Status s = store->OpenDb(); !s.ok()) return s;
  int64_t synced_end = 0;
  if (Status s = store->LoadState(&synced_end); !s.ok()) return s;
  // What an interrupted retention left below the starts goes first, so that the records
  // above log_min are the log and nothing else.
  if (Status s = PurgeLeftovers(store->core_); !s.ok()) return s;
  // Makes the index agree with the records DB: after a crash, the index above synced_end is
  // rebuilt from the records (recovery.h).
  if (Status s = RecoverAtOpen(store->core_, synced_end); !s.ok()) return s;
  store->writer_.Start();
  store->opened_ = true;
  store->open_ = true;
  const StoreCore& c = store->core_;
  logger->info("{}: opened, log [{}, {}), {} queues, {}", c.options.db_dir, c.log_min.load(),
               c.log_end.load(), c.queues.size(), c.options.sync_flush ? "SYNC_FLUSH" : "ASYNC_FLUSH");
  return std::unique_ptr<MessageStore>(std::move(store));
}

LevelDbStore::LevelDbStore(LevelDbOptions options, std::shared_ptr<spdlog::logger> logger)
    : core_(std::move(options), std::move(logger)), writer_(core_) {}

LevelDbStore::~LevelDbStore() {
  Close();
  late_.Join();
}

Status LevelDbStore::OpenDb() {
  const LevelDbOptions& o = core_.options;
  core_.env = std::make_unique<SyncingEnv>();
  if (o.block_cache_size > 0)
    core_.cache.reset(leveldb::NewLRUCache(static_cast<size_t>(o.block_cache_size)));
  if (o.bloom_bits_per_key > 0)
    core_.filter.reset(leveldb::NewBloomFilterPolicy(static_cast<int>(o.bloom_bits_per_key)));
  leveldb::Options lo;
  lo.create_if_missing = true;
  lo.env = core_.env.get();
  lo.write_buffer_size = static_cast<size_t>(o.index_write_buffer_size);
  lo.max_open_files = static_cast<int>(o.max_open_files);
  lo.block_cache = core_.cache.get();  // one cache for both databases
  lo.block_size = static_cast<size_t>(o.block_size);
  lo.max_file_size = static_cast<size_t>(o.max_file_size);
  lo.compression = o.snappy ? leveldb::kSnappyCompression : leveldb::kNoCompression;
  lo.filter_policy = core_.filter.get();
  // A torn tail of LevelDB's log (a crash mid-write) is dropped, as it must be; paranoid
  // checks would refuse to open instead.
  lo.paranoid_checks = false;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(lo, o.db_dir, &db);
  if (!s.ok()) return FromLevelDb(s, "open " + o.db_dir);
  core_.db.reset(db);
  // A store of another format is refused before anything is created next to it.
  std::string format;
  s = db->Get(leveldb::ReadOptions(), FormatKey(), &format);
  if (s.ok()) {
    if (Result<FormatValue> f = CheckFormat(format, o.db_dir); !f.ok()) return f.status();
  } else if (!s.IsNotFound()) {
    return FromLevelDb(s, "open " + o.db_dir);
  }

  // The records DB: only seeks read it (no Bloom filter, which only serves Get).
  lo.write_buffer_size = static_cast<size_t>(o.write_buffer_size);
  lo.filter_policy = nullptr;
  const std::string records_dir = o.RecordsDir();
  const bool fresh = !std::filesystem::exists(records_dir);
  db = nullptr;
  s = leveldb::DB::Open(lo, records_dir, &db);
  if (!s.ok()) return FromLevelDb(s, "open " + records_dir);
  core_.records.reset(db);
  // Its directory entry must survive a power loss with the first synced record.
  if (fresh) {
    if (leveldb::Status d = SyncDirectory(o.db_dir); !d.ok()) return FromLevelDb(d, "sync " + o.db_dir);
  }
  return Status::OK();
}

Status LevelDbStore::LoadState(int64_t* synced_end) {
  StoreCore& c = core_;
  const std::string& dir = c.options.db_dir;
  std::string value;
  leveldb::Status s = c.db->Get(leveldb::ReadOptions(), FormatKey(), &value);
  if (s.ok()) {
    Result<FormatValue> f = CheckFormat(value, dir);
    if (!f.ok()) return f.status();
    c.key_bucket_size = f->key_bucket_size;
  } else if (s.IsNotFound()) {
    std::unique_ptr<leveldb::Iterator> it(c.db->NewIterator(leveldb::ReadOptions()));
    it->SeekToFirst();
    if (it->Valid()) return Status::Corruption("leveldb: " + dir + " holds data but no format key");
    std::unique_ptr<leveldb::Iterator> rit(c.records->NewIterator(leveldb::ReadOptions()));
    rit->SeekToFirst();
    if (rit->Valid())
      return Status::Corruption("leveldb: " + c.options.RecordsDir() + " holds records but " + dir +
                                " no format key");
    FormatValue f;
    f.key_bucket_size = std::max(c.options.unit_size, kMinKeyBucketSize);
    leveldb::WriteOptions wo;
    wo.sync = true;
    if (leveldb::Status w = c.db->Put(wo, FormatKey(), EncodeFormat(f)); !w.ok())
      return FromLevelDb(w, "create");
    c.key_bucket_size = f.key_bucket_size;
  } else {
    return FromLevelDb(s, "open " + dir);
  }

  LogValue log;
  s = c.db->Get(leveldb::ReadOptions(), LogKey(), &value);
  if (s.ok()) {
    std::optional<LogValue> l = DecodeLog(value);
    if (!l) return Status::Corruption("leveldb: " + dir + ": bad log metadata");
    log = *l;
  } else if (!s.IsNotFound()) {
    return FromLevelDb(s, "open " + dir);
  }

  // Queue states: one key per queue, so this costs what the number of queues does.
  std::unique_ptr<leveldb::Iterator> it(c.db->NewIterator(leveldb::ReadOptions()));
  const std::string state_prefix(1, kQueueStateTag);
  for (it->Seek(state_prefix); it->Valid() && it->key().starts_with(state_prefix); it->Next()) {
    const std::string_view k = View(it->key()).substr(1);
    size_t used = 0;
    auto name = ParseQueueName(k, &used);
    const leveldb::Slice v = it->value();
    if (!name || used != k.size() || v.size() != 16)
      return Status::Corruption("leveldb: " + dir + ": bad queue state key");
    std::shared_ptr<QueueState> q = c.queues.FindOrCreate(name->first, name->second);
    q->min_offset.store(static_cast<int64_t>(GetBig64(v.data())));
    q->max_offset.store(static_cast<int64_t>(GetBig64(v.data() + 8)));
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "open " + dir);
  // Whether the records DB ends where the index says is RecoverAtOpen's to check.
  c.log_min.store(log.log_min);
  c.log_end.store(log.log_end);
  c.durable_end.store(log.log_end);  // LevelDB's recovery wrote what it replayed to synced tables
  c.index_synced_end.store(log.synced_end);
  c.last_store_timestamp = log.last_store_timestamp;
  *synced_end = log.synced_end;
  return Status::OK();
}

void LevelDbStore::Append(std::vector<AppendRequest> requests, AppendCallback done) {
  const size_t count = requests.size();
  try {
    if (writer_.Submit(requests, done)) return;
    late_.Complete(count, std::move(done), NotOpen(), *core_.log);
  } catch (const std::exception& e) {
    core_.log->error("append: {}", e.what());
    late_.Complete(count, std::move(done), Status::Busy(std::string("leveldb: ") + e.what()), *core_.log);
  }
}

ReadQueueResult LevelDbStore::ReadQueue(std::string_view topic, int32_t queue_id, QueueOffset from,
                                        const ReadLimits& limits, const TagFilter& filter) {
  if (!open_) {
    ReadQueueResult r;
    r.status = NotOpen();
    return r;
  }
  try {
    return ReadQueueRecords(core_, topic, queue_id, from, limits, filter);
  } catch (const std::exception& e) {
    core_.log->error("read {}/{} from {}: {}", topic, queue_id, from.value, e.what());
    ReadQueueResult r;
    r.status = Status::IOError(std::string("leveldb: read: ") + e.what());
    r.next_offset = from;
    return r;
  }
}

QueueRangeResult LevelDbStore::QueueRange(std::string_view topic, int32_t queue_id) {
  QueueRangeResult r;
  if (std::shared_ptr<QueueState> q = core_.queues.Find(topic, queue_id)) {
    r.max_offset = QueueOffset(q->max_offset.load(std::memory_order_acquire));
    r.min_offset = QueueOffset(std::min(q->min_offset.load(std::memory_order_acquire), r.max_offset.value));
  }
  return r;
}

QueueOffset LevelDbStore::OffsetForTime(std::string_view topic, int32_t queue_id, int64_t timestamp_ms) {
  if (!open_) return QueueOffset(0);
  try {
    return FindOffsetForTime(core_, topic, queue_id, timestamp_ms);
  } catch (const std::exception& e) {
    core_.log->error("offset for time {}/{}: {}", topic, queue_id, e.what());
    return QueueRange(topic, queue_id).max_offset;
  }
}

Result<RecordRead> LevelDbStore::ReadAt(LogPosition position) {
  if (!open_) return NotOpen();
  try {
    return ReadRecordAt(core_, position);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("leveldb: read at ") + std::to_string(position.value) + ": " +
                           e.what());
  }
}

std::vector<std::pair<std::string, int32_t>> LevelDbStore::ListQueues() {
  std::vector<std::pair<std::string, int32_t>> out;
  for (const auto& q : core_.queues.All())
    if (q->max_offset.load(std::memory_order_acquire) > 0) out.emplace_back(q->topic, q->queue_id);
  return out;
}

Result<std::vector<LogPosition>> LevelDbStore::LookupKey(std::string_view topic, std::string_view key,
                                                         int64_t begin_ms, int64_t end_ms,
                                                         int32_t max_results) {
  if (!open_) return NotOpen();
  try {
    return LookupKeyPositions(core_, topic, key, begin_ms, end_ms, max_results);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("leveldb: key lookup: ") + e.what());
  }
}

Result<LogChunk> LevelDbStore::ReadLog(LogPosition from, int64_t max_bytes) {
  if (!open_) return NotOpen();
  try {
    return ReadLogChunk(core_, from, max_bytes);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("leveldb: ReadLog: ") + e.what());
  }
}

Status LevelDbStore::AppendReplica(LogPosition at, ByteView chunk) {
  if (!open_) return NotOpen();
  try {
    return AppendReplicaChunk(core_, at, chunk);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("leveldb: AppendReplica: ") + e.what());
  }
}

Status LevelDbStore::TruncateLog(LogPosition position) {
  if (!open_) return NotOpen();
  try {
    return TruncateLogAt(core_, position);
  } catch (const std::exception& e) {
    return Status::IOError(std::string("leveldb: TruncateLog: ") + e.what());
  }
}

Result<RetentionResult> LevelDbStore::DeleteExpired(const RetentionPolicy& policy) {
  if (!open_) return NotOpen();
  try {
    Result<RetentionResult> r = DeleteExpiredUnits(core_, policy);
    std::lock_guard lock(disk_bytes_mu_);
    disk_bytes_at_ = 0;  // the next Stats measures again
    return r;
  } catch (const std::exception& e) {
    return Status::IOError(std::string("leveldb: retention: ") + e.what());
  }
}

Status LevelDbStore::Flush() {
  if (!open_) return NotOpen();
  return Flush(/*force=*/false);
}

Status LevelDbStore::Flush(bool force) {
  std::lock_guard write_lock(core_.write_mu);
  return core_.SyncLocked(force);
}

StoreStats LevelDbStore::Stats() {
  StoreStats s;
  s.log_min = LogPosition(core_.log_min.load(std::memory_order_acquire));
  s.log_end = LogPosition(core_.log_end.load(std::memory_order_acquire));
  s.durable_end = LogPosition(core_.durable_end.load(std::memory_order_acquire));
  s.records_appended = core_.records_appended.load(std::memory_order_relaxed);
  s.syncs = core_.env->log_syncs();  // fsyncs of LevelDB's log (synced writes, log rolls)
  // Listing the directory costs tens of microseconds: callers that poll Stats (every
  // append's completion, say) get a figure at most kDiskBytesMaxAge old.
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count() + 1;
  std::lock_guard lock(disk_bytes_mu_);
  if (disk_bytes_at_ == 0 || now - disk_bytes_at_ > std::chrono::nanoseconds(kDiskBytesMaxAge).count()) {
    disk_bytes_ = DirectoryBytes(core_.options.db_dir);  // the records DB is inside
    disk_bytes_at_ = now;
  }
  s.disk_bytes = disk_bytes_;
  return s;
}

Status LevelDbStore::Close() {
  std::lock_guard lock(close_mu_);
  if (closed_) return close_status_;
  closed_ = true;
  if (!opened_) return close_status_;  // Open failed part-way: the DB (if any) closes in the destructor
  writer_.Stop();                      // stores everything queued and syncs; later appends complete Aborted
  open_ = false;
  {
    std::lock_guard write_lock(core_.write_mu);
    close_status_ = core_.broken;
    if (close_status_.ok() && core_.durable_end.load() < core_.log_end.load())
      close_status_ = Status::IOError("leveldb: the final sync did not complete");
    core_.records.reset();  // each waits for LevelDB's background compaction
    core_.db.reset();
  }
  if (close_status_.ok()) {
    core_.log->info("{}: closed at log position {} ({} log syncs)", core_.options.db_dir,
                    core_.log_end.load(), core_.env->log_syncs());
  } else {
    core_.log->error("{}: close: {}", core_.options.db_dir, close_status_.ToString());
  }
  return close_status_;
}

}  // namespace sprocket::leveldb_store
