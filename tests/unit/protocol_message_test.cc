// Host addresses, message ids (PROTOCOL.md §6), the tag hash (§7.1) and zlib bodies (§5.4).
#include <gtest/gtest.h>

#include <unistd.h>

#include <ctime>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sprocket/protocol/message.h"

namespace sprocket::protocol {
namespace {

TEST(ProtocolHostAddressTest, ParsesAndFormats) {
  auto v4 = HostAddress::Parse("10.0.0.1:10911");
  ASSERT_TRUE(v4.ok());
  EXPECT_FALSE(v4->v6);
  EXPECT_EQ(v4->ip[0], 10);
  EXPECT_EQ(v4->ip[3], 1);
  EXPECT_EQ(v4->port, 10911);
  EXPECT_EQ(v4->EncodedSize(), 8u);
  EXPECT_EQ(v4->ToString(), "10.0.0.1:10911");

  auto v6 = HostAddress::Parse("[2001:db8::8:1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(v6->EncodedSize(), 20u);
  EXPECT_EQ(v6->ToString(), "[2001:db8::8:1]:0");

  auto mapped = HostAddress::Parse("[::ffff:192.168.1.9]:65535");
  ASSERT_TRUE(mapped.ok());
  EXPECT_FALSE(mapped->v6);
  EXPECT_EQ(mapped->ToString(), "192.168.1.9:65535");
}

TEST(ProtocolHostAddressTest, RejectsMalformed) {
  for (const char* bad : {"", "10.0.0.1", "10.0.0.1:", "10.0.0.1:65536", "10.0.0.1:-1", "10.0.0.1:1x",
                          "10.0.0:1", "host:9876", "::1:10911", "[::1]10911", "[::1]:", "[nope]:1",
                          "[::1", "10.0.0.256:1"}) {
    auto r = HostAddress::Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad;
    }
  }
}

TEST(ProtocolOffsetMsgIdTest, MatchesTheProtocolExample) {
  auto host = HostAddress::Parse("10.0.0.1:10911");
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(EncodeOffsetMsgId(*host, LogPosition(0)), "0A00000100002A9F0000000000000000");
  EXPECT_EQ(EncodeOffsetMsgId(*host, LogPosition(0x0123456789ABCDEF)), "0A00000100002A9F0123456789ABCDEF");

  auto decoded = DecodeOffsetMsgId("0A00000100002A9F0000000000001000");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->first.ToString(), "10.0.0.1:10911");
  EXPECT_EQ(decoded->second, LogPosition(4096));
  // Lowercase hex is accepted too.
  auto lower = DecodeOffsetMsgId("0a00000100002a9f0000000000001000");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->second, LogPosition(4096));
}

TEST(ProtocolOffsetMsgIdTest, Ipv6RoundTripAndBadInput) {
  auto host = HostAddress::Parse("[fe80::1:2]:10911");
  ASSERT_TRUE(host.ok());
  std::string id = EncodeOffsetMsgId(*host, LogPosition(123456789));
  EXPECT_EQ(id.size(), 56u);
  EXPECT_EQ(id, "FE800000000000000000000000010002" "00002A9F" "00000000075BCD15");
  auto back = DecodeOffsetMsgId(id);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->first.ToString(), "[fe80::1:2]:10911");
  EXPECT_EQ(back->second, LogPosition(123456789));

  EXPECT_FALSE(DecodeOffsetMsgId("").ok());
  EXPECT_FALSE(DecodeOffsetMsgId("0A00000100002A9F000000000000000").ok());   // 31 chars
  EXPECT_FALSE(DecodeOffsetMsgId("0A00000100002A9F00000000000000000").ok()); // 33 chars
  EXPECT_FALSE(DecodeOffsetMsgId("0A00000100002A9F00000000000000G0").ok());  // not hex
}

TEST(ProtocolUniqueMessageIdTest, JavaLayout) {
  std::string a = NewUniqueMessageId();
  std::string b = NewUniqueMessageId();
  ASSERT_EQ(a.size(), 32u);
  for (char c : a) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) << a;
  // ip | pid | random are fixed per process.
  EXPECT_EQ(a.substr(0, 20), b.substr(0, 20));
  EXPECT_NE(a, b);
  const auto pid = static_cast<uint16_t>(getpid());
  EXPECT_EQ(std::stoul(a.substr(8, 4), nullptr, 16), pid);
  // Consecutive counters in the last 16 bits.
  auto counter = [](const std::string& id) { return std::stoul(id.substr(28, 4), nullptr, 16); };
  EXPECT_EQ((counter(a) + 1) & 0xFFFF, counter(b));

  // Milliseconds since the start of this month, local time.
  time_t now = time(nullptr);
  tm local{};
  localtime_r(&now, &local);
  local.tm_mday = 1;
  local.tm_hour = local.tm_min = local.tm_sec = 0;
  local.tm_isdst = -1;
  const int64_t month_start_ms = static_cast<int64_t>(mktime(&local)) * 1000;
  std::string c = NewUniqueMessageId();
  auto since = static_cast<int32_t>(std::stoul(c.substr(20, 8), nullptr, 16));
  auto expected = static_cast<int32_t>(static_cast<int64_t>(now) * 1000 - month_start_ms);
  EXPECT_NEAR(static_cast<double>(since), static_cast<double>(expected), 5000.0);
}

TEST(ProtocolUniqueMessageIdTest, UniqueAcrossThreads) {
  std::mutex mu;
  std::set<std::string> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < 10000; ++i) mine.push_back(NewUniqueMessageId());
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ids.size(), 40000u);
}

TEST(ProtocolJavaStringHashTest, MatchesJavaHashCode) {
  EXPECT_EQ(JavaStringHash("TagA"), 2598919);
  EXPECT_EQ(JavaStringHash("TagB"), 2598920);
  EXPECT_EQ(JavaStringHash("*"), 42);
  EXPECT_EQ(JavaStringHash(""), 0);
  EXPECT_EQ(JavaStringHash("hello world"), 1794106052);
  EXPECT_EQ(JavaStringHash("polygenelubricants"), INT32_MIN);  // int32 wraparound
  EXPECT_EQ(TagsCode(""), 0);
  EXPECT_EQ(TagsCode("TagA"), 2598919);
}

TEST(ProtocolJavaStringHashTest, HashesUtf16CodeUnits) {
  EXPECT_EQ(JavaStringHash("\xC3\xA9"), 233);                // é, 2-byte UTF-8, one unit
  EXPECT_EQ(JavaStringHash("\xE4\xB8\xAD\xE6\x96\x87"), 646394);  // 中文
  // U+1F600 is 4 bytes of UTF-8 and a surrogate pair (D83D DE00) in Java.
  EXPECT_EQ(JavaStringHash("\xF0\x9F\x98\x80"), 1772899);
  EXPECT_EQ(JavaStringHash("a\xF0\x9F\x98\x80" "b"), 57849694);
  EXPECT_EQ(JavaStringHash("Tag\xC3\xA9\xF0\x9F\x98\x80"), -1795471790);
  // Malformed UTF-8 hashes as U+FFFD, as Java's decoder would have produced.
  EXPECT_EQ(JavaStringHash("\xFF"), 65533);
  EXPECT_EQ(JavaStringHash("\xE4\xB8"), 65533);  // truncated sequence: one replacement
  EXPECT_EQ(JavaStringHash("\xED\xA0\x80"), 65533 * 31 * 31 + 65533 * 31 + 65533);  // encoded surrogate
}

TEST(ProtocolZlibTest, RoundTrip) {
  std::string raw;
  for (int i = 0; i < 100000; ++i) raw += static_cast<char>('a' + (i * 7) % 26);
  std::string packed = Deflate(raw);
  EXPECT_LT(packed.size(), raw.size() / 10);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x78);  // zlib header, as Java's Deflater
  auto back = Inflate(packed);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, raw);

  for (int level : {0, 1, 9}) {
    auto r = Inflate(Deflate("x", level));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "x");
  }
  auto empty = Inflate(Deflate(""));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ProtocolZlibTest, InflatesOtherImplementations) {
  // zlib.compress(b"hello") / Node zlib.deflateSync("hello").
  const std::string hello("\x78\x9c\xcb\x48\xcd\xc9\xc9\x07\x00\x06\x2c\x02\x15", 13);
  auto r = Inflate(hello);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "hello");
  // Bytes after the end of the stream are ignored, as java.util.zip.Inflater does.
  auto trailing = Inflate(hello + "garbage");
  ASSERT_TRUE(trailing.ok());
  EXPECT_EQ(*trailing, "hello");
}

TEST(ProtocolZlibTest, RejectsCorruptInput) {
  const std::string hello("\x78\x9c\xcb\x48\xcd\xc9\xc9\x07\x00\x06\x2c\x02\x15", 13);
  for (const std::string& bad : {std::string(), std::string("hello"), hello.substr(0, 6), hello.substr(0, 12),
                                 std::string("\x78\x9c\xff\xff\xff\xff", 6)}) {
    auto r = Inflate(bad);
    EXPECT_FALSE(r.ok());
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
    }
  }
  std::string bad_adler = hello;
  bad_adler.back() ^= 1;
  EXPECT_FALSE(Inflate(bad_adler).ok());
}

TEST(ProtocolZlibTest, BoundsInflatedSize) {
  // 80 MiB of zeros deflate to ~80 KiB; inflating must stop at the cap, not allocate it all.
  std::string bomb = Deflate(std::string(80u << 20, '\0'), 9);
  ASSERT_LT(bomb.size(), 200u * 1024);
  auto r = Inflate(bomb);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace sprocket::protocol
