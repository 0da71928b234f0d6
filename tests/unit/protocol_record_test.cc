// Stored-message records (PROTOCOL.md §5.1) and the properties string (§5.2).
#include <gtest/gtest.h>

#include <string>

#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"

namespace sprocket::protocol {
namespace {

// Test-side byte builder, deliberately independent of the codec's own helpers.
struct Bytes {
  std::string s;
  Bytes& u8(uint8_t v) {
    s.push_back(static_cast<char>(v));
    return *this;
  }
  Bytes& be(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    return *this;
  }
  Bytes& raw(std::string_view v) {
    s.append(v);
    return *this;
  }
};

HostAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int32_t port) {
  HostAddress h;
  h.ip[0] = a, h.ip[1] = b, h.ip[2] = c, h.ip[3] = d;
  h.port = port;
  return h;
}

HostAddress Parse(std::string_view s) {
  auto r = HostAddress::Parse(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? r.value() : HostAddress();
}

RecordInput SampleInput() {
  RecordInput in;
  in.queue_id = 3;
  in.flag = 7;
  in.sys_flag = MessageSysFlag::kMultiTags;
  in.born_timestamp = 0x0102030405060708;
  in.born_host = V4(10, 0, 0, 2, 5555);
  in.store_host = V4(10, 0, 0, 1, 10911);
  in.reconsume_times = 2;
  in.prepared_transaction_offset = 77;
  in.body = "hello";
  in.topic = "T";
  in.properties = "TAGS\x01TagA";
  return in;
}

TEST(ProtocolRecordTest, EncodesByteExact) {
  std::string out = "xx";  // EncodeRecord appends
  auto layout = EncodeRecord(SampleInput(), &out);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();

  const uint32_t crc = static_cast<uint32_t>(BodyCrc("hello"));
  Bytes want;
  const size_t total = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + 5 + 1 + 1 + 2 + 9;
  want.be(total, 4)
      .be(0xDAA320A7, 4)
      .be(crc, 4)
      .be(3, 4)                   // queue id
      .be(7, 4)                   // flag
      .be(0, 8)                   // queue offset (store's)
      .be(0, 8)                   // physical offset (store's)
      .be(2, 4)                   // sysflag
      .be(0x0102030405060708, 8)  // born timestamp
      .u8(10).u8(0).u8(0).u8(2).be(5555, 4)
      .be(0, 8)                   // store timestamp (store's)
      .u8(10).u8(0).u8(0).u8(1).be(10911, 4)
      .be(2, 4)                   // reconsume times
      .be(77, 8)                  // prepared transaction offset
      .be(5, 4).raw("hello")
      .u8(1).raw("T")
      .be(9, 2).raw("TAGS\x01TagA");
  ASSERT_EQ(want.s.size(), total);
  EXPECT_EQ(out.substr(2), want.s);
  EXPECT_EQ(layout->size, total);
  EXPECT_EQ(layout->store_timestamp_field, 56u);  // relative to the record's first byte
}

TEST(ProtocolRecordTest, DecodesWhatItEncodes) {
  std::string rec;
  ASSERT_TRUE(EncodeRecord(SampleInput(), &rec).ok());
  // Fill in what a store would: queue offset, physical offset, store timestamp.
  auto patch = [&](size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) rec[at + i] = static_cast<char>(v >> (56 - 8 * i));
  };
  patch(20, 42);
  patch(28, 1ull << 33);
  patch(56, 1700000000123);

  size_t consumed = 0;
  auto m = DecodeRecord(rec, &consumed, /*verify_crc=*/true);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(consumed, rec.size());
  EXPECT_EQ(m->store_size, static_cast<int32_t>(rec.size()));
  EXPECT_EQ(m->body_crc, BodyCrc("hello"));
  EXPECT_EQ(m->queue_id, 3);
  EXPECT_EQ(m->flag, 7);
  EXPECT_EQ(m->queue_offset, 42);
  EXPECT_EQ(m->commit_log_offset, int64_t{1} << 33);
  EXPECT_EQ(m->sys_flag, MessageSysFlag::kMultiTags);
  EXPECT_EQ(m->born_timestamp, 0x0102030405060708);
  EXPECT_EQ(m->born_host.ToString(), "10.0.0.2:5555");
  EXPECT_EQ(m->store_timestamp, 1700000000123);
  EXPECT_EQ(m->store_host.ToString(), "10.0.0.1:10911");
  EXPECT_EQ(m->reconsume_times, 2);
  EXPECT_EQ(m->prepared_transaction_offset, 77);
  EXPECT_EQ(m->body, "hello");
  EXPECT_EQ(m->topic, "T");
  EXPECT_EQ(m->Tags(), "TagA");
  EXPECT_EQ(m->OffsetMsgId(), "0A00000100002A9F0000000200000000");
  EXPECT_EQ(m->MsgId(), m->OffsetMsgId());
}

TEST(ProtocolRecordTest, Ipv6HostsSetTheirFlags) {
  RecordInput in = SampleInput();
  in.born_host = Parse("[2001:db8::1]:1234");
  in.store_host = Parse("[::1]:10911");
  std::string rec;
  auto layout = EncodeRecord(in, &rec);
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->size, 106u + 24u);
  EXPECT_EQ(layout->store_timestamp_field, 48u + 20u);
  size_t consumed = 0;
  auto m = DecodeRecord(rec, &consumed);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->sys_flag, MessageSysFlag::kMultiTags | MessageSysFlag::kBornHostV6 | MessageSysFlag::kStoreHostV6);
  EXPECT_EQ(m->born_host.ToString(), "[2001:db8::1]:1234");
  EXPECT_EQ(m->store_host.ToString(), "[::1]:10911");
  EXPECT_EQ(m->OffsetMsgId().size(), 56u);

  // V6 bits claimed for IPv4 hosts are cleared: the flags always describe the bytes.
  RecordInput v4 = SampleInput();
  v4.sys_flag = MessageSysFlag::kBornHostV6 | MessageSysFlag::kStoreHostV6 | MessageSysFlag::kCompressed;
  std::string r4;
  ASSERT_TRUE(EncodeRecord(v4, &r4).ok());
  auto d4 = DecodeRecord(r4, &consumed);
  ASSERT_TRUE(d4.ok());
  EXPECT_EQ(d4->sys_flag, MessageSysFlag::kCompressed);
}

TEST(ProtocolRecordTest, EnforcesLengthFields) {
  RecordInput in = SampleInput();
  std::string topic(127, 't');
  in.topic = topic;
  std::string out;
  EXPECT_TRUE(EncodeRecord(in, &out).ok());
  std::string long_topic(128, 't');
  in.topic = long_topic;
  out.clear();
  auto r = EncodeRecord(in, &out);
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  in.topic = "T";
  std::string props(32768, 'p');
  in.properties = props;
  EXPECT_EQ(EncodeRecord(in, &out).status().code(), Status::Code::kInvalidArgument);
  props.resize(32767);
  in.properties = props;
  EXPECT_TRUE(EncodeRecord(in, &out).ok());
}

TEST(ProtocolRecordTest, RejectsInconsistentRecords) {
  std::string good;
  ASSERT_TRUE(EncodeRecord(SampleInput(), &good).ok());
  size_t consumed = 0;
  auto corrupt = [&](std::string rec) {
    auto r = DecodeRecord(rec, &consumed);
    return !r.ok() && r.status().code() == Status::Code::kCorruption;
  };
  auto set32 = [](std::string s, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (24 - 8 * i));
    return s;
  };
  EXPECT_TRUE(corrupt(""));
  EXPECT_TRUE(corrupt(good.substr(0, 7)));
  EXPECT_TRUE(corrupt(good.substr(0, good.size() - 1)));             // TOTALSIZE > available
  EXPECT_TRUE(corrupt(set32(good, 4, 0x12345678)));                   // magic
  EXPECT_TRUE(corrupt(set32(good, 4, 0xCBD43194)));                   // blank marker
  EXPECT_TRUE(corrupt(set32(good, 0, 20)));                           // too small
  EXPECT_TRUE(corrupt(set32(good, 0, 0x80000000)));                   // negative
  EXPECT_TRUE(corrupt(set32(good, 36, MessageSysFlag::kBornHostV6)));  // hosts no longer fit
  const size_t body_len_at = 48 + 8 + 8 + 8 + 4 + 8;
  EXPECT_TRUE(corrupt(set32(good, body_len_at, 1000)));
  EXPECT_TRUE(corrupt(set32(good, body_len_at, 0xFFFFFFFF)));
  std::string neg_topic = good;
  neg_topic[body_len_at + 4 + 5] = static_cast<char>(0x80);
  EXPECT_TRUE(corrupt(neg_topic));
  std::string short_props = good;
  short_props[short_props.size() - 9 - 1] = 8;  // PROPLEN no longer ends the record
  EXPECT_TRUE(corrupt(short_props));

  // BODYCRC is only checked when asked.
  std::string bad_crc = set32(good, 8, 1);
  EXPECT_TRUE(DecodeRecord(bad_crc, &consumed).ok());
  EXPECT_FALSE(DecodeRecord(bad_crc, &consumed, /*verify_crc=*/true).ok());
}

TEST(ProtocolRecordTest, DecodesRecordsBackToBack) {
  std::string body;
  RecordInput a = SampleInput();
  RecordInput b = SampleInput();
  b.topic = "Other";
  b.body = "";
  b.properties = "";
  b.store_host = Parse("[fe80::1]:10911");
  RecordInput c = SampleInput();
  std::string big(70000, 'z');
  c.body = big;
  for (const auto* in : {&a, &b, &c}) ASSERT_TRUE(EncodeRecord(*in, &body).ok());
  auto all = DecodeRecords(body);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].topic, "Other");
  EXPECT_TRUE((*all)[1].body.empty());
  EXPECT_TRUE((*all)[1].properties.items().empty());
  EXPECT_TRUE((*all)[1].store_host.v6);
  EXPECT_EQ((*all)[2].body.size(), 70000u);

  auto none = DecodeRecords("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(DecodeRecords(body + "junk").ok());
}

TEST(ProtocolRecordTest, BodyCrcIsMaskedZlibCrc32) {
  EXPECT_EQ(BodyCrc("123456789"), 0x4BF43926);  // crc32 check value 0xCBF43926, sign bit cleared
  EXPECT_EQ(BodyCrc(""), 0);
}

TEST(ProtocolPropertiesTest, DecodeAcceptsBothFormsAndDropsEmptyEntries) {
  auto with_trailer = MessageProperties::Decode("TAGS\x01TagA\x02WAIT\x01true\x02KEYS\x01" "ffff\x02");
  ASSERT_EQ(with_trailer.items().size(), 3u);
  EXPECT_EQ(with_trailer.Get("TAGS"), "TagA");
  EXPECT_EQ(with_trailer.Get("WAIT"), "true");
  EXPECT_EQ(with_trailer.Get("KEYS"), "ffff");

  auto without = MessageProperties::Decode("TAGS\x01TagA\x02KEYS\x01k1 k2");
  EXPECT_EQ(without.items().size(), 2u);
  EXPECT_EQ(without.Get("KEYS"), "k1 k2");

  auto odd = MessageProperties::Decode("\x01v\x02k\x01\x02noseparator\x02\x02" "a\x01\x01x\x02 \x01 \x02K\x01" "1\x02K\x01" "2");
  // "\x01v" empty key, "k\x01" empty value and "noseparator" are dropped; a value may hold
  // \x01; a repeated key keeps the last value.
  ASSERT_EQ(odd.items().size(), 3u);
  EXPECT_EQ(odd.Get("a"), "\x01x");
  EXPECT_EQ(odd.Get(" "), " ");
  EXPECT_EQ(odd.Get("K"), "2");
  EXPECT_TRUE(MessageProperties::Decode("").items().empty());
  EXPECT_TRUE(MessageProperties::Decode("\x02\x02").items().empty());
}

TEST(ProtocolPropertiesTest, EncodeHasNoTrailingSeparator) {
  MessageProperties p;
  p.Set(Prop::kTags, "TagA");
  p.Set(Prop::kKeys, "k1 k2");
  p.Set(Prop::kUniqKey, "ABC");
  p.Set(Prop::kTags, "TagB");  // replaces in place
  EXPECT_EQ(p.Encode(), "TAGS\x01TagB\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01" "ABC");
  EXPECT_TRUE(p.Erase(Prop::kKeys));
  EXPECT_FALSE(p.Erase(Prop::kKeys));
  EXPECT_EQ(p.Encode(), "TAGS\x01TagB\x02UNIQ_KEY\x01" "ABC");
  EXPECT_EQ(p.Get("missing", "dflt"), "dflt");
  EXPECT_EQ(MessageProperties().Encode(), "");
  auto back = MessageProperties::Decode(p.Encode());
  EXPECT_EQ(back.items(), p.items());
}

TEST(ProtocolRecordTest, MsgIdPrefersUniqKey) {
  MessageExt m;
  m.store_host = V4(10, 0, 0, 1, 10911);
  m.commit_log_offset = 0;
  EXPECT_EQ(m.MsgId(), "0A00000100002A9F0000000000000000");
  m.properties.Set(Prop::kUniqKey, "C0A8000100002A9F0000000000000001");
  EXPECT_EQ(m.MsgId(), "C0A8000100002A9F0000000000000001");
  EXPECT_EQ(m.OffsetMsgId(), "0A00000100002A9F0000000000000000");
}

}  // namespace
}  // namespace sprocket::protocol
