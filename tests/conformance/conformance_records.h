// Shared by the conformance suite and its crash child (no GoogleTest here): which plugins are
// under test, how records are built, and the crash workload both sides must agree on.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "plugin_host/plugin_loader.h"
#include "sprocket/plugin/storage.h"
#include "sprocket/protocol/message.h"

namespace sprocket::conformance {

// One storage plugin the suite runs against.
struct PluginUnderTest {
  std::string name;           // loaded as <dir>/storage_<name>.so
  std::string dir;            // plugin directory
  bool is_volatile = false;   // ":volatile": keeps nothing across restarts (restart and crash cases skip)
  bool has_key_index = true;  // ":nokeyindex": LookupKey answers NotSupported, as storage.h allows
};

// Set by main() from --sprocket_plugin_dir / --sprocket_plugins before tests are listed.
inline std::string& PluginDirOverride() {
  static std::string v;
  return v;
}
inline std::string& PluginListOverride() {
  static std::string v;
  return v;
}

// The plugins to test, from (first that is set):
//   --sprocket_plugins=LIST, $SPROCKET_CONFORMANCE_PLUGINS, the list this runner was built with;
// LIST is comma-separated names, each optionally followed by flags: ":volatile" for a store
// that keeps nothing across restarts, ":nokeyindex" for one without a key index
// ("memory:volatile", "mystore:nokeyindex:volatile").
// Their directory: --sprocket_plugin_dir=DIR, $SPROCKET_CONFORMANCE_PLUGIN_DIR, else the
// loader's default (<dir of this program>/../lib/sprocket: right in the build tree and in an
// install).
inline std::vector<PluginUnderTest> PluginsUnderTest() {
  std::string list = PluginListOverride();
  if (list.empty() && std::getenv("SPROCKET_CONFORMANCE_PLUGINS") != nullptr)
    list = std::getenv("SPROCKET_CONFORMANCE_PLUGINS");
  if (list.empty()) list = SPROCKET_CONFORMANCE_DEFAULT_PLUGINS;
  std::string dir = PluginDirOverride();
  if (dir.empty() && std::getenv("SPROCKET_CONFORMANCE_PLUGIN_DIR") != nullptr)
    dir = std::getenv("SPROCKET_CONFORMANCE_PLUGIN_DIR");
  if (dir.empty()) dir = PluginLoader::DefaultPluginDir();
  std::vector<PluginUnderTest> out;
  std::string_view rest = list;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string item(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    PluginUnderTest p;
    p.dir = dir;
    size_t colon = item.find(':');
    p.name = item.substr(0, colon);
    while (colon != std::string::npos) {
      const size_t next = item.find(':', colon + 1);
      const std::string flag = item.substr(colon + 1, next == std::string::npos ? next : next - colon - 1);
      if (flag == "volatile") p.is_volatile = true;
      if (flag == "nokeyindex") p.has_key_index = false;
      colon = next;
    }
    if (!p.name.empty()) out.push_back(p);
  }
  return out;
}

// GoogleTest prints test parameters; name them rather than dump their bytes.
inline void PrintTo(const PluginUnderTest& p, std::ostream* os) {
  *os << p.name << (p.is_volatile ? ":volatile" : "") << (p.has_key_index ? "" : ":nokeyindex") << " in "
      << p.dir;
}

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Deterministic filler bytes, so a reader can tell a record's body is the one written.
inline std::string Filler(uint64_t seed, size_t size) {
  std::string s(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = static_cast<char>(x);
  }
  return s;
}

struct RecordSpec {
  std::string topic;
  int32_t queue_id = 0;
  std::string body;
  std::string tags;                                        // TAGS property (tag filter)
  std::string keys;                                        // KEYS property, space-separated
  std::vector<std::pair<std::string, std::string>> props;  // any other properties
};

// One record as the broker's send path builds it, with the kernel's own codec.
inline AppendRequest MakeRecord(const RecordSpec& spec) {
  protocol::MessageProperties props;
  if (!spec.tags.empty()) props.Set(protocol::Prop::kTags, spec.tags);
  if (!spec.keys.empty()) props.Set(protocol::Prop::kKeys, spec.keys);
  const std::string uniq = protocol::NewUniqueMessageId();
  props.Set(protocol::Prop::kUniqKey, uniq);
  for (const auto& [k, v] : spec.props) props.Set(k, v);
  const std::string encoded_props = props.Encode();
  protocol::RecordInput in;
  in.queue_id = spec.queue_id;
  in.born_timestamp = NowMs();
  in.born_host = protocol::HostAddress::Parse("127.0.0.1:50000").value();
  in.store_host = protocol::HostAddress::Parse("10.0.0.1:10911").value();
  in.body = spec.body;
  in.topic = spec.topic;
  in.properties = encoded_props;
  AppendRequest r;
  Result<protocol::EncodedRecordLayout> layout = protocol::EncodeRecord(in, &r.record);
  if (!layout.ok()) std::abort();  // specs come from the tests: a bad one is a test bug
  r.topic = spec.topic;
  r.queue_id = spec.queue_id;
  r.tags_code = protocol::TagsCode(spec.tags);
  r.store_timestamp_field = static_cast<uint32_t>(layout->store_timestamp_field);
  r.keys = spec.keys.empty() ? uniq : uniq + " " + spec.keys;
  return r;
}

// --- The crash workload: the child appends it, the test recognises what it finds.
// Record `seq` of round `round` goes to one of 6 queues, carries property CSEQ=round:seq and a
// body only that (round, seq) has; every 40th record is large (crosses 64 KiB segments soon).
inline constexpr const char* kCrashSeqProperty = "CSEQ";
inline std::string CrashTopic(int64_t seq) { return "crash-" + std::to_string(seq % 3); }
inline int32_t CrashQueue(int64_t seq) { return static_cast<int32_t>((seq / 3) % 2); }
inline std::string CrashBody(int64_t round, int64_t seq) {
  const size_t size = seq % 40 == 39 ? 20000 : static_cast<size_t>((seq * 7919) % 1500);
  return Filler(static_cast<uint64_t>(round * 1000003 + seq), size);
}
inline AppendRequest CrashRecord(int64_t round, int64_t seq) {
  RecordSpec s;
  s.topic = CrashTopic(seq);
  s.queue_id = CrashQueue(seq);
  s.body = CrashBody(round, seq);
  s.keys = "crash-" + std::to_string(round) + "-" + std::to_string(seq);
  s.props.emplace_back(kCrashSeqProperty, std::to_string(round) + ":" + std::to_string(seq));
  return MakeRecord(s);
}

}  // namespace sprocket::conformance
