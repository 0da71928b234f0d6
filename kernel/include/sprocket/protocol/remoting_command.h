// RocketMQ remoting frames: RemotingCommand and its codec (PROTOCOL.md §1).
//
// One codec for every program: mqnamesrv, mqbroker, mqadmin and sdk/cpp.
//
//   frame on the wire:  int32 length | int32 (serType<<24 | hdrLen) | header | body
//
// DecodeHeader/DecodeFrame take the frame *without* its 4-byte length prefix (what a
// transport hands to FrameSink::OnFrame); Encode* produce the frame *with* it.
//
// JSON headers (serialize type 0) are written the way fastjson writes them (alphabetical
// keys, null remark/extFields omitted, language as an enum name) and parsed leniently:
// any key order, unknown keys ignored, extFields numbers/booleans coerced to strings the
// way fastjson does ("3", "false"). ROCKETMQ binary headers (type 1) follow §1.3.
// Neither decoder builds a DOM: the JSON header is scanned once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sprocket/plugin/status.h"

namespace sprocket::protocol {

enum class SerializeType : uint8_t { kJson = 0, kRocketMQ = 1 };

// LanguageCode in byte order (JAVA=0 ... RUST=12).
enum class LanguageCode : uint8_t {
  kJava = 0, kCpp, kDotnet, kPython, kDelphi, kErlang, kRuby, kOther, kHttp, kGo, kPhp, kOms, kRust
};
const char* LanguageName(LanguageCode code);                 // "JAVA", "CPP", ...
std::optional<LanguageCode> ParseLanguage(std::string_view name);  // name -> code

inline constexpr int32_t kFlagResponse = 1 << 0;  // RPC_TYPE
inline constexpr int32_t kFlagOneway = 1 << 1;    // RPC_ONEWAY
// MQVersion ordinal we put in every command we originate (V4_9_8).
inline constexpr int32_t kSprocketVersion = 409;
// Default frame limit: RocketMQ's com.rocketmq.remoting.frameMaxLength, prefix included.
inline constexpr size_t kDefaultMaxFrameBytes = 16 * 1024 * 1024;

// extFields: a flat, insertion-ordered list of string pairs. Typically a handful of
// entries, so a linear scan beats a map and allocates less.
class ExtFields {
 public:
  using Item = std::pair<std::string, std::string>;

  ExtFields() = default;
  // Copies carry the entries only, not the recycled spares.
  ExtFields(const ExtFields& o) : items_(o.items_) {}
  ExtFields& operator=(const ExtFields& o) {
    items_ = o.items_;
    return *this;
  }
  ExtFields(ExtFields&&) noexcept = default;
  ExtFields& operator=(ExtFields&&) noexcept = default;

  // Adds or replaces.
  void Set(std::string_view key, std::string value);
  void Set(std::string_view key, int64_t value) { Set(key, std::to_string(value)); }
  void SetBool(std::string_view key, bool value) { Set(key, std::string(value ? "true" : "false")); }
  // Adds without checking for an existing key (decoder use; keys are unique on the wire).
  void Append(std::string key, std::string value) { items_.emplace_back(std::move(key), std::move(value)); }
  // Room for `n` entries (the decoder reserves once instead of growing field by field).
  void Reserve(size_t n) { items_.reserve(n); }
  // Empties the list but keeps the entries' string buffers as spares for EmplaceValue, so
  // that a command decoded into again and again (the server keeps one per I/O thread)
  // allocates nothing once warm.
  void Recycle();
  // Decoder use: appends an entry `key` with an empty value for the caller to fill,
  // reusing a spare when there is one.
  std::string& EmplaceValue(std::string_view key);
  // Decoder use: takes back the last entry (a null value: the entry is dropped).
  void PopBack();
  bool Erase(std::string_view key);

  const std::string* Find(std::string_view key) const;
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  // The value, or `fallback` when absent.
  std::string_view Get(std::string_view key, std::string_view fallback = {}) const;
  // Java Integer/Long.parseX of the value; nullopt when absent or not a decimal integer.
  std::optional<int64_t> GetInt(std::string_view key) const;
  // The same parse of a value in hand.
  static std::optional<int64_t> ParseInt(std::string_view value);
  // "true" (case-insensitive) -> true, anything else present -> false; nullopt when absent.
  std::optional<bool> GetBool(std::string_view key) const;

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const std::vector<Item>& items() const { return items_; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<Item> items_;
  std::vector<Item> spare_;  // recycled entries (see Recycle)
};

struct RemotingCommand {
  int32_t code = 0;
  LanguageCode language = LanguageCode::kJava;
  int32_t version = kSprocketVersion;
  int32_t opaque = 0;
  int32_t flag = 0;
  std::optional<std::string> remark;
  ExtFields ext;
  SerializeType serialize_type = SerializeType::kJson;
  std::string body;  // owned; empty = no body

  bool IsResponse() const { return (flag & kFlagResponse) != 0; }
  bool IsOneway() const { return (flag & kFlagOneway) != 0; }

  static RemotingCommand Request(int32_t code);
  // A response to `request`: same opaque and serialize type, flag = response,
  // version = kSprocketVersion, language JAVA (the most compatible answer, §11.2).
  static RemotingCommand ResponseTo(const RemotingCommand& request, int32_t code,
                                    std::optional<std::string> remark = std::nullopt);
};

// Decodes the header of a frame (without length prefix) into `cmd` (body left empty) and
// points `body` at the body bytes inside `frame`. No copy of the body.
// Corruption on: frame shorter than 4 bytes, header length beyond the frame, unknown
// serialize type, malformed JSON, wrong JSON types for code/opaque/flag/version, bad
// binary header lengths.
Status DecodeHeader(std::string_view frame, RemotingCommand* cmd, std::string_view* body);

// DecodeHeader plus a copy of the body into cmd.body.
Result<RemotingCommand> DecodeFrame(std::string_view frame);

// Appends the complete frame (prefix, header in cmd.serialize_type, body) to `out`.
// Uses cmd.body unless `body` is given, which lets callers send a body they do not own.
void EncodeFrame(const RemotingCommand& cmd, std::string* out);
void EncodeFrame(const RemotingCommand& cmd, std::string_view body, std::string* out);
std::string EncodeFrame(const RemotingCommand& cmd);
// For a body sent behind a frame from elsewhere (writev, or appended to a buffer): makes
// the length prefix of `head` — a frame EncodeFrame wrote with an empty body — count
// `body_size` more bytes.
void ExtendFrameLength(std::string* head, size_t body_size);

// Just the JSON / binary header bytes (for tests and golden frames).
std::string EncodeJsonHeader(const RemotingCommand& cmd);
std::string EncodeBinaryHeader(const RemotingCommand& cmd);

}  // namespace sprocket::protocol
