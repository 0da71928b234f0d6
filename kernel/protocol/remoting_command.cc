// RemotingCommand, ExtFields and the frame codec (PROTOCOL.md §1.1). The header encodings
// themselves live in json_header.cc and binary_header.cc.
#include "sprocket/protocol/remoting_command.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "protocol/byte_order.h"
#include "protocol/json_text.h"
#include "protocol/header_codec.h"

namespace sprocket::protocol {

namespace {

constexpr const char* kLanguageNames[] = {"JAVA",   "CPP",  "DOTNET", "PYTHON", "DELPHI",
                                          "ERLANG", "RUBY", "OTHER",  "HTTP",   "GO",
                                          "PHP",    "OMS",  "RUST"};
constexpr size_t kMaxHeaderLength = 0xFFFFFF;  // 24 bits next to the serialize type

}  // namespace

const char* LanguageName(LanguageCode code) {
  auto i = static_cast<size_t>(code);
  return i < std::size(kLanguageNames) ? kLanguageNames[i] : "OTHER";
}

std::optional<LanguageCode> ParseLanguage(std::string_view name) {
  for (size_t i = 0; i < std::size(kLanguageNames); ++i) {
    if (name == kLanguageNames[i]) return static_cast<LanguageCode>(i);
  }
  return std::nullopt;
}

// ---- ExtFields ------------------------------------------------------------------------

void ExtFields::Set(std::string_view key, std::string value) {
  for (auto& item : items_) {
    if (item.first == key) {
      item.second = std::move(value);
      return;
    }
  }
  items_.emplace_back(std::string(key), std::move(value));
}

void ExtFields::Recycle() {
  // Spares past a few KiB (a huge header once) are not worth pinning.
  constexpr size_t kMaxSpareValue = 4096;
  while (!items_.empty()) {
    if (items_.back().second.capacity() <= kMaxSpareValue && spare_.size() < 32) {
      spare_.push_back(std::move(items_.back()));
    }
    items_.pop_back();
  }
}

std::string& ExtFields::EmplaceValue(std::string_view key) {
  if (spare_.empty()) {
    items_.emplace_back(std::string(key), std::string());
  } else {
    items_.push_back(std::move(spare_.back()));
    spare_.pop_back();
    items_.back().first.assign(key);
    items_.back().second.clear();
  }
  return items_.back().second;
}

void ExtFields::PopBack() {
  spare_.push_back(std::move(items_.back()));
  items_.pop_back();
}

bool ExtFields::Erase(std::string_view key) {
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (it->first == key) {
      items_.erase(it);
      return true;
    }
  }
  return false;
}

const std::string* ExtFields::Find(std::string_view key) const {
  for (const auto& item : items_) {
    if (item.first == key) return &item.second;
  }
  return nullptr;
}

std::string_view ExtFields::Get(std::string_view key, std::string_view fallback) const {
  const std::string* v = Find(key);
  return v ? std::string_view(*v) : fallback;
}

std::optional<int64_t> ExtFields::GetInt(std::string_view key) const {
  const std::string* v = Find(key);
  if (v == nullptr) return std::nullopt;
  return ParseInt(*v);
}

std::optional<int64_t> ExtFields::ParseInt(std::string_view v) {
  if (v.empty()) return std::nullopt;
  // Long.parseLong: an optional sign, then decimal digits, nothing else.
  const char* first = v.data();
  const char* last = first + v.size();
  if (*first == '+') {
    ++first;
    if (first == last || *first < '0' || *first > '9') return std::nullopt;  // "+-1", "+"
  }
  int64_t out = 0;
  auto r = std::from_chars(first, last, out);
  if (r.ec != std::errc() || r.ptr != last) return std::nullopt;
  return out;
}

std::optional<bool> ExtFields::GetBool(std::string_view key) const {
  const std::string* v = Find(key);
  if (v == nullptr) return std::nullopt;
  return detail::EqualsIgnoreCase(*v, "true");  // Boolean.parseBoolean
}

// ---- RemotingCommand --------------------------------------------------------------------

RemotingCommand RemotingCommand::Request(int32_t code) {
  RemotingCommand cmd;
  cmd.code = code;
  return cmd;
}

RemotingCommand RemotingCommand::ResponseTo(const RemotingCommand& request, int32_t code,
                                            std::optional<std::string> remark) {
  RemotingCommand cmd;
  cmd.code = code;
  cmd.opaque = request.opaque;
  cmd.flag = kFlagResponse;
  cmd.serialize_type = request.serialize_type;
  cmd.remark = std::move(remark);
  return cmd;
}

// ---- frames -----------------------------------------------------------------------------

Status DecodeHeader(std::string_view frame, RemotingCommand* cmd, std::string_view* body) {
  if (frame.size() < 4) {
    return Status::Corruption("frame of " + std::to_string(frame.size()) + " bytes has no header length");
  }
  uint32_t word = detail::GetBE32(frame.data());
  uint32_t type = word >> 24;
  size_t header_len = word & kMaxHeaderLength;
  if (header_len > frame.size() - 4) {
    return Status::Corruption("header length " + std::to_string(header_len) + " exceeds frame of " +
                              std::to_string(frame.size()) + " bytes");
  }
  // Field by field rather than `*cmd = RemotingCommand()`: a command decoded into again
  // keeps its extFields buffers (ExtFields::Recycle).
  cmd->code = 0;
  cmd->language = LanguageCode::kJava;
  cmd->version = 0;  // what Java leaves in a header that does not name a version
  cmd->opaque = 0;
  cmd->flag = 0;
  cmd->remark.reset();
  cmd->ext.Recycle();
  cmd->body.clear();
  std::string_view header = frame.substr(4, header_len);
  Status st;
  if (type == static_cast<uint32_t>(SerializeType::kJson)) {
    cmd->serialize_type = SerializeType::kJson;
    st = detail::DecodeJsonHeader(header, cmd);
  } else if (type == static_cast<uint32_t>(SerializeType::kRocketMQ)) {
    cmd->serialize_type = SerializeType::kRocketMQ;
    st = detail::DecodeBinaryHeader(header, cmd);
  } else {
    return Status::Corruption("unknown serialize type " + std::to_string(type));
  }
  if (!st.ok()) return st;
  *body = frame.substr(4 + header_len);
  return Status::OK();
}

Result<RemotingCommand> DecodeFrame(std::string_view frame) {
  RemotingCommand cmd;
  std::string_view body;
  if (Status st = DecodeHeader(frame, &cmd, &body); !st.ok()) return st;
  cmd.body.assign(body);
  return cmd;
}

void EncodeFrame(const RemotingCommand& cmd, std::string_view body, std::string* out) {
  // One reservation for the whole frame: the fixed header text is < 160 bytes and each
  // extFields entry costs its key and value plus quoting (escapes are rare).
  size_t estimate = 8 + 160 + body.size() + (cmd.remark ? cmd.remark->size() + 16 : 0);
  for (const auto& [k, v] : cmd.ext) estimate += k.size() + v.size() + 8;
  const size_t start = out->size();
  out->reserve(start + estimate);
  out->append(8, '\0');  // length and serialize-type words, patched below
  if (cmd.serialize_type == SerializeType::kRocketMQ) {
    detail::AppendBinaryHeader(cmd, out);
  } else {
    detail::AppendJsonHeader(cmd, out);
  }
  const size_t header_len = out->size() - start - 8;
  if (header_len > kMaxHeaderLength) {
    // Our own command is too big to frame: a bug in the caller, not bad input.
    std::fprintf(stderr, "EncodeFrame: header of %zu bytes does not fit in 24 bits\n", header_len);
    std::abort();
  }
  out->append(body);
  char* p = out->data() + start;
  detail::PutBE32(p, static_cast<uint32_t>(4 + header_len + body.size()));
  detail::PutBE32(p + 4, (static_cast<uint32_t>(cmd.serialize_type) << 24) |
                             static_cast<uint32_t>(header_len));
}

void EncodeFrame(const RemotingCommand& cmd, std::string* out) { EncodeFrame(cmd, cmd.body, out); }

std::string EncodeFrame(const RemotingCommand& cmd) {
  std::string out;
  EncodeFrame(cmd, cmd.body, &out);
  return out;
}

void ExtendFrameLength(std::string* head, size_t body_size) {
  const uint32_t total = detail::GetBE32(head->data()) + static_cast<uint32_t>(body_size);
  detail::PutBE32(head->data(), total);
}

std::string EncodeJsonHeader(const RemotingCommand& cmd) {
  std::string out;
  out.reserve(160);
  detail::AppendJsonHeader(cmd, &out);
  return out;
}

std::string EncodeBinaryHeader(const RemotingCommand& cmd) {
  std::string out;
  detail::AppendBinaryHeader(cmd, &out);
  return out;
}

}  // namespace sprocket::protocol
