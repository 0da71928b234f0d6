// Frames (PROTOCOL.md §1.1), the ROCKETMQ binary header (§1.3), ExtFields, and a fuzz
// pass over mutated frames that must never crash the decoder.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "protocol/byte_order.h"
#include "sprocket/protocol/remoting_command.h"

namespace sprocket::protocol {
namespace {

using detail::AppendBE16;
using detail::AppendBE32;
using detail::GetBE32;

std::string Frame(std::string_view header, std::string_view body = {}, uint8_t type = 0) {
  std::string f;
  AppendBE32(&f, (uint32_t{type} << 24) | static_cast<uint32_t>(header.size()));
  f.append(header);
  f.append(body);
  return f;
}

RemotingCommand SampleCommand(SerializeType type) {
  RemotingCommand cmd = RemotingCommand::Request(310);
  cmd.serialize_type = type;
  cmd.opaque = 123456;
  cmd.flag = kFlagOneway;
  cmd.language = LanguageCode::kCpp;
  cmd.remark = "r\xC3\xA9mark";
  cmd.ext.Set("a", "group");
  cmd.ext.Set("b", "Topic");
  cmd.ext.Set("empty", "");
  cmd.ext.Set("i", std::string("TAGS\x01" "A\x02KEYS\x01k", 13));
  cmd.body = std::string("\x00\x01\xFFpayload", 10);
  return cmd;
}

void ExpectSameCommand(const RemotingCommand& a, const RemotingCommand& b) {
  EXPECT_EQ(a.code, b.code);
  EXPECT_EQ(a.language, b.language);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.opaque, b.opaque);
  EXPECT_EQ(a.flag, b.flag);
  EXPECT_EQ(a.remark, b.remark);
  EXPECT_EQ(a.ext.items(), b.ext.items());
  EXPECT_EQ(a.serialize_type, b.serialize_type);
  EXPECT_EQ(a.body, b.body);
}

TEST(ProtocolFrameTest, JsonFrameLayoutAndRoundTrip) {
  RemotingCommand cmd = SampleCommand(SerializeType::kJson);
  std::string frame = EncodeFrame(cmd);
  ASSERT_GE(frame.size(), 8u);
  const uint32_t length = GetBE32(frame.data());
  const uint32_t word = GetBE32(frame.data() + 4);
  EXPECT_EQ(length, frame.size() - 4);
  EXPECT_EQ(word >> 24, 0u);
  const size_t header_len = word & 0xFFFFFF;
  EXPECT_EQ(std::string_view(frame).substr(8, header_len), EncodeJsonHeader(cmd));
  EXPECT_EQ(length, 4 + header_len + cmd.body.size());

  RemotingCommand decoded;
  std::string_view body;
  std::string_view without_prefix = std::string_view(frame).substr(4);
  ASSERT_TRUE(DecodeHeader(without_prefix, &decoded, &body).ok());
  EXPECT_EQ(body, cmd.body);
  EXPECT_EQ(body.data(), without_prefix.data() + 4 + header_len);  // a view, not a copy
  EXPECT_TRUE(decoded.body.empty());

  auto full = DecodeFrame(without_prefix);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  ExpectSameCommand(*full, cmd);
}

TEST(ProtocolFrameTest, EncodeAppendsAndTakesABorrowedBody) {
  RemotingCommand cmd = RemotingCommand::Request(11);
  std::string out = "prefix";
  EncodeFrame(cmd, std::string_view("borrowed"), &out);
  ASSERT_EQ(out.substr(0, 6), "prefix");
  auto r = DecodeFrame(std::string_view(out).substr(6 + 4));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "borrowed");
  EXPECT_EQ(r->code, 11);
  EXPECT_EQ(r->version, kSprocketVersion);
}

// A header framed alone, its length prefix extended, and the body appended behind it (as
// the remoting client stages a send, and ReplyParts writes a pull response) make the same
// bytes as the whole frame encoded at once, for both header formats.
TEST(ProtocolFrameTest, ExtendedHeaderPlusBodyIsTheWholeFrame) {
  for (SerializeType type : {SerializeType::kJson, SerializeType::kRocketMQ}) {
    RemotingCommand cmd = RemotingCommand::Request(310);
    cmd.serialize_type = type;
    cmd.ext.Append("topic", "T");
    const std::string body(70000, 'b');
    std::string head;
    EncodeFrame(cmd, std::string_view(), &head);
    ExtendFrameLength(&head, body.size());
    std::string whole;
    EncodeFrame(cmd, body, &whole);
    EXPECT_EQ(head + body, whole);
  }
}

TEST(ProtocolFrameTest, BinaryHeaderRoundTrip) {
  RemotingCommand cmd = SampleCommand(SerializeType::kRocketMQ);
  std::string frame = EncodeFrame(cmd);
  EXPECT_EQ(GetBE32(frame.data() + 4) >> 24, 1u);
  auto r = DecodeFrame(std::string_view(frame).substr(4));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectSameCommand(*r, cmd);
}

TEST(ProtocolFrameTest, BinaryHeaderIsByteExact) {
  RemotingCommand cmd;
  cmd.code = 105;
  cmd.language = LanguageCode::kJava;
  cmd.version = 409;
  cmd.opaque = 7;
  cmd.flag = 1;
  cmd.remark = "ok";
  cmd.ext.Set("topic", "T");
  std::string want;
  AppendBE16(&want, 105);
  want.push_back('\0');
  AppendBE16(&want, 409);
  AppendBE32(&want, 7);
  AppendBE32(&want, 1);
  AppendBE32(&want, 2);
  want += "ok";
  AppendBE32(&want, 2 + 5 + 4 + 1);
  AppendBE16(&want, 5);
  want += "topic";
  AppendBE32(&want, 1);
  want += "T";
  EXPECT_EQ(EncodeBinaryHeader(cmd), want);

  // Null remark and no extFields are written as zero lengths and read back as absent.
  cmd.remark.reset();
  cmd.ext = ExtFields();
  std::string bare = EncodeBinaryHeader(cmd);
  EXPECT_EQ(bare.size(), 13u + 4 + 4);
  auto r = DecodeFrame(Frame(bare, {}, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->remark.has_value());
  EXPECT_TRUE(r->ext.empty());
  EXPECT_EQ(r->version, 409);
}

TEST(ProtocolFrameTest, BinaryHeaderLengthChecks) {
  auto header = [](int32_t remark_len, std::string_view remark, int32_t ext_len, std::string_view ext) {
    std::string h;
    AppendBE16(&h, 10);
    h.push_back('\1');
    AppendBE16(&h, 409);
    AppendBE32(&h, 1);
    AppendBE32(&h, 0);
    AppendBE32(&h, static_cast<uint32_t>(remark_len));
    h.append(remark);
    AppendBE32(&h, static_cast<uint32_t>(ext_len));
    h.append(ext);
    return h;
  };
  auto entry = [](int16_t key_len, std::string_view key, int32_t val_len, std::string_view val) {
    std::string e;
    AppendBE16(&e, static_cast<uint16_t>(key_len));
    e.append(key);
    AppendBE32(&e, static_cast<uint32_t>(val_len));
    e.append(val);
    return e;
  };
  auto decode = [](const std::string& h) { return DecodeFrame(Frame(h, {}, 1)); };

  ASSERT_TRUE(decode(header(0, "", 0, "")).ok());
  std::string good_entry = entry(1, "k", 1, "v");
  auto ok = decode(header(2, "hi", static_cast<int32_t>(good_entry.size()), good_entry));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->ext.Get("k"), "v");
  EXPECT_EQ(*ok->remark, "hi");

  EXPECT_FALSE(decode(std::string(10, '\0')).ok());                          // shorter than fixed part
  EXPECT_FALSE(decode(header(0, "", 0, "").substr(0, 15)).ok());             // no extFields length
  EXPECT_FALSE(decode(header(-1, "", 0, "")).ok());                          // negative remark
  EXPECT_FALSE(decode(header(100, "hi", 0, "")).ok());                       // remark past the end
  EXPECT_FALSE(decode(header(0x7FFFFFFF, "", 0, "")).ok());                  // huge remark
  EXPECT_FALSE(decode(header(0, "", 100, good_entry)).ok());                 // ext past the end
  EXPECT_FALSE(decode(header(0, "", -5, "")).ok());                          // negative ext
  std::string bad_key = entry(50, "k", 1, "v");
  EXPECT_FALSE(decode(header(0, "", static_cast<int32_t>(bad_key.size()), bad_key)).ok());
  std::string neg_key = entry(-1, "k", 1, "v");
  EXPECT_FALSE(decode(header(0, "", static_cast<int32_t>(neg_key.size()), neg_key)).ok());
  std::string bad_val = entry(1, "k", 0x7FFFFFFF, "v");
  EXPECT_FALSE(decode(header(0, "", static_cast<int32_t>(bad_val.size()), bad_val)).ok());
  // extLen cutting an entry in half.
  EXPECT_FALSE(decode(header(0, "", 4, good_entry)).ok());
  EXPECT_FALSE(decode(header(0, "", 1, good_entry)).ok());
  // Unknown language bytes do not fail the frame.
  std::string other = header(0, "", 0, "");
  other[2] = '\x63';
  auto lang = decode(other);
  ASSERT_TRUE(lang.ok());
  EXPECT_EQ(lang->language, LanguageCode::kOther);
}

TEST(ProtocolFrameTest, FrameLevelChecks) {
  RemotingCommand cmd;
  std::string_view body;
  EXPECT_FALSE(DecodeHeader("", &cmd, &body).ok());
  EXPECT_FALSE(DecodeHeader(std::string_view("\0\0\0", 3), &cmd, &body).ok());
  // Header length beyond the frame, including the largest 24-bit value.
  std::string f = Frame("{\"code\":1}");
  f[3] = static_cast<char>(f[3] + 1);
  EXPECT_FALSE(DecodeHeader(f, &cmd, &body).ok());
  std::string huge("\x00\xFF\xFF\xFF{}", 6);
  EXPECT_EQ(DecodeHeader(huge, &cmd, &body).code(), Status::Code::kCorruption);
  // Unknown serialize types.
  EXPECT_FALSE(DecodeFrame(Frame("{\"code\":1}", {}, 2)).ok());
  EXPECT_FALSE(DecodeFrame(Frame("{\"code\":1}", {}, 0xFF)).ok());
  // An empty header is not a JSON object.
  EXPECT_FALSE(DecodeFrame(Frame("")).ok());
  // Header exactly filling the frame: no body.
  auto r = DecodeFrame(Frame("{\"code\":1}"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->body.empty());
}

TEST(ProtocolFrameTest, ResponseToEchoesTheRequest) {
  RemotingCommand req = RemotingCommand::Request(34);
  req.opaque = 99;
  req.serialize_type = SerializeType::kRocketMQ;
  req.flag = kFlagOneway;
  req.language = LanguageCode::kCpp;
  req.version = 333;
  RemotingCommand rsp = RemotingCommand::ResponseTo(req, 3, "not supported");
  EXPECT_EQ(rsp.code, 3);
  EXPECT_EQ(rsp.opaque, 99);
  EXPECT_EQ(rsp.flag, kFlagResponse);
  EXPECT_EQ(rsp.serialize_type, SerializeType::kRocketMQ);
  EXPECT_EQ(rsp.language, LanguageCode::kJava);
  EXPECT_EQ(rsp.version, kSprocketVersion);
  EXPECT_EQ(rsp.remark, "not supported");
  EXPECT_TRUE(rsp.IsResponse());
  EXPECT_FALSE(rsp.IsOneway());
}

TEST(ProtocolFrameTest, LanguageNames) {
  const char* names[] = {"JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
                         "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST"};
  for (int i = 0; i <= 12; ++i) {
    auto code = static_cast<LanguageCode>(i);
    EXPECT_STREQ(LanguageName(code), names[i]);
    EXPECT_EQ(ParseLanguage(names[i]), code);
  }
  EXPECT_FALSE(ParseLanguage("java").has_value());
  EXPECT_FALSE(ParseLanguage("").has_value());
}

TEST(ProtocolExtFieldsTest, SetFindEraseAndParse) {
  ExtFields ext;
  ext.Set("a", "1");
  ext.Set("b", int64_t{-42});
  ext.SetBool("c", true);
  ext.Set("a", "2");  // replaces in place
  ASSERT_EQ(ext.size(), 3u);
  EXPECT_EQ(ext.items()[0], ExtFields::Item("a", "2"));
  EXPECT_EQ(ext.Get("b"), "-42");
  EXPECT_EQ(ext.Get("zz", "fallback"), "fallback");
  EXPECT_EQ(ext.Find("zz"), nullptr);
  EXPECT_EQ(ext.GetInt("b"), -42);
  EXPECT_EQ(ext.GetBool("c"), true);
  EXPECT_TRUE(ext.Erase("a"));
  EXPECT_FALSE(ext.Erase("a"));
  EXPECT_EQ(ext.size(), 2u);

  ExtFields n;
  n.Set("plus", "+7");
  n.Set("max", "9223372036854775807");
  n.Set("over", "9223372036854775808");
  n.Set("space", " 5");
  n.Set("word", "abc");
  n.Set("empty", "");
  n.Set("float", "1.5");
  n.Set("sign", "+-1");
  n.Set("T", "TRUE");
  n.Set("yes", "yes");
  EXPECT_EQ(n.GetInt("plus"), 7);
  EXPECT_EQ(n.GetInt("max"), INT64_MAX);
  EXPECT_FALSE(n.GetInt("over").has_value());
  EXPECT_FALSE(n.GetInt("space").has_value());
  EXPECT_FALSE(n.GetInt("word").has_value());
  EXPECT_FALSE(n.GetInt("empty").has_value());
  EXPECT_FALSE(n.GetInt("float").has_value());
  EXPECT_FALSE(n.GetInt("sign").has_value());
  EXPECT_FALSE(n.GetInt("absent").has_value());
  EXPECT_EQ(n.GetBool("T"), true);
  EXPECT_EQ(n.GetBool("yes"), false);
  EXPECT_FALSE(n.GetBool("absent").has_value());
}

// Mutation fuzz: never crash, never hand out a body outside the frame, and whatever the
// decoder accepts must survive a re-encode/decode with the same fields.
TEST(ProtocolFrameFuzzTest, MutatedFramesNeverCrash) {
  std::vector<std::string> seeds = {
      Frame(R"({"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":0,"serializeTypeCurrentRPC":"JSON","version":453})"),
      Frame(R"({"code":310,"language":"JAVA","opaque":2,"flag":0,"version":121,"extFields":{"a":"G","d":4,"g":1795579802758,"i":"TAGS\u0001A\u0002","k":false}})",
            "body"),
      Frame("{\"code\":11,\"extFields\":{\"queueId\":3,\"x\":{\"y\":[1,2,{}]}},\"remark\":\"\\ud83d\\ude00\"}\n"),
      EncodeFrame(SampleCommand(SerializeType::kRocketMQ)).substr(4),
      EncodeFrame(SampleCommand(SerializeType::kJson)).substr(4),
  };
  const char interesting[] = {'{', '}', '[', ']', '"', '\\', ':', ',', '0', '-', 'e', 'u', 'n', 't', '\0', '\xFF', '\x80', ' '};
  std::mt19937 rng(20240601);
  int accepted = 0;
  for (int iter = 0; iter < 6000; ++iter) {
    std::string f = seeds[iter % seeds.size()];
    int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations && !f.empty(); ++m) {
      size_t pos = rng() % f.size();
      switch (rng() % 6) {
        case 0: f[pos] = static_cast<char>(f[pos] ^ (1 << (rng() % 8))); break;
        case 1: f[pos] = interesting[rng() % sizeof(interesting)]; break;
        case 2: f.resize(pos); break;
        case 3: f.insert(pos, 1, interesting[rng() % sizeof(interesting)]); break;
        case 4: f.erase(pos, 1 + rng() % 8); break;
        case 5: f[pos] = static_cast<char>(rng()); break;
      }
    }
    RemotingCommand cmd;
    std::string_view body;
    Status st = DecodeHeader(f, &cmd, &body);
    if (!st.ok()) {
      EXPECT_EQ(st.code(), Status::Code::kCorruption);
      continue;
    }
    ++accepted;
    ASSERT_GE(body.data(), f.data());
    ASSERT_LE(body.data() + body.size(), f.data() + f.size());
    cmd.body.assign(body);
    if (cmd.remark && cmd.remark->empty()) cmd.remark.reset();  // encoders omit empty remarks
    if (cmd.serialize_type == SerializeType::kRocketMQ) {
      // The binary form holds code/version as int16; compare what it can carry.
      cmd.code = static_cast<int16_t>(cmd.code);
      cmd.version = static_cast<int16_t>(cmd.version);
    }
    auto again = DecodeFrame(std::string_view(EncodeFrame(cmd)).substr(4));
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    ExpectSameCommand(*again, cmd);
  }
  // Sanity: the mutations are not so destructive that nothing is ever accepted.
  EXPECT_GT(accepted, 100);
}

TEST(ProtocolFrameFuzzTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string f(rng() % 64, '\0');
    for (auto& c : f) c = static_cast<char>(rng());
    if (f.size() >= 4 && iter % 2 == 0) {
      // Make the header length plausible so the header decoders get exercised.
      uint32_t hl = static_cast<uint32_t>(f.size() - 4 - rng() % (f.size() - 3));
      detail::PutBE32(f.data(), (uint32_t{static_cast<uint8_t>(iter % 3 == 0)} << 24) | hl);
    }
    RemotingCommand cmd;
    std::string_view body;
    (void)DecodeHeader(f, &cmd, &body);
  }
}

}  // namespace
}  // namespace sprocket::protocol
