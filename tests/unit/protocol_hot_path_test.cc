// The codec's hot-path helpers: decoding into a reused command (ExtFields::Recycle),
// PropertiesView, and the word-at-a-time JSON string scanning, checked against the plain
// paths they stand in for.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"
#include "sprocket/protocol/remoting_command.h"

namespace sprocket::protocol {
namespace {

std::string JsonFrame(const std::string& header_json, const std::string& body = "") {
  std::string f(4, '\0');
  const auto n = static_cast<uint32_t>(header_json.size());
  f[0] = 0;  // serialize type JSON
  f[1] = static_cast<char>(n >> 16);
  f[2] = static_cast<char>(n >> 8);
  f[3] = static_cast<char>(n);
  return f + header_json + body;
}

RemotingCommand Fresh(std::string_view frame, std::string_view* body) {
  RemotingCommand cmd;
  EXPECT_TRUE(DecodeHeader(frame, &cmd, body).ok());
  return cmd;
}

void ExpectSame(const RemotingCommand& a, const RemotingCommand& b) {
  EXPECT_EQ(a.code, b.code);
  EXPECT_EQ(a.language, b.language);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.opaque, b.opaque);
  EXPECT_EQ(a.flag, b.flag);
  EXPECT_EQ(a.remark, b.remark);
  EXPECT_EQ(a.serialize_type, b.serialize_type);
  EXPECT_EQ(a.ext.items(), b.ext.items());
}

TEST(ProtocolHotPathTest, DecodingIntoAReusedCommandEqualsAFreshDecode) {
  const std::vector<std::string> frames = {
      JsonFrame(R"({"code":310,"extFields":{"a":"producer-group-longer-than-sso","b":"T","i":"x\u0001y",)"
                R"("g":"1764057600000","n":null},"flag":0,"language":"CPP","opaque":7,"remark":"r","version":409})",
                "body"),
      // Fewer fields, no remark, no version: nothing may leak from the previous decode.
      JsonFrame(R"({"code":11,"extFields":{"b":"U"},"flag":2,"opaque":8})"),
      JsonFrame(R"({"code":12,"flag":1,"opaque":9})"),
      // A repeated extFields object replaces the first.
      JsonFrame(R"({"code":13,"extFields":{"a":"1","b":"2"},"extFields":{"c":"3"},"opaque":10})"),
      JsonFrame(R"({"code":310,"extFields":{"a":"short","b":"a value well past the small-string size"},"opaque":11})"),
  };
  RemotingCommand reused;
  for (int round = 0; round < 3; ++round) {
    for (const std::string& f : frames) {
      std::string_view body_reused, body_fresh;
      ASSERT_TRUE(DecodeHeader(f, &reused, &body_reused).ok());
      RemotingCommand fresh = Fresh(f, &body_fresh);
      ExpectSame(reused, fresh);
      EXPECT_EQ(body_reused, body_fresh);
      EXPECT_TRUE(reused.body.empty());
    }
  }
  // The null value was dropped, not kept as an empty string.
  RemotingCommand first;
  std::string_view body;
  ASSERT_TRUE(DecodeHeader(frames[0], &first, &body).ok());
  EXPECT_FALSE(first.ext.Has("n"));
  EXPECT_EQ(first.ext.Get("i"), std::string("x\x01y"));
  EXPECT_EQ(body, "body");
}

TEST(ProtocolHotPathTest, RecycledExtFieldsBehaveLikeNewOnes) {
  ExtFields e;
  e.Set("k1", std::string(100, 'a'));
  e.Set("k2", "v2");
  e.Recycle();
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(e.Find("k1"), nullptr);
  e.EmplaceValue("x") = "1";
  e.EmplaceValue("y") = "2";
  e.EmplaceValue("z");
  e.PopBack();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e.Get("x"), "1");
  EXPECT_EQ(e.Get("y"), "2");
  EXPECT_FALSE(e.Has("z"));
  ExtFields copy = e;  // copies the entries only
  EXPECT_EQ(copy.items(), e.items());
  copy.Set("x", "changed");
  EXPECT_EQ(e.Get("x"), "1");
}

TEST(ProtocolHotPathTest, PropertiesViewAcceptsWhatDecodeKeepsAsIs) {
  const std::string clean = std::string("UNIQ_KEY\x01") + "ABC" + "\x02WAIT\x01true\x02TAGS\x01TagA";
  PropertiesView v;
  ASSERT_TRUE(v.Parse(clean));
  EXPECT_EQ(v.Get("UNIQ_KEY"), "ABC");
  EXPECT_EQ(v.Get("TAGS"), "TagA");
  EXPECT_EQ(v.Get("KEYS", "none"), "none");
  MessageProperties decoded = MessageProperties::Decode(clean);
  size_t i = 0;
  for (const auto& [k, val] : v) {
    ASSERT_LT(i, decoded.items().size());
    EXPECT_EQ(k, decoded.items()[i].first);
    EXPECT_EQ(val, decoded.items()[i].second);
    ++i;
  }
  EXPECT_EQ(i, decoded.items().size());

  EXPECT_TRUE(v.Parse(clean + "\x02"));  // trailing separator, as Java 4.4 and cpp write
  EXPECT_TRUE(v.Parse(""));
  EXPECT_EQ(v.begin(), v.end());
}

TEST(ProtocolHotPathTest, PropertiesViewRefusesWhatDecodeWouldChange) {
  PropertiesView v;
  EXPECT_FALSE(v.Parse(std::string("A\x01") + "\x02" + "B\x01" + "2"));  // empty value
  EXPECT_FALSE(v.Parse(std::string("\x01") + "1"));                     // empty key
  EXPECT_FALSE(v.Parse("NOSEPARATOR"));                                 // no \x01
  EXPECT_FALSE(v.Parse(std::string("A\x01") + "1\x02" + "A\x01" + "2"));  // repeated key
  std::string many;
  for (size_t i = 0; i <= PropertiesView::kMaxEntries; ++i) {
    if (!many.empty()) many += '\x02';
    many += "K" + std::to_string(i) + "\x01v";
  }
  EXPECT_FALSE(v.Parse(many));  // more entries than the view holds
}

// Strings of every length up to 40 with one special byte at every position: the SWAR
// scanners (encode: escaping; decode: finding the closing quote) must find each.
TEST(ProtocolHotPathTest, JsonStringsRoundTripWithSpecialBytesAnywhere) {
  const std::vector<char> specials = {'"', '\\', '\x01', '\x02', '\n', '\x1f', '\x7f', '/'};
  for (size_t len = 0; len <= 40; ++len) {
    for (size_t pos = 0; pos < std::max<size_t>(len, 1); ++pos) {
      for (char special : specials) {
        std::string value(len, 'x');
        for (size_t i = 0; i < len; ++i) value[i] = static_cast<char>('a' + i % 26);
        if (len > 0) value[pos] = special;
        if (len > 4 && pos < len - 2) {  // bytes >= 0x80 ("é" in UTF-8) pass through untouched
          value[len - 2] = static_cast<char>(0xC3);
          value[len - 1] = static_cast<char>(0xA9);
        }
        RemotingCommand cmd = RemotingCommand::Request(RequestCode::kSendMessageV2);
        cmd.ext.Set("v", value);
        cmd.ext.Set("k\"ey\\" + std::to_string(len), "after");
        cmd.remark = value;
        std::string frame = EncodeFrame(cmd);
        auto decoded = DecodeFrame(std::string_view(frame).substr(4));
        ASSERT_TRUE(decoded.ok()) << "len " << len << " pos " << pos << ": " << decoded.status().ToString();
        EXPECT_EQ(decoded->ext.Get("v"), value) << "len " << len << " pos " << pos << " special "
                                                << int(special);
        EXPECT_EQ(decoded->ext.Get("k\"ey\\" + std::to_string(len)), "after");
        EXPECT_EQ(decoded->remark.value_or(""), value);
      }
    }
  }
}

}  // namespace
}  // namespace sprocket::protocol
