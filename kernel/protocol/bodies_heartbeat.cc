// Client bodies (PROTOCOL.md §3.4): HeartbeatData, tag subscriptions, consumer id lists.
//
// Three dialects arrive here: Java (enum names, numbers as numbers), the cpp client (enum
// ordinals, subVersion as a string, no classFilterMode/expressionType/unitMode, pretty
// printed) and ali-ons (names, no expressionType for tag subscriptions).
#include <iterator>

#include "protocol/bodies_json.h"
#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/message.h"

namespace sprocket::protocol {

namespace {

using detail::FieldReader;
using detail::JsonWriter;

constexpr const char* kConsumeTypeNames[] = {"CONSUME_ACTIVELY", "CONSUME_PASSIVELY"};
constexpr const char* kMessageModelNames[] = {"BROADCASTING", "CLUSTERING"};
constexpr const char* kConsumeFromWhereNames[] = {
    "CONSUME_FROM_LAST_OFFSET", "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
    "CONSUME_FROM_MIN_OFFSET",  "CONSUME_FROM_MAX_OFFSET",
    "CONSUME_FROM_FIRST_OFFSET", "CONSUME_FROM_TIMESTAMP"};

// Java's String.trim: strips every char <= ' ' at both ends.
std::string_view JavaTrim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

void WriteSubscription(JsonWriter& w, const SubscriptionData& s) {
  w.BeginObject();
  w.Key("classFilterMode");
  w.Bool(s.class_filter_mode);
  w.Key("codeSet");
  w.BeginArray();
  for (int32_t c : s.code_set) w.Int(c);
  w.EndArray();
  w.Key("expressionType");
  w.String(s.expression_type);
  w.Key("subString");
  w.String(s.sub_string);
  w.Key("subVersion");
  w.Int(s.sub_version);
  w.Key("tagsSet");
  w.StringArray(s.tags_set);
  w.Key("topic");
  w.String(s.topic);
  w.EndObject();
}

Status ReadSubscription(const nlohmann::json& j, SubscriptionData* s) {
  FieldReader r(j, "subscriptionData");
  s->topic = r.Str("topic");
  s->sub_string = r.Str("subString", "*");
  s->sub_version = r.Int("subVersion");
  // Absent (ali-ons, cpp) or null means TAG.
  s->expression_type = r.Str("expressionType", "TAG");
  if (s->expression_type.empty()) s->expression_type = "TAG";
  s->class_filter_mode = r.Bool("classFilterMode");
  if (const nlohmann::json* tags = r.Array("tagsSet")) {
    for (const auto& t : *tags) {
      std::string v;
      if (!detail::CoerceString(t, &v)) return Status::Corruption("subscriptionData: tagsSet entry is not a string");
      s->tags_set.push_back(std::move(v));
    }
  }
  if (const nlohmann::json* codes = r.Array("codeSet")) {
    for (const auto& c : *codes) {
      int64_t v = 0;
      if (!detail::CoerceInt(c, &v)) return Status::Corruption("subscriptionData: codeSet entry is not an integer");
      s->code_set.push_back(static_cast<int32_t>(v));
    }
  }
  return r.status();
}

Status ReadConsumer(const nlohmann::json& j, ConsumerData* c) {
  FieldReader r(j, "consumerData");
  c->group_name = r.Str("groupName");
  // ConsumeType's Java names are CONSUME_ACTIVELY/CONSUME_PASSIVELY; "PULL"/"PUSH" are
  // its display strings, which some clients send instead.
  c->consume_type = static_cast<ConsumeType>(
      r.Enum("consumeType", {kConsumeTypeNames[0], kConsumeTypeNames[1]}, 1, {{"PULL", 0}, {"PUSH", 1}}));
  c->message_model = static_cast<MessageModel>(
      r.Enum("messageModel", {kMessageModelNames[0], kMessageModelNames[1]}, 1));
  c->consume_from_where = static_cast<ConsumeFromWhere>(r.Enum(
      "consumeFromWhere",
      {kConsumeFromWhereNames[0], kConsumeFromWhereNames[1], kConsumeFromWhereNames[2],
       kConsumeFromWhereNames[3], kConsumeFromWhereNames[4], kConsumeFromWhereNames[5]},
      0));
  c->unit_mode = r.Bool("unitMode");
  if (const nlohmann::json* subs = r.Array("subscriptionDataSet")) {
    for (const auto& sj : *subs) {
      SubscriptionData s;
      if (Status st = ReadSubscription(sj, &s); !st.ok()) return st;
      c->subscription_data_set.push_back(std::move(s));
    }
  }
  return r.status();
}

}  // namespace

const char* ConsumeTypeName(ConsumeType v) { return kConsumeTypeNames[static_cast<size_t>(v) & 1]; }
const char* MessageModelName(MessageModel v) { return kMessageModelNames[static_cast<size_t>(v) & 1]; }
const char* ConsumeFromWhereName(ConsumeFromWhere v) {
  auto i = static_cast<size_t>(v);
  return i < std::size(kConsumeFromWhereNames) ? kConsumeFromWhereNames[i] : kConsumeFromWhereNames[0];
}

SubscriptionData BuildTagSubscription(std::string topic, std::string_view expression, int64_t sub_version) {
  SubscriptionData s;  // defaults: sub_string "*", expression_type "TAG", empty sets
  s.topic = std::move(topic);
  s.sub_version = sub_version;
  if (expression.empty() || expression == "*") return s;
  s.sub_string = std::string(expression);
  // FilterAPI: split on "||", trim each piece, skip empty ones. The Java sets drop
  // duplicates; first occurrence order is kept here.
  size_t pos = 0;
  while (pos <= expression.size()) {
    size_t next = expression.find("||", pos);
    if (next == std::string_view::npos) next = expression.size();
    std::string_view tag = JavaTrim(expression.substr(pos, next - pos));
    if (!tag.empty()) {
      bool seen = false;
      for (const auto& t : s.tags_set) seen = seen || t == tag;
      if (!seen) {
        s.tags_set.emplace_back(tag);
        int32_t code = JavaStringHash(tag);
        bool code_seen = false;
        for (int32_t c : s.code_set) code_seen = code_seen || c == code;
        if (!code_seen) s.code_set.push_back(code);
      }
    }
    pos = next + 2;
  }
  return s;
}

std::string EncodeHeartbeatData(const HeartbeatData& hb) {
  std::string out;
  out.reserve(256);
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("clientID");
  w.String(hb.client_id);
  w.Key("consumerDataSet");
  w.BeginArray();
  for (const auto& c : hb.consumer_data_set) {
    w.BeginObject();
    w.Key("consumeFromWhere");
    w.String(ConsumeFromWhereName(c.consume_from_where));
    w.Key("consumeType");
    w.String(ConsumeTypeName(c.consume_type));
    w.Key("groupName");
    w.String(c.group_name);
    w.Key("messageModel");
    w.String(MessageModelName(c.message_model));
    w.Key("subscriptionDataSet");
    w.BeginArray();
    for (const auto& s : c.subscription_data_set) WriteSubscription(w, s);
    w.EndArray();
    w.Key("unitMode");
    w.Bool(c.unit_mode);
    w.EndObject();
  }
  w.EndArray();
  w.Key("producerDataSet");
  w.BeginArray();
  for (const auto& g : hb.producer_groups) {
    w.BeginObject();
    w.Key("groupName");
    w.String(g);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

Result<HeartbeatData> DecodeHeartbeatData(std::string_view json) {
  auto parsed = detail::ParseLenientJson(json, "HeartbeatData");
  if (!parsed.ok()) return parsed.status();
  FieldReader r(parsed.value(), "HeartbeatData");
  HeartbeatData hb;
  hb.client_id = r.Str("clientID");
  if (const nlohmann::json* producers = r.Array("producerDataSet")) {
    for (const auto& pj : *producers) {
      FieldReader p(pj, "producerData");
      std::string group = p.Str("groupName");
      if (!p.ok()) return p.status();
      hb.producer_groups.push_back(std::move(group));
    }
  }
  if (const nlohmann::json* consumers = r.Array("consumerDataSet")) {
    for (const auto& cj : *consumers) {
      ConsumerData c;
      if (Status st = ReadConsumer(cj, &c); !st.ok()) return st;
      hb.consumer_data_set.push_back(std::move(c));
    }
  }
  if (!r.ok()) return r.status();
  return hb;
}

std::string EncodeConsumerIdList(const std::vector<std::string>& ids) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("consumerIdList");
  w.StringArray(ids);
  w.EndObject();
  return out;
}

Result<std::vector<std::string>> DecodeConsumerIdList(std::string_view json) {
  return detail::DecodeStringListBody(json, "ConsumerListByGroupResponseBody", "consumerIdList");
}

}  // namespace sprocket::protocol
