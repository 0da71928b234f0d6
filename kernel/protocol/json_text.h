// Low-level JSON text helpers shared by the header codec and the body writers. Private to
// kernel/protocol (tests include it to exercise the scanner directly).
//
// JsonScanner is a forward-only cursor over JSON text. It never builds a tree and never
// allocates unless asked to decode a string that contains escapes; that is what makes the
// RemotingCommand header decoder cheap on the hot path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sprocket::protocol::detail {

// Appends `s` as a quoted JSON string the way fastjson writes one: `"` and `\` escaped,
// \b \f \n \r \t short forms, other control characters as \u00XX, everything else
// (including non-ASCII UTF-8) copied as is.
void AppendJsonString(std::string* out, std::string_view s);
void AppendJsonInt(std::string* out, int64_t v);

// Appends the UTF-8 form of a code point. Lone surrogates become '?', which is what Java's
// String.getBytes(UTF_8) produces for them, so signatures computed over the bytes agree.
void AppendUtf8(std::string* out, uint32_t code_point);

// Decodes the body of a JSON string (text between the quotes) into `out` (appending).
// False on a bad escape.
bool UnescapeJsonString(std::string_view raw, std::string* out);

class JsonScanner {
 public:
  // Containers nested deeper than this are rejected rather than skipped; bounds the work
  // an attacker can make us do and keeps the skip stack fixed-size.
  static constexpr int kMaxDepth = 64;

  enum class Kind { kEnd, kString, kNumber, kTrue, kFalse, kNull, kObject, kArray, kInvalid };

  explicit JsonScanner(std::string_view text) : p_(text.data()), begin_(text.data()), end_(text.data() + text.size()) {}

  void SkipWs() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  // Skips whitespace, then consumes `c` if it is next.
  bool Consume(char c) {
    SkipWs();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  // Skips whitespace and classifies the next value without consuming it.
  Kind Peek();
  bool AtEnd() {
    SkipWs();
    return p_ == end_;
  }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }

  // A string at the cursor. `raw` is the text between the quotes, escapes undecoded;
  // `escaped` says whether it holds any backslash (if not, raw is the value).
  bool RawString(std::string_view* raw, bool* escaped);
  // A string at the cursor, decoded. Uses `scratch` only when there are escapes; `value`
  // then points into it.
  bool String(std::string_view* value, std::string* scratch);
  // A number at the cursor (JSON grammar, leading zeros tolerated); `literal` is its text.
  bool Number(std::string_view* literal);
  // `true`, `false` or `null` at the cursor.
  bool Word(std::string_view word);
  // Skips any one value, containers included (bounded by kMaxDepth).
  bool SkipValue();
  // Skips one value and returns its exact text.
  bool CaptureValue(std::string_view* text);

 private:
  bool SkipScalar();
  bool SkipKeyAndColon();

  const char* p_;
  const char* begin_;
  const char* end_;
};

// ASCII case-insensitive equality ("true" vs "TRUE"), as Java's equalsIgnoreCase for the
// values the protocol carries.
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace sprocket::protocol::detail
