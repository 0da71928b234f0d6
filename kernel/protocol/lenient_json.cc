// Lenient JSON for bodies (PROTOCOL.md §4): fastjson writes bare numeric map keys and
// accepts numbers for strings, strings for numbers and ordinals for enums; the bodies
// from Java, cpp and ali-ons rely on all of it.
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "protocol/bodies_json.h"
#include "protocol/json_text.h"

namespace sprocket::protocol::detail {

namespace {

bool IsBareKeyChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '$' || c == '-' || c == '+' || c == '.';
}

bool ParseDecimal(std::string_view s, int64_t* out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

Result<std::string> QuoteBareKeys(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  std::vector<char> stack;  // open containers, '{' or '['
  bool expect_key = false;  // right after '{' or an object's ','
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      // Copy a string untouched, whatever it contains.
      size_t j = i + 1;
      while (j < text.size() && text[j] != '"') j += (text[j] == '\\') ? 2 : 1;
      j = std::min(j + 1, text.size());
      out.append(text.substr(i, j - i));
      i = j;
      expect_key = false;
      continue;
    }
    if (c == '{' || c == '[') {
      if (stack.size() >= static_cast<size_t>(kMaxBodyDepth)) {
        return Status::Corruption("json nested deeper than " + std::to_string(kMaxBodyDepth));
      }
      stack.push_back(c);
      expect_key = (c == '{');
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();  // mismatches are left for the parser to reject
      expect_key = false;
    } else if (c == ',') {
      expect_key = !stack.empty() && stack.back() == '{';
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      // whitespace keeps the current expectation
    } else if (expect_key && IsBareKeyChar(c)) {
      size_t j = i;
      while (j < text.size() && IsBareKeyChar(text[j])) ++j;
      out.push_back('"');
      out.append(text.substr(i, j - i));
      out.push_back('"');
      i = j;
      expect_key = false;
      continue;
    } else {
      expect_key = false;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

Result<nlohmann::json> ParseLenientJson(std::string_view text, std::string_view what) {
  auto quoted = QuoteBareKeys(text);
  if (!quoted.ok()) return Status::Corruption(std::string(what) + ": " + quoted.status().message());
  nlohmann::json j = nlohmann::json::parse(quoted.value(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption(std::string(what) + ": malformed json");
  return j;
}

bool CoerceString(const nlohmann::json& v, std::string* out) {
  switch (v.type()) {
    case nlohmann::json::value_t::string: *out = v.get_ref<const std::string&>(); return true;
    case nlohmann::json::value_t::number_integer: *out = std::to_string(v.get<int64_t>()); return true;
    case nlohmann::json::value_t::number_unsigned: *out = std::to_string(v.get<uint64_t>()); return true;
    case nlohmann::json::value_t::number_float: *out = v.dump(); return true;
    case nlohmann::json::value_t::boolean: *out = v.get<bool>() ? "true" : "false"; return true;
    default: return false;
  }
}

bool CoerceInt(const nlohmann::json& v, int64_t* out) {
  switch (v.type()) {
    case nlohmann::json::value_t::number_integer: *out = v.get<int64_t>(); return true;
    case nlohmann::json::value_t::number_unsigned: {
      uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      *out = static_cast<int64_t>(u);
      return true;
    }
    case nlohmann::json::value_t::number_float: {
      double d = v.get<double>();
      if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) > 9.2e18) return false;
      *out = static_cast<int64_t>(d);
      return true;
    }
    case nlohmann::json::value_t::string: return ParseDecimal(v.get_ref<const std::string&>(), out);
    default: return false;
  }
}

bool CoerceBool(const nlohmann::json& v, bool* out) {
  switch (v.type()) {
    case nlohmann::json::value_t::boolean: *out = v.get<bool>(); return true;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: *out = v.get<int64_t>() != 0; return true;
    case nlohmann::json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (EqualsIgnoreCase(s, "true") || s == "1") {
        *out = true;
        return true;
      }
      if (EqualsIgnoreCase(s, "false") || s == "0" || s.empty()) {
        *out = false;
        return true;
      }
      return false;
    }
    default: return false;
  }
}

FieldReader::FieldReader(const nlohmann::json& obj, std::string_view what) : obj_(&obj), what_(what) {
  if (!obj.is_object()) Fail("not an object");
}

void FieldReader::Fail(std::string why) {
  if (status_.ok()) status_ = Status::Corruption(what_ + ": " + why);
}

const nlohmann::json* FieldReader::Get(const char* key) const {
  if (!obj_->is_object()) return nullptr;
  auto it = obj_->find(key);
  if (it == obj_->end() || it->is_null()) return nullptr;
  return &*it;
}

std::string FieldReader::Str(const char* key, std::string fallback) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return fallback;
  std::string out;
  if (!CoerceString(*v, &out)) {
    Fail(std::string(key) + " is not a string");
    return fallback;
  }
  return out;
}

int64_t FieldReader::Int(const char* key, int64_t fallback) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return fallback;
  int64_t out = 0;
  if (!CoerceInt(*v, &out)) {
    Fail(std::string(key) + " is not an integer");
    return fallback;
  }
  return out;
}

int32_t FieldReader::Int32(const char* key, int32_t fallback) {
  int64_t v = Int(key, fallback);
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    Fail(std::string(key) + " is out of int range");
    return fallback;
  }
  return static_cast<int32_t>(v);
}

bool FieldReader::Bool(const char* key, bool fallback) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return fallback;
  bool out = false;
  if (!CoerceBool(*v, &out)) {
    Fail(std::string(key) + " is not a boolean");
    return fallback;
  }
  return out;
}

int FieldReader::Enum(const char* key, std::initializer_list<const char*> names, int fallback,
                      std::initializer_list<std::pair<const char*, int>> aliases) {
  const nlohmann::json* v = Get(key);
  if (v == nullptr) return fallback;
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    int i = 0;
    for (const char* name : names) {
      if (s == name) return i;
      ++i;
    }
    for (const auto& [alias, value] : aliases) {
      if (s == alias) return value;
    }
  }
  int64_t ordinal = -1;
  if (CoerceInt(*v, &ordinal) && ordinal >= 0 && ordinal < static_cast<int64_t>(names.size())) {
    return static_cast<int>(ordinal);
  }
  Fail(std::string(key) + " is not a known value");
  return fallback;
}

const nlohmann::json* FieldReader::Array(const char* key) {
  const nlohmann::json* v = Get(key);
  if (v != nullptr && !v->is_array()) {
    Fail(std::string(key) + " is not an array");
    return nullptr;
  }
  return v;
}

const nlohmann::json* FieldReader::Object(const char* key) {
  const nlohmann::json* v = Get(key);
  if (v != nullptr && !v->is_object()) {
    Fail(std::string(key) + " is not an object");
    return nullptr;
  }
  return v;
}

Result<std::vector<std::string>> DecodeStringListBody(std::string_view json, std::string_view what,
                                                      const char* field) {
  auto parsed = ParseLenientJson(json, what);
  if (!parsed.ok()) return parsed.status();
  FieldReader r(parsed.value(), what);
  std::vector<std::string> out;
  if (const nlohmann::json* list = r.Array(field)) {
    for (const auto& v : *list) {
      std::string item;
      if (!CoerceString(v, &item)) {
        return Status::Corruption(std::string(what) + ": " + field + " entry is not a string");
      }
      out.push_back(std::move(item));
    }
  }
  if (!r.ok()) return r.status();
  return out;
}

}  // namespace sprocket::protocol::detail
