// Topic bodies (PROTOCOL.md §3.8): TopicConfig tables as sent in REGISTER_BROKER (plain
// JSON or RocketMQ's zlib form) and persisted in topics.json, plus TopicList and KVTable.
#include <algorithm>
#include <charconv>
#include <vector>

#include "protocol/bodies_json.h"
#include "protocol/byte_order.h"
#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/message.h"

namespace sprocket::protocol {

namespace {

using detail::FieldReader;
using detail::JsonWriter;

void WriteDataVersion(JsonWriter& w, const DataVersion& v) {
  w.BeginObject();
  w.Key("counter");
  w.Int(v.counter);
  w.Key("timestamp");
  w.Int(v.timestamp);
  w.EndObject();
}

Status ReadDataVersion(const nlohmann::json& j, DataVersion* v) {
  FieldReader r(j, "dataVersion");
  v->timestamp = r.Int("timestamp");
  v->counter = r.Int("counter");
  return r.status();
}

void WriteTopicConfig(JsonWriter& w, const TopicConfig& t) {
  w.BeginObject();
  w.Key("order");
  w.Bool(t.order);
  w.Key("perm");
  w.Int(t.perm);
  w.Key("readQueueNums");
  w.Int(t.read_queue_nums);
  w.Key("topicFilterType");
  w.String(t.topic_filter_type);
  w.Key("topicName");
  w.String(t.topic_name);
  w.Key("topicSysFlag");
  w.Int(t.topic_sys_flag);
  w.Key("writeQueueNums");
  w.Int(t.write_queue_nums);
  w.EndObject();
}

Status ReadTopicConfig(const nlohmann::json& j, std::string_view table_key, TopicConfig* t) {
  FieldReader r(j, "topicConfig");
  t->topic_name = r.Str("topicName", std::string(table_key));
  t->read_queue_nums = r.Int32("readQueueNums", 16);
  t->write_queue_nums = r.Int32("writeQueueNums", 16);
  t->perm = r.Int32("perm", 6);
  t->topic_filter_type = r.Enum("topicFilterType", {"SINGLE_TAG", "MULTI_TAG"}, 0) == 0 ? "SINGLE_TAG" : "MULTI_TAG";
  t->topic_sys_flag = r.Int32("topicSysFlag");
  t->order = r.Bool("order");
  return r.status();
}

void WriteWrapper(JsonWriter& w, const std::map<std::string, TopicConfig>& table, const DataVersion& version) {
  w.BeginObject();
  w.Key("dataVersion");
  WriteDataVersion(w, version);
  w.Key("topicConfigTable");
  w.BeginObject();
  for (const auto& [name, config] : table) {
    w.Key(name);
    WriteTopicConfig(w, config);
  }
  w.EndObject();
  w.EndObject();
}

Status ReadWrapper(const nlohmann::json& j, std::map<std::string, TopicConfig>* table, DataVersion* version) {
  FieldReader r(j, "topicConfigSerializeWrapper");
  if (const nlohmann::json* dv = r.Object("dataVersion")) {
    if (Status st = ReadDataVersion(*dv, version); !st.ok()) return st;
  }
  if (const nlohmann::json* t = r.Object("topicConfigTable")) {
    for (const auto& [name, tj] : t->items()) {
      TopicConfig config;
      if (Status st = ReadTopicConfig(tj, name, &config); !st.ok()) return st;
      (*table)[name] = std::move(config);
    }
  }
  return r.status();
}

// Reader over the inflated compressed RegisterBrokerBody.
class Pieces {
 public:
  explicit Pieces(std::string_view data) : data_(data) {}
  bool Int(int32_t* v) {
    if (data_.size() - pos_ < 4) return false;
    *v = static_cast<int32_t>(detail::GetBE32(data_.data() + pos_));
    pos_ += 4;
    return true;
  }
  bool Piece(std::string_view* out) {
    int32_t len = 0;
    if (!Int(&len) || len < 0 || static_cast<size_t>(len) > data_.size() - pos_) return false;
    *out = data_.substr(pos_, static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return true;
  }
  size_t left() const { return data_.size() - pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// TopicConfig.encode(): "name read write perm filterType" (5.x appends attributes JSON as a
// sixth field). topicSysFlag and order are not carried in this form.
bool ParseTopicConfigLine(std::string_view line, TopicConfig* t) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (fields.size() < 6) {
    size_t sp = line.find(' ', pos);
    fields.push_back(line.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos));
    if (sp == std::string_view::npos) break;
    pos = sp + 1;
  }
  if (fields.size() < 5) return false;
  auto num = [](std::string_view s, int32_t* v) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  };
  t->topic_name = std::string(fields[0]);
  if (!num(fields[1], &t->read_queue_nums) || !num(fields[2], &t->write_queue_nums) || !num(fields[3], &t->perm)) {
    return false;
  }
  if (fields[4] != "SINGLE_TAG" && fields[4] != "MULTI_TAG") return false;
  t->topic_filter_type = std::string(fields[4]);
  return true;
}

Result<RegisterBrokerBody> DecodeCompressedRegisterBody(std::string_view body) {
  auto raw = Inflate(body);
  if (!raw.ok()) return Status::Corruption("RegisterBrokerBody: " + raw.status().message());
  auto bad = [](const std::string& what) { return Status::Corruption("compressed RegisterBrokerBody: " + what); };
  Pieces in(raw.value());
  RegisterBrokerBody out;
  std::string_view piece;
  if (!in.Piece(&piece)) return bad("truncated dataVersion");
  auto dv = detail::ParseLenientJson(piece, "dataVersion");
  if (!dv.ok()) return dv.status();
  if (Status st = ReadDataVersion(dv.value(), &out.data_version); !st.ok()) return st;
  int32_t count = 0;
  if (!in.Int(&count) || count < 0 || static_cast<size_t>(count) > in.left() / 4) return bad("bad topic count");
  for (int32_t i = 0; i < count; ++i) {
    TopicConfig t;
    if (!in.Piece(&piece)) return bad("truncated topic config " + std::to_string(i));
    if (!ParseTopicConfigLine(piece, &t)) return bad("bad topic config '" + std::string(piece) + "'");
    out.topic_config_table[t.topic_name] = std::move(t);
  }
  if (!in.Piece(&piece)) return bad("truncated filterServerList");
  auto list = detail::ParseLenientJson(piece, "filterServerList");
  if (!list.ok()) return list.status();
  if (!list.value().is_array()) return bad("filterServerList is not an array");
  for (const auto& s : list.value()) {
    std::string v;
    if (detail::CoerceString(s, &v)) out.filter_server_list.push_back(std::move(v));
  }
  // 5.x appends a topic-queue-mapping section; nothing here needs it.
  return out;
}

}  // namespace

std::string EncodeRegisterBrokerBody(const RegisterBrokerBody& body) {
  std::string out;
  out.reserve(128 + 160 * body.topic_config_table.size());
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("filterServerList");
  w.StringArray(body.filter_server_list);
  w.Key("topicConfigSerializeWrapper");
  WriteWrapper(w, body.topic_config_table, body.data_version);
  w.EndObject();
  return out;
}

Result<RegisterBrokerBody> DecodeRegisterBrokerBody(std::string_view body, bool compressed) {
  if (compressed) return DecodeCompressedRegisterBody(body);
  auto parsed = detail::ParseLenientJson(body, "RegisterBrokerBody");
  if (!parsed.ok()) return parsed.status();
  FieldReader r(parsed.value(), "RegisterBrokerBody");
  RegisterBrokerBody out;
  if (const nlohmann::json* wrapper = r.Object("topicConfigSerializeWrapper")) {
    if (Status st = ReadWrapper(*wrapper, &out.topic_config_table, &out.data_version); !st.ok()) return st;
  }
  if (const nlohmann::json* list = r.Array("filterServerList")) {
    for (const auto& s : *list) {
      std::string v;
      if (detail::CoerceString(s, &v)) out.filter_server_list.push_back(std::move(v));
    }
  }
  if (!r.ok()) return r.status();
  return out;
}

std::string EncodeDataVersion(const DataVersion& version) {
  std::string out;
  JsonWriter w(&out);
  WriteDataVersion(w, version);
  return out;
}

Result<DataVersion> DecodeDataVersion(std::string_view json) {
  auto parsed = detail::ParseLenientJson(json, "DataVersion");
  if (!parsed.ok()) return parsed.status();
  DataVersion v;
  if (Status st = ReadDataVersion(parsed.value(), &v); !st.ok()) return st;
  return v;
}

std::string EncodeTopicConfigWrapper(const std::map<std::string, TopicConfig>& table, const DataVersion& version) {
  std::string out;
  out.reserve(64 + 160 * table.size());
  JsonWriter w(&out);
  WriteWrapper(w, table, version);
  return out;
}

Result<std::pair<std::map<std::string, TopicConfig>, DataVersion>> DecodeTopicConfigWrapper(std::string_view json) {
  auto parsed = detail::ParseLenientJson(json, "TopicConfigSerializeWrapper");
  if (!parsed.ok()) return parsed.status();
  std::pair<std::map<std::string, TopicConfig>, DataVersion> out;
  if (Status st = ReadWrapper(parsed.value(), &out.first, &out.second); !st.ok()) return st;
  return out;
}

std::string EncodeTopicList(const std::set<std::string>& topics) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("topicList");
  w.StringArray(topics);
  w.EndObject();
  return out;
}

Result<std::set<std::string>> DecodeTopicList(std::string_view json) {
  auto parsed = detail::ParseLenientJson(json, "TopicList");
  if (!parsed.ok()) return parsed.status();
  FieldReader r(parsed.value(), "TopicList");
  std::set<std::string> topics;
  if (const nlohmann::json* list = r.Array("topicList")) {
    for (const auto& t : *list) {
      std::string v;
      if (!detail::CoerceString(t, &v)) return Status::Corruption("TopicList: entry is not a string");
      topics.insert(std::move(v));
    }
  }
  if (!r.ok()) return r.status();
  return topics;
}

std::string EncodeKvTable(const std::map<std::string, std::string>& table) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("table");
  w.BeginObject();
  for (const auto& [k, v] : table) {
    w.Key(k);
    w.String(v);
  }
  w.EndObject();
  w.EndObject();
  return out;
}

Result<std::map<std::string, std::string>> DecodeKvTable(std::string_view json) {
  auto parsed = detail::ParseLenientJson(json, "KVTable");
  if (!parsed.ok()) return parsed.status();
  FieldReader r(parsed.value(), "KVTable");
  std::map<std::string, std::string> table;
  if (const nlohmann::json* t = r.Object("table")) {
    for (const auto& [k, v] : t->items()) {
      std::string s;
      if (v.is_null()) continue;
      if (!detail::CoerceString(v, &s)) return Status::Corruption("KVTable: value of '" + k + "' is not a string");
      table[k] = std::move(s);
    }
  }
  if (!r.ok()) return r.status();
  return table;
}

}  // namespace sprocket::protocol
