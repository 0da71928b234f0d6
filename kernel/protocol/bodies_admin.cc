// Admin bodies (bodies_admin.h): TopicStatsTable, ConsumeStats, ConsumerConnection,
// GroupList.
//
// The MessageQueue-keyed maps are not JSON (an object as a key), so neither nlohmann nor
// JsonScanner (which wants string keys) can walk them. MemberCursor below splits an object
// into (key token, value token) pairs by bracket matching alone, and each token is then
// parsed on its own with the lenient reader.
#include "sprocket/protocol/bodies_admin.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>

#include "protocol/bodies_json.h"
#include "protocol/json_text.h"
#include "sprocket/protocol/remoting_command.h"

namespace sprocket::protocol {

namespace {

using detail::AppendJsonInt;
using detail::AppendJsonString;
using detail::FieldReader;
using detail::ParseLenientJson;

constexpr int kMaxDepth = detail::kMaxBodyDepth;

bool IsWs(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Walks the members of one JSON-ish object whose keys may be strings, bare words or whole
// objects. Values are returned as raw text.
class MemberCursor {
 public:
  explicit MemberCursor(std::string_view text) : t_(text) {}

  // Positions after the opening '{'.
  bool Open() {
    SkipWs();
    if (p_ >= t_.size() || t_[p_] != '{') return false;
    ++p_;
    first_ = true;
    return true;
  }

  // Next member; false at the closing '}' (check ok() to tell the end from an error).
  bool Next(std::string_view* key, std::string_view* value) {
    SkipWs();
    if (p_ < t_.size() && t_[p_] == '}') {
      ++p_;
      done_ = true;
      return false;
    }
    if (!first_) {
      if (p_ >= t_.size() || t_[p_] != ',') return Fail();
      ++p_;
      SkipWs();
    }
    first_ = false;
    if (!Token(key)) return Fail();
    SkipWs();
    if (p_ >= t_.size() || t_[p_] != ':') return Fail();
    ++p_;
    if (!Token(value)) return Fail();
    return true;
  }

  bool ok() const { return !failed_ && done_; }

 private:
  void SkipWs() {
    while (p_ < t_.size() && IsWs(t_[p_])) ++p_;
  }
  bool Fail() {
    failed_ = true;
    return false;
  }
  // One value (or key): a string, a bracketed container, or a bare scalar.
  bool Token(std::string_view* out) {
    SkipWs();
    size_t start = p_;
    if (p_ >= t_.size()) return false;
    char c = t_[p_];
    if (c == '"') {
      if (!SkipString()) return false;
    } else if (c == '{' || c == '[') {
      int depth = 0;
      while (p_ < t_.size()) {
        char d = t_[p_];
        if (d == '"') {
          if (!SkipString()) return false;
          continue;
        }
        if (d == '{' || d == '[') {
          if (++depth > kMaxDepth) return false;
        } else if (d == '}' || d == ']') {
          if (--depth == 0) {
            ++p_;
            break;
          }
        }
        ++p_;
      }
      if (depth != 0) return false;
    } else {
      while (p_ < t_.size() && !IsWs(t_[p_]) && t_[p_] != ',' && t_[p_] != '}' && t_[p_] != ']' &&
             t_[p_] != ':') {
        ++p_;
      }
      if (p_ == start) return false;
    }
    *out = t_.substr(start, p_ - start);
    return true;
  }
  bool SkipString() {
    ++p_;  // opening quote
    while (p_ < t_.size()) {
      if (t_[p_] == '\\') {
        p_ += 2;
        continue;
      }
      if (t_[p_] == '"') {
        ++p_;
        return true;
      }
      ++p_;
    }
    return false;
  }

  std::string_view t_;
  size_t p_ = 0;
  bool first_ = true;
  bool done_ = false;
  bool failed_ = false;
};

// A plain member name: a quoted string (unescaped) or a bare word.
bool MemberName(std::string_view token, std::string* out) {
  if (token.size() >= 2 && token.front() == '"' && token.back() == '"') {
    out->clear();
    return detail::UnescapeJsonString(token.substr(1, token.size() - 2), out);
  }
  *out = std::string(token);
  return true;
}

// A MessageQueue key: the object itself (fastjson) or a string holding it.
Status ReadQueueKey(std::string_view token, MessageQueueKey* key) {
  std::string inner;
  if (!token.empty() && token.front() == '"') {
    if (!MemberName(token, &inner)) return Status::Corruption("messageQueue key: bad string");
    token = inner;
  }
  auto parsed = ParseLenientJson(token, "messageQueue key");
  if (!parsed.ok()) return parsed.status();
  FieldReader r(parsed.value(), "messageQueue key");
  key->topic = r.Str("topic");
  key->broker_name = r.Str("brokerName");
  key->queue_id = r.Int32("queueId");
  return r.status();
}

// Calls `on_entry` for each entry of the MessageQueue-keyed map `map_name` and `on_other`
// for every other top-level member of `body`.
Status WalkQueueMapBody(std::string_view body, std::string_view what, std::string_view map_name,
                        const std::function<Status(const MessageQueueKey&, const nlohmann::json&)>& on_entry,
                        const std::function<Status(const std::string&, const nlohmann::json&)>& on_other) {
  auto bad = [&](const std::string& why) { return Status::Corruption(std::string(what) + ": " + why); };
  MemberCursor top(body);
  if (!top.Open()) return bad("not an object");
  std::string_view key_tok, value_tok;
  std::string name;
  while (top.Next(&key_tok, &value_tok)) {
    if (!MemberName(key_tok, &name)) return bad("bad member name");
    if (name == map_name) {
      if (value_tok == "null") continue;
      MemberCursor entries(value_tok);
      if (!entries.Open()) return bad(std::string(map_name) + " is not an object");
      std::string_view k, v;
      while (entries.Next(&k, &v)) {
        MessageQueueKey mq;
        if (Status s = ReadQueueKey(k, &mq); !s.ok()) return bad(s.message());
        auto value = ParseLenientJson(v, what);
        if (!value.ok()) return value.status();
        if (Status s = on_entry(mq, value.value()); !s.ok()) return s;
      }
      if (!entries.ok()) return bad("malformed " + std::string(map_name));
    } else {
      auto value = ParseLenientJson(value_tok, what);
      if (!value.ok()) return value.status();
      if (Status s = on_other(name, value.value()); !s.ok()) return s;
    }
  }
  if (!top.ok()) return bad("malformed object");
  return Status::OK();
}

void AppendQueueKey(std::string* out, const MessageQueueKey& mq) {
  out->append("{\"brokerName\":");
  AppendJsonString(out, mq.broker_name);
  out->append(",\"queueId\":");
  AppendJsonInt(out, mq.queue_id);
  out->append(",\"topic\":");
  AppendJsonString(out, mq.topic);
  out->push_back('}');
}

// A double the way Java prints one for the values that occur here ("0.0", "12.5").
void AppendJsonDouble(std::string* out, double v) {
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
    out->append(buf);
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

void AppendSubscription(std::string* out, const SubscriptionData& s) {
  out->append("{\"classFilterMode\":");
  out->append(s.class_filter_mode ? "true" : "false");
  out->append(",\"codeSet\":[");
  for (size_t i = 0; i < s.code_set.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonInt(out, s.code_set[i]);
  }
  out->append("],\"expressionType\":");
  AppendJsonString(out, s.expression_type);
  out->append(",\"subString\":");
  AppendJsonString(out, s.sub_string);
  out->append(",\"subVersion\":");
  AppendJsonInt(out, s.sub_version);
  out->append(",\"tagsSet\":[");
  for (size_t i = 0; i < s.tags_set.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonString(out, s.tags_set[i]);
  }
  out->append("],\"topic\":");
  AppendJsonString(out, s.topic);
  out->push_back('}');
}

Status ReadSubscription(const nlohmann::json& j, SubscriptionData* s) {
  FieldReader r(j, "subscriptionData");
  s->topic = r.Str("topic");
  s->sub_string = r.Str("subString", "*");
  s->sub_version = r.Int("subVersion");
  s->expression_type = r.Str("expressionType", "TAG");
  if (s->expression_type.empty()) s->expression_type = "TAG";
  s->class_filter_mode = r.Bool("classFilterMode");
  if (const nlohmann::json* tags = r.Array("tagsSet")) {
    for (const auto& t : *tags) {
      std::string v;
      if (!detail::CoerceString(t, &v))
        return Status::Corruption("subscriptionData: tagsSet entry is not a string");
      s->tags_set.push_back(std::move(v));
    }
  }
  if (const nlohmann::json* codes = r.Array("codeSet")) {
    for (const auto& c : *codes) {
      int64_t v = 0;
      if (!detail::CoerceInt(c, &v))
        return Status::Corruption("subscriptionData: codeSet entry is not an integer");
      s->code_set.push_back(static_cast<int32_t>(v));
    }
  }
  return r.status();
}

}  // namespace

std::string EncodeTopicStatsTable(const TopicStatsTable& table) {
  std::string out;
  out.reserve(32 + 128 * table.offset_table.size());
  out.append("{\"offsetTable\":{");
  bool first = true;
  for (const auto& [mq, off] : table.offset_table) {
    if (!first) out.push_back(',');
    first = false;
    AppendQueueKey(&out, mq);
    out.append(":{\"lastUpdateTimestamp\":");
    AppendJsonInt(&out, off.last_update_timestamp);
    out.append(",\"maxOffset\":");
    AppendJsonInt(&out, off.max_offset);
    out.append(",\"minOffset\":");
    AppendJsonInt(&out, off.min_offset);
    out.push_back('}');
  }
  out.append("}}");
  return out;
}

Result<TopicStatsTable> DecodeTopicStatsTable(std::string_view json) {
  TopicStatsTable table;
  Status s = WalkQueueMapBody(
      json, "TopicStatsTable", "offsetTable",
      [&](const MessageQueueKey& mq, const nlohmann::json& v) {
        FieldReader r(v, "topicOffset");
        TopicOffset off;
        off.min_offset = r.Int("minOffset");
        off.max_offset = r.Int("maxOffset");
        off.last_update_timestamp = r.Int("lastUpdateTimestamp");
        if (!r.ok()) return r.status();
        table.offset_table[mq] = off;
        return Status::OK();
      },
      [](const std::string&, const nlohmann::json&) { return Status::OK(); });
  if (!s.ok()) return s;
  return table;
}

std::string EncodeConsumeStats(const ConsumeStats& stats) {
  std::string out;
  out.reserve(48 + 144 * stats.offset_table.size());
  out.append("{\"consumeTps\":");
  AppendJsonDouble(&out, stats.consume_tps);
  out.append(",\"offsetTable\":{");
  bool first = true;
  for (const auto& [mq, w] : stats.offset_table) {
    if (!first) out.push_back(',');
    first = false;
    AppendQueueKey(&out, mq);
    out.append(":{\"brokerOffset\":");
    AppendJsonInt(&out, w.broker_offset);
    if (!w.client_addr.empty()) {
      out.append(",\"clientAddr\":");
      AppendJsonString(&out, w.client_addr);
    }
    out.append(",\"consumerOffset\":");
    AppendJsonInt(&out, w.consumer_offset);
    out.append(",\"lastTimestamp\":");
    AppendJsonInt(&out, w.last_timestamp);
    out.push_back('}');
  }
  out.append("}}");
  return out;
}

Result<ConsumeStats> DecodeConsumeStats(std::string_view json) {
  ConsumeStats stats;
  Status s = WalkQueueMapBody(
      json, "ConsumeStats", "offsetTable",
      [&](const MessageQueueKey& mq, const nlohmann::json& v) {
        FieldReader r(v, "offsetWrapper");
        OffsetWrapper w;
        w.broker_offset = r.Int("brokerOffset");
        w.consumer_offset = r.Int("consumerOffset");
        w.last_timestamp = r.Int("lastTimestamp");
        w.client_addr = r.Str("clientAddr");
        if (!r.ok()) return r.status();
        stats.offset_table[mq] = std::move(w);
        return Status::OK();
      },
      [&](const std::string& name, const nlohmann::json& v) {
        if (name != "consumeTps" || v.is_null()) return Status::OK();
        if (v.is_number()) {
          stats.consume_tps = v.get<double>();
          return Status::OK();
        }
        if (v.is_string()) {
          const auto& text = v.get_ref<const std::string&>();
          char* end = nullptr;
          stats.consume_tps = std::strtod(text.c_str(), &end);
          if (end != text.c_str() + text.size()) return Status::Corruption("ConsumeStats: bad consumeTps");
          return Status::OK();
        }
        return Status::Corruption("ConsumeStats: consumeTps is not a number");
      });
  if (!s.ok()) return s;
  return stats;
}

std::string EncodeConsumerConnection(const ConsumerConnection& cc) {
  std::string out;
  out.reserve(256 + 160 * cc.connection_set.size() + 200 * cc.subscription_table.size());
  out.append("{\"connectionSet\":[");
  for (size_t i = 0; i < cc.connection_set.size(); ++i) {
    const Connection& c = cc.connection_set[i];
    if (i) out.push_back(',');
    out.append("{\"clientAddr\":");
    AppendJsonString(&out, c.client_addr);
    out.append(",\"clientId\":");
    AppendJsonString(&out, c.client_id);
    out.append(",\"language\":");
    AppendJsonString(&out, c.language);
    out.append(",\"version\":");
    AppendJsonInt(&out, c.version);
    out.push_back('}');
  }
  out.push_back(']');
  if (cc.consume_from_where) {
    out.append(",\"consumeFromWhere\":");
    AppendJsonString(&out, ConsumeFromWhereName(*cc.consume_from_where));
  }
  if (cc.consume_type) {
    out.append(",\"consumeType\":");
    AppendJsonString(&out, ConsumeTypeName(*cc.consume_type));
  }
  if (cc.message_model) {
    out.append(",\"messageModel\":");
    AppendJsonString(&out, MessageModelName(*cc.message_model));
  }
  out.append(",\"subscriptionTable\":{");
  bool first = true;
  for (const auto& [topic, sub] : cc.subscription_table) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(&out, topic);
    out.push_back(':');
    AppendSubscription(&out, sub);
  }
  out.append("}}");
  return out;
}

Result<ConsumerConnection> DecodeConsumerConnection(std::string_view json) {
  auto parsed = ParseLenientJson(json, "ConsumerConnection");
  if (!parsed.ok()) return parsed.status();
  FieldReader r(parsed.value(), "ConsumerConnection");
  ConsumerConnection cc;
  if (const nlohmann::json* set = r.Array("connectionSet")) {
    for (const auto& cj : *set) {
      FieldReader cr(cj, "connection");
      Connection c;
      c.client_id = cr.Str("clientId");
      c.client_addr = cr.Str("clientAddr");
      c.version = cr.Int32("version");
      // A name (Java) or a LanguageCode ordinal.
      if (const nlohmann::json* lang = cr.Get("language")) {
        int64_t ordinal = -1;
        if (lang->is_number() && detail::CoerceInt(*lang, &ordinal) && ordinal >= 0 &&
            ordinal <= static_cast<int64_t>(LanguageCode::kRust)) {
          c.language = LanguageName(static_cast<LanguageCode>(ordinal));
        } else {
          c.language = cr.Str("language");
        }
      }
      if (!cr.ok()) return cr.status();
      cc.connection_set.push_back(std::move(c));
    }
  }
  if (r.Get("consumeType")) {
    cc.consume_type =
        static_cast<ConsumeType>(r.Enum("consumeType", {"CONSUME_ACTIVELY", "CONSUME_PASSIVELY"}, 1));
  }
  if (r.Get("messageModel")) {
    cc.message_model = static_cast<MessageModel>(r.Enum("messageModel", {"BROADCASTING", "CLUSTERING"}, 1));
  }
  if (r.Get("consumeFromWhere")) {
    cc.consume_from_where = static_cast<ConsumeFromWhere>(
        r.Enum("consumeFromWhere",
               {"CONSUME_FROM_LAST_OFFSET", "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
                "CONSUME_FROM_MIN_OFFSET", "CONSUME_FROM_MAX_OFFSET", "CONSUME_FROM_FIRST_OFFSET",
                "CONSUME_FROM_TIMESTAMP"},
               0));
  }
  if (const nlohmann::json* table = r.Object("subscriptionTable")) {
    for (const auto& [topic, sj] : table->items()) {
      SubscriptionData sub;
      if (Status s = ReadSubscription(sj, &sub); !s.ok()) return s;
      if (sub.topic.empty()) sub.topic = topic;
      cc.subscription_table[topic] = std::move(sub);
    }
  }
  if (!r.ok()) return r.status();
  return cc;
}

std::string MQVersionName(int32_t ordinal) {
  // The enum (common/MQVersion.java) is regular after its first 16 entries: every
  // version X_Y_Z has a _SNAPSHOT entry and a release entry, for these (major, minor,
  // first patch, last patch) ranges, then HIGHER_VERSION.
  static const char* const kFirst[] = {
      "V3_0_0_SNAPSHOT", "V3_0_0_ALPHA1",         "V3_0_0_BETA1", "V3_0_0_BETA2",
      "V3_0_0_BETA3",    "V3_0_0_BETA4",          "V3_0_0_BETA5", "V3_0_0_BETA6_SNAPSHOT",
      "V3_0_0_BETA6",    "V3_0_0_BETA7_SNAPSHOT", "V3_0_0_BETA7", "V3_0_0_BETA8_SNAPSHOT",
      "V3_0_0_BETA8",    "V3_0_0_BETA9_SNAPSHOT", "V3_0_0_BETA9", "V3_0_0_FINAL"};
  struct Range {
    int major, minor, first, last;
  };
  static const Range kRanges[] = {{3, 0, 1, 15}, {3, 1, 0, 9}, {3, 2, 0, 9}, {3, 3, 1, 9}, {3, 4, 1, 9},
                                  {3, 5, 1, 9},  {3, 6, 1, 9}, {3, 7, 1, 9}, {3, 8, 1, 9}, {3, 9, 1, 9},
                                  {4, 0, 0, 9},  {4, 1, 0, 9}, {4, 2, 0, 9}, {4, 3, 0, 9}, {4, 4, 0, 9},
                                  {4, 5, 0, 9},  {4, 6, 0, 9}, {4, 7, 0, 9}, {4, 8, 0, 9}, {4, 9, 0, 9},
                                  {5, 0, 0, 9},  {5, 1, 0, 9}, {5, 2, 0, 9}, {5, 3, 0, 9}, {5, 4, 0, 9},
                                  {5, 5, 0, 9},  {5, 6, 0, 9}, {5, 7, 0, 9}, {5, 8, 0, 9}, {5, 9, 0, 9}};
  if (ordinal < 0) ordinal = 0;  // Java would throw; a name is more useful in a table
  if (ordinal < 16) return kFirst[ordinal];
  int32_t left = ordinal - 16;
  for (const Range& r : kRanges) {
    int32_t entries = (r.last - r.first + 1) * 2;
    if (left < entries) {
      std::string name = "V" + std::to_string(r.major) + "_" + std::to_string(r.minor) + "_" +
                         std::to_string(r.first + left / 2);
      if (left % 2 == 0) name += "_SNAPSHOT";
      return name;
    }
    left -= entries;
  }
  return "HIGHER_VERSION";
}

std::string EncodeGroupList(const std::set<std::string>& groups) {
  std::string out = "{\"groupList\":[";
  bool first = true;
  for (const auto& g : groups) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(&out, g);
  }
  out.append("]}");
  return out;
}

Result<std::set<std::string>> DecodeGroupList(std::string_view json) {
  auto groups = detail::DecodeStringListBody(json, "GroupList", "groupList");
  if (!groups.ok()) return groups.status();
  return std::set<std::string>(groups->begin(), groups->end());
}

}  // namespace sprocket::protocol
