// JSON RemotingCommand header (serialize type 0, PROTOCOL.md §1.2).
//
// Writer: fastjson's bean order (alphabetical), nulls omitted, every extFields value a JSON
// string (the cpp client only accepts strings there).
// Reader: one pass over the text with JsonScanner, no DOM. Java, the cpp client and
// ali-ons all produce different shapes (key order, typed extFields, trailing newline), so
// it accepts any key order, skips unknown keys of any shape and coerces scalar extFields.
#include <charconv>

#include "protocol/header_codec.h"
#include "protocol/json_text.h"

namespace sprocket::protocol::detail {

namespace {

using Kind = JsonScanner::Kind;

Status Bad(const JsonScanner& s, std::string_view what) {
  std::string msg = "json header: ";
  msg.append(what);
  msg.append(" at offset ");
  msg.append(std::to_string(s.offset()));
  return Status::Corruption(std::move(msg));
}

// Integer bean fields must be JSON integers within int32: anything else means the peer is
// not speaking this protocol, and guessing would only hide it.
Status ReadInt32(JsonScanner& s, std::string_view name, int32_t* out) {
  std::string_view lit;
  if (s.Peek() != Kind::kNumber || !s.Number(&lit)) {
    return Bad(s, std::string(name) + " is not a number");
  }
  int64_t v = 0;
  auto r = std::from_chars(lit.data(), lit.data() + lit.size(), v);
  if (r.ec != std::errc() || r.ptr != lit.data() + lit.size() || v < INT32_MIN || v > INT32_MAX) {
    return Bad(s, std::string(name) + " is not a 32-bit integer");
  }
  *out = static_cast<int32_t>(v);
  return Status::OK();
}

Status ReadLanguage(JsonScanner& s, RemotingCommand* cmd) {
  switch (s.Peek()) {
    case Kind::kString: {
      std::string_view name;
      std::string scratch;
      if (!s.String(&name, &scratch)) return Bad(s, "bad language string");
      // An unknown name (a newer client) is not worth dropping the connection over.
      cmd->language = ParseLanguage(name).value_or(LanguageCode::kOther);
      return Status::OK();
    }
    case Kind::kNumber: {  // fastjson also accepts an enum ordinal
      int32_t ordinal = 0;
      if (Status st = ReadInt32(s, "language", &ordinal); !st.ok()) return st;
      cmd->language = (ordinal >= 0 && ordinal <= static_cast<int32_t>(LanguageCode::kRust))
                          ? static_cast<LanguageCode>(ordinal)
                          : LanguageCode::kOther;
      return Status::OK();
    }
    case Kind::kNull:
      s.Word("null");
      return Status::OK();
    default:
      return Bad(s, "language is neither a name nor a number");
  }
}

// A scalar as the string fastjson would make of it: strings decoded, numbers as their
// literal text (what JS String(x) gives for JSON.stringify output), booleans as words.
// Containers are kept as their JSON text. Returns false for null (the entry is dropped).
bool ReadCoercedString(JsonScanner& s, std::string* out, Status* error) {
  switch (s.Peek()) {
    case Kind::kString: {
      std::string_view raw;
      bool escaped;
      if (!s.RawString(&raw, &escaped)) break;
      if (!escaped) {
        out->assign(raw);
      } else if (out->clear(); !UnescapeJsonString(raw, out)) {
        *error = Bad(s, "bad escape in string");
        return false;
      }
      return true;
    }
    case Kind::kNumber: {
      std::string_view lit;
      if (!s.Number(&lit)) break;
      out->assign(lit);
      return true;
    }
    case Kind::kTrue:
      if (!s.Word("true")) break;
      out->assign("true");
      return true;
    case Kind::kFalse:
      if (!s.Word("false")) break;
      out->assign("false");
      return true;
    case Kind::kNull:
      if (!s.Word("null")) break;
      return false;
    case Kind::kObject:
    case Kind::kArray: {
      std::string_view text;
      if (!s.CaptureValue(&text)) break;
      out->assign(text);
      return true;
    }
    default:
      break;
  }
  *error = Bad(s, "malformed value");
  return false;
}

Status ReadExtFields(JsonScanner& s, RemotingCommand* cmd) {
  Kind k = s.Peek();
  if (k == Kind::kNull) {
    s.Word("null");
    return Status::OK();
  }
  if (k != Kind::kObject || !s.Consume('{')) return Bad(s, "extFields is not an object");
  cmd->ext.Recycle();  // a second "extFields" replaces the first
  if (s.Consume('}')) return Status::OK();
  // One allocation for the list: send requests carry 12 fields, responses about 5.
  cmd->ext.Reserve(16);
  std::string key_scratch;
  for (;;) {
    std::string_view key;
    if (!s.String(&key, &key_scratch)) return Bad(s, "expected an extFields key");
    if (!s.Consume(':')) return Bad(s, "expected ':'");
    Status error;
    // Decoded straight into the entry, whose buffer may be a recycled one.
    std::string& value = cmd->ext.EmplaceValue(key);
    if (!ReadCoercedString(s, &value, &error)) {
      cmd->ext.PopBack();  // null: no entry
      if (!error.ok()) return error;
    }
    if (s.Consume(',')) continue;
    if (s.Consume('}')) return Status::OK();
    return Bad(s, "expected ',' or '}' in extFields");
  }
}

Status ReadRemark(JsonScanner& s, RemotingCommand* cmd) {
  if (s.Peek() == Kind::kObject || s.Peek() == Kind::kArray) return Bad(s, "remark is not a string");
  std::string value;
  Status error;
  if (ReadCoercedString(s, &value, &error)) {
    cmd->remark = std::move(value);
  } else {
    if (!error.ok()) return error;
    cmd->remark.reset();
  }
  return Status::OK();
}

Status ReadField(std::string_view key, JsonScanner& s, RemotingCommand* cmd) {
  if (key == "code") return ReadInt32(s, key, &cmd->code);
  if (key == "opaque") return ReadInt32(s, key, &cmd->opaque);
  if (key == "flag") return ReadInt32(s, key, &cmd->flag);
  if (key == "version") return ReadInt32(s, key, &cmd->version);
  if (key == "language") return ReadLanguage(s, cmd);
  if (key == "extFields") return ReadExtFields(s, cmd);
  if (key == "remark") return ReadRemark(s, cmd);
  // serializeTypeCurrentRPC is informational (Java overwrites it from the type byte) and
  // anything else is unknown: skip it whatever its shape.
  if (!s.SkipValue()) return Bad(s, "malformed value");
  return Status::OK();
}

}  // namespace

void AppendJsonHeader(const RemotingCommand& cmd, std::string* out) {
  out->append("{\"code\":");
  AppendJsonInt(out, cmd.code);
  if (!cmd.ext.empty()) {
    out->append(",\"extFields\":{");
    bool first = true;
    for (const auto& [key, value] : cmd.ext) {
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(out, key);
      out->push_back(':');
      AppendJsonString(out, value);
    }
    out->push_back('}');
  }
  out->append(",\"flag\":");
  AppendJsonInt(out, cmd.flag);
  out->append(",\"language\":\"");
  out->append(LanguageName(cmd.language));
  out->append("\",\"opaque\":");
  AppendJsonInt(out, cmd.opaque);
  if (cmd.remark && !cmd.remark->empty()) {
    out->append(",\"remark\":");
    AppendJsonString(out, *cmd.remark);
  }
  out->append(",\"serializeTypeCurrentRPC\":\"JSON\",\"version\":");
  AppendJsonInt(out, cmd.version);
  out->push_back('}');
}

Status DecodeJsonHeader(std::string_view header, RemotingCommand* cmd) {
  JsonScanner s(header);
  if (!s.Consume('{')) return Bad(s, "expected '{'");
  if (!s.Consume('}')) {
    std::string key_scratch;
    for (;;) {
      std::string_view key;
      if (!s.String(&key, &key_scratch)) return Bad(s, "expected a key");
      if (!s.Consume(':')) return Bad(s, "expected ':'");
      if (Status st = ReadField(key, s, cmd); !st.ok()) return st;
      if (s.Consume(',')) continue;
      if (s.Consume('}')) break;
      return Bad(s, "expected ',' or '}'");
    }
  }
  // The cpp client's Json::FastWriter ends the header with "\n"; whitespace is fine,
  // anything else is not.
  if (!s.AtEnd()) return Bad(s, "unexpected bytes after the header object");
  return Status::OK();
}

}  // namespace sprocket::protocol::detail
