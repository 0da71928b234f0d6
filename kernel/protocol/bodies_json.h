// Helpers for the JSON bodies (bodies.h): a fastjson-style writer and lenient readers on
// top of nlohmann_json. Private to kernel/protocol.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>
#include <utility>

#include <nlohmann/json.hpp>

#include "protocol/json_text.h"
#include "sprocket/plugin/status.h"

namespace sprocket::protocol::detail {

// Appends compact JSON. The caller writes keys in alphabetical order (fastjson's bean
// order); the writer only tracks where commas go.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view key) {
    Comma();
    AppendJsonString(out_, key);
    out_->push_back(':');
  }
  // fastjson writes Map<Long,...> keys unquoted: {0:"a"}. Not valid JSON, but what Java
  // namesrvs send and what ali-ons and the cpp client are built to read.
  void BareKey(int64_t key) {
    Comma();
    AppendJsonInt(out_, key);
    out_->push_back(':');
  }
  void String(std::string_view v) {
    Comma();
    AppendJsonString(out_, v);
    need_comma_ = true;
  }
  void Int(int64_t v) {
    Comma();
    AppendJsonInt(out_, v);
    need_comma_ = true;
  }
  void Bool(bool v) {
    Comma();
    out_->append(v ? "true" : "false");
    need_comma_ = true;
  }
  template <typename Range>
  void StringArray(const Range& items) {
    BeginArray();
    for (const auto& s : items) String(s);
    EndArray();
  }

 private:
  void Comma() {
    if (need_comma_) out_->push_back(',');
    need_comma_ = false;
  }
  void Open(char c) {
    Comma();
    out_->push_back(c);
  }
  void Close(char c) {
    out_->push_back(c);
    need_comma_ = true;
  }

  std::string* out_;
  bool need_comma_ = false;
};

// Quotes bare object keys ({0:"a"} -> {"0":"a"}, {k:1} -> {"k":1}) outside strings and
// rejects nesting deeper than kMaxBodyDepth (nlohmann parses recursively).
inline constexpr int kMaxBodyDepth = 128;
Result<std::string> QuoteBareKeys(std::string_view text);

// QuoteBareKeys + nlohmann parse. Corruption names `what` on failure.
Result<nlohmann::json> ParseLenientJson(std::string_view text, std::string_view what);

// Value conversions fastjson performs when a field's JSON type differs from the bean's.
bool CoerceString(const nlohmann::json& v, std::string* out);  // numbers -> text, bools -> words
bool CoerceInt(const nlohmann::json& v, int64_t* out);         // "12" -> 12, 12.0 -> 12
bool CoerceBool(const nlohmann::json& v, bool* out);           // "true", 1 -> true

// Reads the fields of one JSON object leniently. Missing and null fields give the default;
// a field that cannot be converted records the first error (see status()).
class FieldReader {
 public:
  FieldReader(const nlohmann::json& obj, std::string_view what);

  // nullptr when absent or null.
  const nlohmann::json* Get(const char* key) const;
  std::string Str(const char* key, std::string fallback = {});
  int64_t Int(const char* key, int64_t fallback = 0);
  int32_t Int32(const char* key, int32_t fallback = 0);
  bool Bool(const char* key, bool fallback = false);
  // An enum given by name (index in `names`), by an alias, or by ordinal (number or
  // numeric string).
  int Enum(const char* key, std::initializer_list<const char*> names, int fallback,
           std::initializer_list<std::pair<const char*, int>> aliases = {});
  // Arrays/objects: nullptr when absent or null; records an error on a wrong type.
  const nlohmann::json* Array(const char* key);
  const nlohmann::json* Object(const char* key);

  void Fail(std::string why);
  const Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }

 private:
  const nlohmann::json* obj_;
  std::string what_;
  Status status_;
};

// A body that is one object holding one array of strings, e.g. {"consumerIdList":[..]}:
// the strings in order (numbers and booleans coerced, as fastjson does). Corruption names
// `what` when the text or an entry is malformed; a missing or null array is empty.
Result<std::vector<std::string>> DecodeStringListBody(std::string_view json, std::string_view what,
                                                      const char* field);

}  // namespace sprocket::protocol::detail
