#include "protocol/json_text.h"

#include <charconv>
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

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
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
    const char* bs = static_cast<const char*>(std::memchr(p, '\\', static_cast<size_t>(end - p)));
    if (bs == nullptr) {
      out->append(p, end);
      return true;
    }
    out->append(p, bs);
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
  const char* q = start;
  bool esc = false;
  // memchr for the closing quote, then for backslashes before it: most strings have none,
  // and this is the header decoder's inner loop.
  while (q < end_) {
    const char* quote = static_cast<const char*>(std::memchr(q, '"', static_cast<size_t>(end_ - q)));
    if (quote == nullptr) break;
    const char* bs = static_cast<const char*>(std::memchr(q, '\\', static_cast<size_t>(quote - q)));
    if (bs == nullptr) {
      *raw = std::string_view(start, static_cast<size_t>(quote - start));
      *escaped = esc;
      p_ = quote + 1;
      return true;
    }
    esc = true;
    q = bs + 2;  // skip the escaped character, which may be the quote we found
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
