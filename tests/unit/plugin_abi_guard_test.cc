// Guards kPluginAbiVersion: the plugin ABI headers (kernel/include/sprocket/plugin/*.h) must
// not change without a version bump, or old plugins would load into a host that no longer
// matches them.
//
// The test hashes the headers' *code*: comments and whitespace are stripped first, so
// rewording a comment, reflowing lines or CRLF line endings need no bump, while any change
// a compiler could see does. When it fails:
//   1. bump kPluginAbiVersion in abi.h (plugins built against the old headers are then
//      refused with a clear message instead of misbehaving), and
//   2. add the line the failure message prints to kKnownAbis below. Keep the old lines.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sprocket/plugin/abi.h"

namespace sprocket {
namespace {

namespace fs = std::filesystem;

// kPluginAbiVersion -> hash of the ABI headers at that version.
const std::map<uint32_t, uint64_t> kKnownAbis = {
    {1, 0x7a3fff6029d16b53ull},
    {2, 0x64040b9ed7112ffbull},  // PluginHost::NewSessionId, ReadQueueResult::status, two more outcomes
    {3, 0x06b82913d4778e46ull},  // storage: LookupKey, ReadLog/AppendReplica/TruncateLog, DeleteExpired, on-disk read limits, Stats::syncs; Session::SendParts
};

// Removes // and /* */ comments and collapses every run of whitespace into one space.
// String and character literals are kept verbatim (a "//" inside one is not a comment).
std::string CodeOnly(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  auto emit = [&](char c) {
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '/' && next == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
      pending_space = true;
    } else if (c == '/' && next == '*') {
      i += 2;
      while (i + 1 < text.size() && !(text[i] == '*' && text[i + 1] == '/')) ++i;
      ++i;  // on the closing '/'
      pending_space = true;
    } else if (c == '"' || c == '\'') {
      emit(c);
      for (++i; i < text.size() && text[i] != c; ++i) {
        out.push_back(text[i]);
        if (text[i] == '\\' && i + 1 < text.size()) out.push_back(text[++i]);
      }
      if (i < text.size()) out.push_back(c);
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = true;
    } else {
      emit(c);
    }
  }
  return out;
}

uint64_t Fnv1a64(const std::string& data, uint64_t h = 0xcbf29ce484222325ull) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// Every header in the ABI folder, in name order, each as "<file name>\n<code>\n".
uint64_t AbiHash(std::vector<std::string>* files) {
  const fs::path dir = fs::path(SPROCKET_SOURCE_DIR) / "kernel/include/sprocket/plugin";
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".h") files->push_back(entry.path().filename().string());
  }
  std::sort(files->begin(), files->end());
  uint64_t h = 0xcbf29ce484222325ull;
  for (const std::string& name : *files) {
    std::ifstream in(dir / name, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    h = Fnv1a64(name + "\n" + CodeOnly(text) + "\n", h);
  }
  return h;
}

std::string Hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << std::setw(16) << std::setfill('0') << v << "ull";
  return s.str();
}

TEST(PluginAbiGuardTest, CodeOnlyIgnoresCommentsWhitespaceAndLineEndings) {
  EXPECT_EQ(CodeOnly("int a; // x\r\nint  b;\n"), CodeOnly("int a;\n/* y\n z */ int b;"));
  EXPECT_EQ(CodeOnly("a\r\n\r\nb"), "a b");
  EXPECT_NE(CodeOnly("int a;"), CodeOnly("long a;"));
  EXPECT_EQ(CodeOnly("const char* s = \"//not a comment\";"),
            "const char* s = \"//not a comment\";");
  EXPECT_EQ(CodeOnly("char c = '\\''; // q"), "char c = '\\'';");
}

TEST(PluginAbiGuardTest, HeadersMatchTheAbiVersion) {
  std::vector<std::string> files;
  const uint64_t hash = AbiHash(&files);
  ASSERT_GE(files.size(), 7u) << "expected abi.h, auth.h, host.h, status.h, storage.h, "
                                 "transport.h, types.h in kernel/include/sprocket/plugin";
  auto it = kKnownAbis.find(kPluginAbiVersion);
  if (it == kKnownAbis.end()) {
    FAIL() << "kPluginAbiVersion is " << kPluginAbiVersion << " but " << __FILE__
           << " has no hash for it. Add this line to kKnownAbis:\n    {" << kPluginAbiVersion
           << ", " << Hex(hash) << "},";
  }
  EXPECT_EQ(it->second, hash)
      << "The plugin ABI headers (kernel/include/sprocket/plugin/*.h) changed, but "
         "kPluginAbiVersion is still "
      << kPluginAbiVersion << ".\nBump kPluginAbiVersion in abi.h to " << kPluginAbiVersion + 1
      << " and add this line to kKnownAbis in " << __FILE__ << ":\n    {"
      << kPluginAbiVersion + 1 << ", " << Hex(hash)
      << "},\n(If you are adding that version right now, the line for it is: {"
      << kPluginAbiVersion << ", " << Hex(hash) << "}.)";
}

TEST(PluginAbiGuardTest, EveryVersionHasItsOwnHash) {
  // Two versions with one hash would mean a bump without a change, or a copied line.
  std::map<uint64_t, uint32_t> seen;
  for (const auto& [version, hash] : kKnownAbis) {
    auto [it, fresh] = seen.emplace(hash, version);
    EXPECT_TRUE(fresh) << "versions " << it->second << " and " << version << " share a hash";
  }
}

}  // namespace
}  // namespace sprocket
