#include "protocol/json_text.h"

#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace sprocket::protocol::detail {

namespace {

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ReadHex4(const char* p, uint32_t* v) {
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) {
    int h = HexValue(p[i]);
    if (h < 0) return false;
    r = (r << 4) | static_cast<uint32_t>(h);
  }
  *v = r;
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

namespace {

// SWAR scanning (bytes of a little-endian word). HasZeroByte/HasByteBelow flag the lowest
// matching byte exactly (false positives only occur above a true match), so the count of
// trailing zero bits of the mask, divided by 8, is the index of the first match.
constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

inline uint64_t Load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}
inline uint64_t HasZeroByte(uint64_t v) { return (v - kOnes) & ~v & kHighs; }
// Bytes below n (n <= 128).
inline uint64_t HasByteBelow(uint64_t v, uint64_t n) { return (v - kOnes * n) & ~v & kHighs; }
inline uint64_t QuoteOrBackslashMask(uint64_t w) {
  return HasZeroByte(w ^ (kOnes * '"')) | HasZeroByte(w ^ (kOnes * '\\'));
}
inline uint64_t NeedsEscapeMask(uint64_t w) { return QuoteOrBackslashMask(w) | HasByteBelow(w, 0x20); }

static_assert(std::endian::native == std::endian::little, "SWAR scanning assumes little endian");

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    // Eight bytes at a time up to the next byte that needs escaping.
    while (i + 8 <= s.size()) {
      const uint64_t m = NeedsEscapeMask(Load64(s.data() + i));
      if (m == 0) {
        i += 8;
        continue;
      }
      i += static_cast<size_t>(__builtin_ctzll(m)) >> 3;
      break;
    }
    if (i >= s.size()) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(esc, sizeof(esc));
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendJsonInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp >= 0xD800 && cp <= 0xDFFF) {
    out->push_back('?');
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool UnescapeJsonString(std::string_view raw, std::string* out) {
  out->reserve(out->size() + raw.size());
  const char* p = raw.data();
  const char* end = p + raw.size();
  while (p < end) {
    // Runs between escapes are short in practice (message properties escape every
    // separator), so a plain loop rather than memchr.
    const char* bs = p;
    while (bs < end && *bs != '\\') ++bs;
    out->append(p, bs);
    if (bs == end) return true;
    p = bs + 1;
    if (p == end) return false;
    char c = *p++;
    switch (c) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp;
        if (end - p < 4 || !ReadHex4(p, &cp)) return false;
        p += 4;
        // A high surrogate followed by an escaped low surrogate is one supplementary
        // character; anything else unpaired is written as '?' by AppendUtf8.
        if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
          uint32_t low;
          if (ReadHex4(p + 2, &low) && low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            p += 6;
          }
        }
        AppendUtf8(out, cp);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

JsonScanner::Kind JsonScanner::Peek() {
  SkipWs();
  if (p_ == end_) return Kind::kEnd;
  switch (*p_) {
    case '"': return Kind::kString;
    case '{': return Kind::kObject;
    case '[': return Kind::kArray;
    case 't': return Kind::kTrue;
    case 'f': return Kind::kFalse;
    case 'n': return Kind::kNull;
    default:
      return (*p_ == '-' || IsDigit(*p_)) ? Kind::kNumber : Kind::kInvalid;
  }
}

bool JsonScanner::RawString(std::string_view* raw, bool* escaped) {
  SkipWs();
  if (p_ == end_ || *p_ != '"') return false;
  const char* start = ++p_;
  bool esc = false;
  // One pass, eight bytes at a time to the next quote or backslash: cheaper than calling
  // memchr twice per string, as header strings are short.
  for (const char* q = start; q < end_;) {
    if (end_ - q >= 8) {
      const uint64_t m = QuoteOrBackslashMask(Load64(q));
      if (m == 0) {
        q += 8;
        continue;
      }
      q += __builtin_ctzll(m) >> 3;
    }
    const char c = *q;
    if (c == '"') {
      *raw = std::string_view(start, static_cast<size_t>(q - start));
      *escaped = esc;
      p_ = q + 1;
      return true;
    }
    if (c == '\\') {
      esc = true;
      q += 2;  // skip the escaped character, which may be a quote
    } else {
      ++q;
    }
  }
  p_ = end_;
  return false;  // unterminated
}

bool JsonScanner::String(std::string_view* value, std::string* scratch) {
  std::string_view raw;
  bool escaped;
  if (!RawString(&raw, &escaped)) return false;
  if (!escaped) {
    *value = raw;
    return true;
  }
  scratch->clear();
  if (!UnescapeJsonString(raw, scratch)) return false;
  *value = *scratch;
  return true;
}

bool JsonScanner::Number(std::string_view* literal) {
  SkipWs();
  const char* start = p_;
  if (p_ < end_ && *p_ == '-') ++p_;
  const char* digits = p_;
  while (p_ < end_ && IsDigit(*p_)) ++p_;
  if (p_ == digits) return false;
  if (p_ < end_ && *p_ == '.') {
    const char* frac = ++p_;
    while (p_ < end_ && IsDigit(*p_)) ++p_;
    if (p_ == frac) return false;
  }
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    ++p_;
    if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    const char* exp = p_;
    while (p_ < end_ && IsDigit(*p_)) ++p_;
    if (p_ == exp) return false;
  }
  *literal = std::string_view(start, static_cast<size_t>(p_ - start));
  return true;
}

bool JsonScanner::Word(std::string_view word) {
  SkipWs();
  if (static_cast<size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0)
    return false;
  p_ += word.size();
  return true;
}

bool JsonScanner::SkipScalar() {
  std::string_view ignored;
  bool escaped;
  switch (Peek()) {
    case Kind::kString: return RawString(&ignored, &escaped);
    case Kind::kNumber: return Number(&ignored);
    case Kind::kTrue: return Word("true");
    case Kind::kFalse: return Word("false");
    case Kind::kNull: return Word("null");
    default: return false;
  }
}

bool JsonScanner::SkipKeyAndColon() {
  std::string_view key;
  bool escaped;
  return RawString(&key, &escaped) && Consume(':');
}

bool JsonScanner::SkipValue() {
  // Iterative so that hostile nesting cannot exhaust the stack; `closers` holds the
  // bracket each open container expects.
  char closers[kMaxDepth];
  int depth = 0;
  for (;;) {
    // Here a value is expected.
    Kind k = Peek();
    if (k == Kind::kObject || k == Kind::kArray) {
      if (depth == kMaxDepth) return false;
      char closer = (k == Kind::kObject) ? '}' : ']';
      closers[depth++] = closer;
      ++p_;
      if (Consume(closer)) {
        --depth;
      } else {
        if (k == Kind::kObject && !SkipKeyAndColon()) return false;
        continue;
      }
    } else if (!SkipScalar()) {
      return false;
    }
    // A value just ended: close containers or move on to the next element.
    for (;;) {
      if (depth == 0) return true;
      if (Consume(',')) {
        if (closers[depth - 1] == '}' && !SkipKeyAndColon()) return false;
        break;
      }
      if (!Consume(closers[depth - 1])) return false;
      --depth;
    }
  }
}

bool JsonScanner::CaptureValue(std::string_view* text) {
  SkipWs();
  const char* start = p_;
  if (!SkipValue()) return false;
  *text = std::string_view(start, static_cast<size_t>(p_ - start));
  return true;
}

}  // namespace sprocket::protocol::detail
