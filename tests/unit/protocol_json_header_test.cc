// JSON RemotingCommand headers (PROTOCOL.md §1.2): fastjson output byte for byte, and a
// decoder that copes with Java, cpp and ali-ons headers and rejects garbage cleanly.
#include <gtest/gtest.h>

#include <string>

#include "protocol/byte_order.h"
#include "sprocket/protocol/remoting_command.h"

namespace sprocket::protocol {
namespace {

// Public captures of Java 4.9.x headers (PROTOCOL.md §1.2).
constexpr std::string_view kJavaRequest =
    R"({"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":0,"serializeTypeCurrentRPC":"JSON","version":453})";
constexpr std::string_view kJavaResponse =
    R"({"code":0,"flag":1,"language":"JAVA","opaque":0,"serializeTypeCurrentRPC":"JSON","version":403})";

// A frame without its length prefix, as transports hand it over.
std::string Frame(std::string_view header, std::string_view body = {}, uint8_t type = 0) {
  std::string f(4, '\0');
  detail::PutBE32(f.data(), (uint32_t{type} << 24) | static_cast<uint32_t>(header.size()));
  f.append(header);
  f.append(body);
  return f;
}

Result<RemotingCommand> DecodeJson(std::string_view header) { return DecodeFrame(Frame(header)); }

TEST(ProtocolJsonHeaderTest, DecodesJavaRequestCapture) {
  auto r = DecodeJson(kJavaRequest);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->code, 105);
  EXPECT_EQ(r->flag, 0);
  EXPECT_EQ(r->language, LanguageCode::kJava);
  EXPECT_EQ(r->opaque, 0);
  EXPECT_EQ(r->version, 453);
  EXPECT_EQ(r->serialize_type, SerializeType::kJson);
  EXPECT_FALSE(r->remark.has_value());
  ASSERT_EQ(r->ext.size(), 1u);
  EXPECT_EQ(r->ext.Get("topic"), "T");
  EXPECT_FALSE(r->IsResponse());
  EXPECT_TRUE(r->body.empty());
}

TEST(ProtocolJsonHeaderTest, DecodesJavaResponseCapture) {
  auto r = DecodeJson(kJavaResponse);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->code, 0);
  EXPECT_EQ(r->flag, 1);
  EXPECT_TRUE(r->IsResponse());
  EXPECT_FALSE(r->IsOneway());
  EXPECT_EQ(r->version, 403);
  EXPECT_TRUE(r->ext.empty());
}

TEST(ProtocolJsonHeaderTest, EncodesResponseExactlyLikeFastjson) {
  RemotingCommand request = RemotingCommand::Request(105);
  request.opaque = 0;
  RemotingCommand response = RemotingCommand::ResponseTo(request, 0);
  response.version = 403;
  EXPECT_EQ(EncodeJsonHeader(response), kJavaResponse);
}

TEST(ProtocolJsonHeaderTest, EncodesRequestExactlyLikeFastjson) {
  RemotingCommand request = RemotingCommand::Request(105);
  request.version = 453;
  request.ext.Set("topic", "T");
  EXPECT_EQ(EncodeJsonHeader(request), kJavaRequest);
}

TEST(ProtocolJsonHeaderTest, EncodesRemarkAndEscapesStrings) {
  RemotingCommand cmd = RemotingCommand::Request(1);
  cmd.version = 409;
  cmd.opaque = -5;
  cmd.remark = "say \"hi\"\\\n\t\x01 é";
  cmd.ext.Set("i", "TAGS\x01TagA\x02");
  cmd.ext.Set("queueId", int64_t{3});
  cmd.ext.SetBool("k", false);
  const std::string expected =
      "{\"code\":1,\"extFields\":{\"i\":\"TAGS\\u0001TagA\\u0002\",\"queueId\":\"3\",\"k\":\"false\"},"
      "\"flag\":0,\"language\":\"JAVA\",\"opaque\":-5,\"remark\":\"say \\\"hi\\\"\\\\\\n\\t\\u0001 é\","
      "\"serializeTypeCurrentRPC\":\"JSON\",\"version\":409}";
  EXPECT_EQ(EncodeJsonHeader(cmd), expected);

  auto back = DecodeJson(expected);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->remark.value_or(""), *cmd.remark);
  EXPECT_EQ(back->ext.items(), cmd.ext.items());
  EXPECT_EQ(back->opaque, -5);
}

TEST(ProtocolJsonHeaderTest, OmitsEmptyRemarkAndExtFields) {
  RemotingCommand cmd = RemotingCommand::Request(34);
  cmd.remark = "";
  std::string h = EncodeJsonHeader(cmd);
  EXPECT_EQ(h.find("remark"), std::string::npos);
  EXPECT_EQ(h.find("extFields"), std::string::npos);
}

TEST(ProtocolJsonHeaderTest, AcceptsAnyKeyOrderAndSkipsUnknownKeys) {
  auto r = DecodeJson(
      R"({"version":7,"unknown":{"a":[1,{"b":"}]\""}],"c":null,"d":{}},"code":5,"arr":[[],{},-1.5e-3,true],)"
      R"("extFields":{"x":"y"},"flag":3,"opaque":-7,"language":"CPP","serializeTypeCurrentRPC":"ROCKETMQ","z":false})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version, 7);
  EXPECT_EQ(r->code, 5);
  EXPECT_EQ(r->flag, 3);
  EXPECT_TRUE(r->IsOneway());
  EXPECT_EQ(r->opaque, -7);
  EXPECT_EQ(r->language, LanguageCode::kCpp);
  EXPECT_EQ(r->ext.Get("x"), "y");
  // serializeTypeCurrentRPC is informational; the type byte decides.
  EXPECT_EQ(r->serialize_type, SerializeType::kJson);
}

TEST(ProtocolJsonHeaderTest, CoercesTypedExtFieldsLikeFastjson) {
  // ali-ons and the cpp client send numbers and booleans inside extFields.
  auto r = DecodeJson(
      R"({"code":310,"language":"JAVA","opaque":2,"flag":0,"version":121,"extFields":{"a":"G","d":4,"e":-3,)"
      R"("g":1795579802758,"k":false,"t":true,"n":null,"f":-1.5e3,"big":12345678901234567890,"o":{"p":[1, 2]},"l":[]}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ext.Get("a"), "G");
  EXPECT_EQ(r->ext.Get("d"), "4");
  EXPECT_EQ(r->ext.Get("e"), "-3");
  EXPECT_EQ(r->ext.Get("g"), "1795579802758");
  EXPECT_EQ(r->ext.Get("k"), "false");
  EXPECT_EQ(r->ext.Get("t"), "true");
  EXPECT_FALSE(r->ext.Has("n"));  // null entries are dropped, as fastjson's map would hold null
  EXPECT_EQ(r->ext.Get("f"), "-1.5e3");
  EXPECT_EQ(r->ext.Get("big"), "12345678901234567890");
  EXPECT_EQ(r->ext.Get("o"), R"({"p":[1, 2]})");
  EXPECT_EQ(r->ext.Get("l"), "[]");
  EXPECT_EQ(r->ext.GetInt("g"), 1795579802758);
  EXPECT_EQ(r->ext.GetBool("k"), false);
}

TEST(ProtocolJsonHeaderTest, AcceptsLanguageAsNameOrOrdinal) {
  struct Case {
    const char* json;
    LanguageCode want;
  } cases[] = {
      {R"({"code":1,"language":"GO"})", LanguageCode::kGo},
      {R"({"code":1,"language":"RUST"})", LanguageCode::kRust},
      {R"({"code":1,"language":1})", LanguageCode::kCpp},
      {R"({"code":1,"language":12})", LanguageCode::kRust},
      {R"({"code":1,"language":99})", LanguageCode::kOther},
      {R"({"code":1,"language":"NODE"})", LanguageCode::kOther},
      {R"({"code":1,"language":null})", LanguageCode::kJava},
  };
  for (const auto& c : cases) {
    auto r = DecodeJson(c.json);
    ASSERT_TRUE(r.ok()) << c.json << ": " << r.status().ToString();
    EXPECT_EQ(r->language, c.want) << c.json;
  }
  EXPECT_FALSE(DecodeJson(R"({"code":1,"language":{}})").ok());
  EXPECT_FALSE(DecodeJson(R"({"code":1,"language":true})").ok());
}

TEST(ProtocolJsonHeaderTest, DecodesUnicodeEscapes) {
  auto r = DecodeJson(
      R"({"code":1,"remark":"caf\u00e9 \u4e2d \ud83d\ude00 \ud83d x\/\"","extFields":{"\u006b":"\u0001v\u0002"}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // é = C3 A9, 中 = E4 B8 AD, 😀 = F0 9F 98 80; a lone surrogate becomes '?' (Java getBytes).
  EXPECT_EQ(*r->remark, "caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 ? x/\"");
  EXPECT_EQ(r->ext.Get("k"), "\x01v\x02");
  // An escaped top-level key still names the field.
  auto k = DecodeJson(R"({"\u0063ode":77})");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->code, 77);
}

TEST(ProtocolJsonHeaderTest, RawUtf8PassesThrough) {
  auto r = DecodeJson("{\"code\":1,\"remark\":\"\xE4\xB8\xAD\xF0\x9F\x98\x80\"}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->remark, "\xE4\xB8\xAD\xF0\x9F\x98\x80");
}

TEST(ProtocolJsonHeaderTest, AcceptsTrailingWhitespaceFromCppFastWriter) {
  const std::string cpp =
      R"({"code":11,"extFields":{"AccessKey":"","OnsChannel":"ALIYUN","Signature":"","maxMsgNums":32,"queueId":3,"sysFlag":0},)"
      R"("flag":0,"language":"CPP","opaque":1,"remark":"","serializeTypeCurrentRPC":"JSON","version":333})"
      "\n";
  auto r = DecodeJson(cpp);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->language, LanguageCode::kCpp);
  EXPECT_EQ(r->version, 333);
  EXPECT_EQ(r->ext.Get("AccessKey", "absent"), "");
  EXPECT_EQ(r->ext.Get("queueId"), "3");
  EXPECT_EQ(r->ext.Get("maxMsgNums"), "32");
  EXPECT_TRUE(DecodeJson(" \t{\"code\":1} \r\n\t ").ok());
  EXPECT_FALSE(DecodeJson("{\"code\":1}x").ok());
  EXPECT_FALSE(DecodeJson("{\"code\":1}{}").ok());
}

TEST(ProtocolJsonHeaderTest, MissingFieldsGetJavaDefaults) {
  auto r = DecodeJson("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, 0);
  EXPECT_EQ(r->version, 0);
  EXPECT_EQ(r->language, LanguageCode::kJava);
  EXPECT_TRUE(r->ext.empty());
  auto n = DecodeJson(R"({"code":3,"extFields":null,"remark":null})");
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->ext.empty());
  EXPECT_FALSE(n->remark.has_value());
}

TEST(ProtocolJsonHeaderTest, RejectsWrongTypesForIntegerFields) {
  const char* bad[] = {
      R"({"code":"105"})",     R"({"code":1.5})",        R"({"code":1e2})",
      R"({"opaque":true})",    R"({"flag":null})",       R"({"version":[409]})",
      R"({"code":2147483648})", R"({"code":-2147483649})", R"({"opaque":{"a":1}})",
      R"({"extFields":[]})",   R"({"extFields":"a=b"})", R"({"remark":{}})",
  };
  for (const char* h : bad) {
    auto r = DecodeJson(h);
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << h;
  }
  auto edge = DecodeJson(R"({"code":2147483647,"opaque":-2147483648})");
  ASSERT_TRUE(edge.ok());
  EXPECT_EQ(edge->code, 2147483647);
  EXPECT_EQ(edge->opaque, INT32_MIN);
}

TEST(ProtocolJsonHeaderTest, RejectsMalformedJson) {
  const char* bad[] = {
      "",
      "   ",
      "[]",
      "null",
      "{",
      "{\"code\":1",
      "{\"code\":1,}",
      "{\"code\" 1}",
      "{code:1}",
      "{\"code\":}",
      "{\"code\":1,\"remark\":\"abc",
      "{\"code\":1,\"remark\":\"abc\\",
      "{\"code\":1,\"remark\":\"\\x\"}",
      "{\"code\":1,\"remark\":\"\\u12\"}",
      "{\"code\":1,\"remark\":\"\\uZZZZ\"}",
      "{\"code\":1,\"extFields\":{\"a\":\"b\"}",
      "{\"code\":1,\"extFields\":{\"a\"}}",
      "{\"code\":1,\"extFields\":{\"a\":tru}}",
      "{\"code\":1,\"x\":[1,2}",
      "{\"code\":1,\"x\":{\"a\":1]}",
      "{\"code\":1,\"x\":-}",
      "{\"code\":1,\"x\":1.}",
      "{\"code\":1,\"x\":nul}",
      "{\"code\":1,\"x\":'a'}",
  };
  for (const char* h : bad) {
    auto r = DecodeJson(h);
    ASSERT_FALSE(r.ok()) << "accepted: " << h;
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << h;
  }
}

TEST(ProtocolJsonHeaderTest, BoundsNestingOfSkippedValues) {
  auto nested = [](int depth) {
    return "{\"code\":9,\"deep\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  auto ok = DecodeJson(nested(60));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->code, 9);
  EXPECT_FALSE(DecodeJson(nested(65)).ok());
  // Far deeper than any stack could recurse: must fail fast, not crash.
  EXPECT_FALSE(DecodeJson(nested(1'000'000)).ok());
  std::string objects = "{\"code\":9,\"deep\":";
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_FALSE(DecodeJson(objects).ok());
}

}  // namespace
}  // namespace sprocket::protocol
