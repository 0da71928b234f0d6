// leveldb storage plugin: open after a crash left the records DB and the index DB out of step
// (FORMAT.md §6). The states a crash can leave are made by editing the closed store's
// databases directly through LevelDB's C API (loaded with dlopen: the plugin links LevelDB,
// the tests do not): records above the index's end (appends whose index batch was never
// written), records cut by a TruncateLog that stopped before the index, records missing
// below the synced end, and a store in the old single-database format.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <functional>

#include "support/filelog_test_util.h"

namespace sprocket::testing::leveldb_store {
namespace {

using filelog::AppendOne;
using filelog::MakeRecord;
using filelog::NowMs;
using filelog::ReadAll;

std::map<std::string, std::string> Options() {
  return {{"mappedFileSizeCommitLog", "65536"},
          {"flushIntervalCommitLog", "20"},
          {"leveldbWriteBufferSize", "1048576"}};
}

// The part of LevelDB's C API (leveldb/c.h) these tests use, resolved at run time.
class RawLevelDb {
 public:
  // Opens (creating if missing) the LevelDB database in `dir`; ok() says whether it did.
  explicit RawLevelDb(const std::string& dir) {
    lib_ = dlopen("libleveldb.so.1d", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (lib_ == nullptr) lib_ = dlopen("libleveldb.so", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (lib_ == nullptr) {
      error_ = std::string("dlopen libleveldb: ") + dlerror();
      return;
    }
    auto sym = [&](const char* name) {
      void* p = dlsym(lib_, name);
      if (p == nullptr && error_.empty()) error_ = std::string("dlsym ") + name;
      return p;
    };
    options_create_ = reinterpret_cast<void* (*)()>(sym("leveldb_options_create"));
    options_destroy_ = reinterpret_cast<void (*)(void*)>(sym("leveldb_options_destroy"));
    set_create_ =
        reinterpret_cast<void (*)(void*, unsigned char)>(sym("leveldb_options_set_create_if_missing"));
    open_ = reinterpret_cast<void* (*)(void*, const char*, char**)>(sym("leveldb_open"));
    close_ = reinterpret_cast<void (*)(void*)>(sym("leveldb_close"));
    wo_create_ = reinterpret_cast<void* (*)()>(sym("leveldb_writeoptions_create"));
    wo_destroy_ = reinterpret_cast<void (*)(void*)>(sym("leveldb_writeoptions_destroy"));
    wo_sync_ = reinterpret_cast<void (*)(void*, unsigned char)>(sym("leveldb_writeoptions_set_sync"));
    ro_create_ = reinterpret_cast<void* (*)()>(sym("leveldb_readoptions_create"));
    ro_destroy_ = reinterpret_cast<void (*)(void*)>(sym("leveldb_readoptions_destroy"));
    put_ = reinterpret_cast<void (*)(void*, void*, const char*, size_t, const char*, size_t, char**)>(
        sym("leveldb_put"));
    delete_ = reinterpret_cast<void (*)(void*, void*, const char*, size_t, char**)>(sym("leveldb_delete"));
    iter_create_ = reinterpret_cast<void* (*)(void*, void*)>(sym("leveldb_create_iterator"));
    iter_destroy_ = reinterpret_cast<void (*)(void*)>(sym("leveldb_iter_destroy"));
    iter_first_ = reinterpret_cast<void (*)(void*)>(sym("leveldb_iter_seek_to_first"));
    iter_valid_ = reinterpret_cast<unsigned char (*)(const void*)>(sym("leveldb_iter_valid"));
    iter_next_ = reinterpret_cast<void (*)(void*)>(sym("leveldb_iter_next"));
    iter_key_ = reinterpret_cast<const char* (*)(const void*, size_t*)>(sym("leveldb_iter_key"));
    iter_value_ = reinterpret_cast<const char* (*)(const void*, size_t*)>(sym("leveldb_iter_value"));
    free_ = reinterpret_cast<void (*)(void*)>(sym("leveldb_free"));
    if (!error_.empty()) return;
    void* options = options_create_();
    set_create_(options, 1);
    char* err = nullptr;
    db_ = open_(options, dir.c_str(), &err);
    options_destroy_(options);
    Check(err);
    wo_ = wo_create_();
    wo_sync_(wo_, 1);
  }
  ~RawLevelDb() {
    if (db_ != nullptr) close_(db_);
    if (wo_ != nullptr) wo_destroy_(wo_);
    if (lib_ != nullptr) dlclose(lib_);
  }
  RawLevelDb(const RawLevelDb&) = delete;
  RawLevelDb& operator=(const RawLevelDb&) = delete;

  bool ok() const { return db_ != nullptr && error_.empty(); }
  const std::string& error() const { return error_; }

  void Put(std::string_view key, std::string_view value) {
    char* err = nullptr;
    put_(db_, wo_, key.data(), key.size(), value.data(), value.size(), &err);
    Check(err);
  }
  void Delete(std::string_view key) {
    char* err = nullptr;
    delete_(db_, wo_, key.data(), key.size(), &err);
    Check(err);
  }
  // Every key and value, in key order.
  std::vector<std::pair<std::string, std::string>> All() {
    std::vector<std::pair<std::string, std::string>> out;
    void* ro = ro_create_();
    void* it = iter_create_(db_, ro);
    for (iter_first_(it); iter_valid_(it); iter_next_(it)) {
      size_t kn = 0, vn = 0;
      const char* k = iter_key_(it, &kn);
      const char* v = iter_value_(it, &vn);
      out.emplace_back(std::string(k, kn), std::string(v, vn));
    }
    iter_destroy_(it);
    ro_destroy_(ro);
    return out;
  }

 private:
  void Check(char* err) {
    if (err == nullptr) return;
    if (error_.empty()) error_ = err;
    free_(err);
  }

  void* lib_ = nullptr;
  void* db_ = nullptr;
  void* wo_ = nullptr;
  std::string error_;
  void* (*options_create_)() = nullptr;
  void (*options_destroy_)(void*) = nullptr;
  void (*set_create_)(void*, unsigned char) = nullptr;
  void* (*open_)(void*, const char*, char**) = nullptr;
  void (*close_)(void*) = nullptr;
  void* (*wo_create_)() = nullptr;
  void (*wo_destroy_)(void*) = nullptr;
  void (*wo_sync_)(void*, unsigned char) = nullptr;
  void* (*ro_create_)() = nullptr;
  void (*ro_destroy_)(void*) = nullptr;
  void (*put_)(void*, void*, const char*, size_t, const char*, size_t, char**) = nullptr;
  void (*delete_)(void*, void*, const char*, size_t, char**) = nullptr;
  void* (*iter_create_)(void*, void*) = nullptr;
  void (*iter_destroy_)(void*) = nullptr;
  void (*iter_first_)(void*) = nullptr;
  unsigned char (*iter_valid_)(const void*) = nullptr;
  void (*iter_next_)(void*) = nullptr;
  const char* (*iter_key_)(const void*, size_t*) = nullptr;
  const char* (*iter_value_)(const void*, size_t*) = nullptr;
  void (*free_)(void*) = nullptr;
};

std::string Big64(int64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint64_t>(v) >> (56 - 8 * i));
  return out;
}
int64_t FromBig64(std::string_view b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(b[static_cast<size_t>(i)]);
  return static_cast<int64_t>(v);
}
// A log block's key in the records DB (FORMAT.md §3).
std::string BlockKey(int64_t position) { return "R" + Big64(position); }

// A record as the writer would have stored it: QUEUEOFFSET, PHYSICALOFFSET, STORETIMESTAMP set.
std::string StoredRecord(const std::string& topic, int32_t queue_id, const std::string& body, int64_t offset,
                         int64_t position) {
  AppendRequest r = MakeRecord(topic, queue_id, body);
  std::string& rec = r.record;
  auto put64 = [&](size_t at, int64_t v) { std::memcpy(rec.data() + at, Big64(v).data(), 8); };
  put64(20, offset);    // QUEUEOFFSET
  put64(28, position);  // PHYSICALOFFSET
  put64(r.store_timestamp_field, NowMs());
  return rec;
}

// A store with `count` records in T/0, each appended alone (one block each); returns the
// acknowledgements, the store closed cleanly.
std::vector<AppendResult> StoreRecords(const std::string& dir, int count) {
  TestPluginHost host(1, Options());
  host.SetDataDir(dir);
  Result<std::shared_ptr<MessageStore>> s = PluginLoader(SPROCKET_PLUGIN_DIR).CreateStorage("leveldb", host);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return {};
  std::vector<AppendResult> acks;
  for (int i = 0; i < count; ++i) acks.push_back(AppendOne(**s, MakeRecord("T", 0, "r" + std::to_string(i))));
  EXPECT_TRUE((*s)->Close().ok());
  return acks;
}

// Opens the store in `dir`, runs `check` on it, closes it.
Status WithStore(const std::string& dir, const std::function<void(MessageStore&)>& check) {
  TestPluginHost host(1, Options());
  host.SetDataDir(dir);
  Result<std::shared_ptr<MessageStore>> s = PluginLoader(SPROCKET_PLUGIN_DIR).CreateStorage("leveldb", host);
  if (!s.ok()) return s.status();
  check(**s);
  return (*s)->Close();
}

TEST(LevelDbRecoveryTest, RecordsAboveTheIndexAreIndexedAndAGapEndsTheLog) {
  TempDir tmp;
  const std::string dir = tmp.Sub("store");
  std::vector<AppendResult> acks = StoreRecords(dir, 10);
  ASSERT_EQ(acks.size(), 10u);
  const int64_t end = acks.back().position.value + acks.back().size;
  // A crash after the records batch of two more appends, before their index batch; then a
  // block after a gap (a hole in the records DB's log).
  const std::string late = StoredRecord("T", 0, "late-1", 10, end);
  const std::string later = StoredRecord("T", 0, "late-2", 11, end + static_cast<int64_t>(late.size()));
  const int64_t late_end = end + static_cast<int64_t>(late.size() + later.size());
  const std::string stray = StoredRecord("T", 0, "after-a-gap", 12, late_end + 100);
  {
    RawLevelDb records(dir + "/leveldb/records");
    ASSERT_TRUE(records.ok()) << records.error();
    records.Put(BlockKey(end), late + later);
    records.Put(BlockKey(late_end + 100), stray);
  }
  Status s = WithStore(dir, [&](MessageStore& store) {
    EXPECT_EQ(store.Stats().log_end.value, late_end);
    EXPECT_EQ(store.QueueRange("T", 0).max_offset.value, 12);
    std::vector<protocol::MessageExt> all = ReadAll(store, "T", 0);
    ASSERT_EQ(all.size(), 12u);
    EXPECT_EQ(all[10].body, "late-1");
    EXPECT_EQ(all[11].body, "late-2");
    EXPECT_EQ(all[11].commit_log_offset, end + static_cast<int64_t>(late.size()));
    // The key index of the rebuilt part comes from the records' UNIQ_KEYs.
    const std::string uniq(all[11].properties.Get(protocol::Prop::kUniqKey));
    Result<std::vector<LogPosition>> found = store.LookupKey("T", uniq, 0, INT64_MAX, 10);
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->size(), 1u);
    EXPECT_EQ((*found)[0].value, all[11].commit_log_offset);
    EXPECT_FALSE(store.ReadAt(LogPosition(late_end + 100)).ok());
    // Appends go on after the rebuilt part.
    AppendResult next = AppendOne(store, MakeRecord("T", 0, "next"));
    ASSERT_TRUE(next.status.ok());
    EXPECT_EQ(next.position.value, late_end);
    EXPECT_EQ(next.queue_offset.value, 12);
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  // The block after the gap is gone from the records DB too.
  RawLevelDb records(dir + "/leveldb/records");
  ASSERT_TRUE(records.ok()) << records.error();
  for (const auto& [key, value] : records.All()) {
    ASSERT_EQ(key.size(), 9u);
    EXPECT_NE(value, stray);
  }
}

TEST(LevelDbRecoveryTest, AnInterruptedTruncateLogIsFinishedOnOpen) {
  TempDir tmp;
  const std::string dir = tmp.Sub("store");
  std::vector<AppendResult> acks = StoreRecords(dir, 20);
  ASSERT_EQ(acks.size(), 20u);
  const int64_t cut = acks[12].position.value;
  {
    // TruncateLog(cut) stopped after cutting the records, before the index.
    RawLevelDb records(dir + "/leveldb/records");
    ASSERT_TRUE(records.ok()) << records.error();
    records.Put("Mcut", Big64(cut));
    for (const auto& [key, value] : records.All())
      if (key[0] == 'R' && FromBig64(key.substr(1)) >= cut) records.Delete(key);
  }
  Status s = WithStore(dir, [&](MessageStore& store) {
    EXPECT_EQ(store.Stats().log_end.value, cut);
    EXPECT_EQ(store.QueueRange("T", 0).max_offset.value, 12);
    EXPECT_EQ(ReadAll(store, "T", 0).size(), 12u);
    AppendResult next = AppendOne(store, MakeRecord("T", 0, "next"));
    ASSERT_TRUE(next.status.ok());
    EXPECT_EQ(next.position.value, cut);
    EXPECT_EQ(next.queue_offset.value, 12);
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  RawLevelDb records(dir + "/leveldb/records");
  ASSERT_TRUE(records.ok()) << records.error();
  for (const auto& [key, value] : records.All()) EXPECT_NE(key, "Mcut");  // finished: the mark goes
}

TEST(LevelDbRecoveryTest, SyncedRecordsMissingAreCorruptionNotATruncation) {
  TempDir tmp;
  const std::string dir = tmp.Sub("store");
  std::vector<AppendResult> acks = StoreRecords(dir, 20);
  ASSERT_EQ(acks.size(), 20u);
  {
    // The last blocks lost although the index says they were synced, and no TruncateLog mark.
    RawLevelDb records(dir + "/leveldb/records");
    ASSERT_TRUE(records.ok()) << records.error();
    for (const auto& [key, value] : records.All())
      if (FromBig64(key.substr(1)) >= acks[15].position.value) records.Delete(key);
  }
  Status s = WithStore(dir, [](MessageStore&) {});
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("synced"), std::string::npos) << s.message();
}

TEST(LevelDbRecoveryTest, AStoreInFormatVersion1IsRefusedWithAClearError) {
  TempDir tmp;
  const std::string dir = tmp.Sub("store");
  std::filesystem::create_directories(dir + "/leveldb");
  {
    // Version 1 kept everything in <dir>/leveldb: Mformat = u32 version | i64 key bucket size.
    RawLevelDb index(dir + "/leveldb");
    ASSERT_TRUE(index.ok()) << index.error();
    index.Put("Mformat", std::string("\0\0\0\1", 4) + Big64(int64_t{64} << 20));
  }
  Status s = WithStore(dir, [](MessageStore&) {});
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("format version 1"), std::string::npos) << s.message();
  EXPECT_FALSE(std::filesystem::exists(dir + "/leveldb/records"));  // nothing made next to it
}

}  // namespace
}  // namespace sprocket::testing::leveldb_store
