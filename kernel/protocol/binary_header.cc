// ROCKETMQ binary header (serialize type 1, PROTOCOL.md §1.3), RocketMQSerializable's
// layout:
//   int16 code | int8 language | int16 version | int32 opaque | int32 flag |
//   int32 remarkLen, remark | int32 extLen, { int16 keyLen, key, int32 valLen, val }*
// Every length read from the wire is checked against the bytes that are actually there
// before it is used.
#include <limits>

#include "protocol/byte_order.h"
#include "protocol/header_codec.h"

namespace sprocket::protocol::detail {

namespace {

constexpr size_t kFixedPart = 2 + 1 + 2 + 4 + 4;

Status Bad(std::string what) { return Status::Corruption("binary header: " + what); }

}  // namespace

void AppendBinaryHeader(const RemotingCommand& cmd, std::string* out) {
  // Java narrows code and version to a short; so do we (codes are <= 32767 by design).
  AppendBE16(out, static_cast<uint16_t>(cmd.code));
  out->push_back(static_cast<char>(cmd.language));
  AppendBE16(out, static_cast<uint16_t>(cmd.version));
  AppendBE32(out, static_cast<uint32_t>(cmd.opaque));
  AppendBE32(out, static_cast<uint32_t>(cmd.flag));
  if (cmd.remark && !cmd.remark->empty()) {
    AppendBE32(out, static_cast<uint32_t>(cmd.remark->size()));
    out->append(*cmd.remark);
  } else {
    AppendBE32(out, 0);  // zero length reads back as a null remark
  }
  // A key longer than an int16 cannot be represented; such an entry is left out rather
  // than written with a wrapped length that would corrupt everything after it.
  auto fits = [](const ExtFields::Item& e) {
    return e.first.size() <= static_cast<size_t>(std::numeric_limits<int16_t>::max());
  };
  size_t ext_len = 0;
  for (const auto& e : cmd.ext) {
    if (fits(e)) ext_len += 2 + e.first.size() + 4 + e.second.size();
  }
  AppendBE32(out, static_cast<uint32_t>(ext_len));
  for (const auto& e : cmd.ext) {
    if (!fits(e)) continue;
    AppendBE16(out, static_cast<uint16_t>(e.first.size()));
    out->append(e.first);
    AppendBE32(out, static_cast<uint32_t>(e.second.size()));
    out->append(e.second);
  }
}

Status DecodeBinaryHeader(std::string_view h, RemotingCommand* cmd) {
  if (h.size() < kFixedPart + 4) return Bad("too short (" + std::to_string(h.size()) + " bytes)");
  const char* p = h.data();
  cmd->code = static_cast<int16_t>(GetBE16(p));
  auto lang = static_cast<uint8_t>(p[2]);
  cmd->language = lang <= static_cast<uint8_t>(LanguageCode::kRust) ? static_cast<LanguageCode>(lang)
                                                                     : LanguageCode::kOther;
  cmd->version = static_cast<int16_t>(GetBE16(p + 3));
  cmd->opaque = static_cast<int32_t>(GetBE32(p + 5));
  cmd->flag = static_cast<int32_t>(GetBE32(p + 9));
  size_t pos = kFixedPart;

  auto remark_len = static_cast<int32_t>(GetBE32(p + pos));
  pos += 4;
  if (remark_len < 0 || static_cast<size_t>(remark_len) > h.size() - pos) {
    return Bad("remark length " + std::to_string(remark_len) + " exceeds header");
  }
  if (remark_len > 0) {
    cmd->remark.emplace(p + pos, static_cast<size_t>(remark_len));
  }
  pos += static_cast<size_t>(remark_len);

  if (h.size() - pos < 4) return Bad("missing extFields length");
  auto ext_len = static_cast<int32_t>(GetBE32(p + pos));
  pos += 4;
  if (ext_len < 0 || static_cast<size_t>(ext_len) > h.size() - pos) {
    return Bad("extFields length " + std::to_string(ext_len) + " exceeds header");
  }
  const size_t ext_end = pos + static_cast<size_t>(ext_len);
  while (pos < ext_end) {
    if (ext_end - pos < 2) return Bad("truncated extFields key length");
    auto key_len = static_cast<int16_t>(GetBE16(p + pos));
    pos += 2;
    if (key_len < 0 || static_cast<size_t>(key_len) > ext_end - pos) return Bad("bad extFields key length");
    std::string key(p + pos, static_cast<size_t>(key_len));
    pos += static_cast<size_t>(key_len);
    if (ext_end - pos < 4) return Bad("truncated extFields value length");
    auto val_len = static_cast<int32_t>(GetBE32(p + pos));
    pos += 4;
    if (val_len < 0 || static_cast<size_t>(val_len) > ext_end - pos) return Bad("bad extFields value length");
    cmd->ext.Append(std::move(key), std::string(p + pos, static_cast<size_t>(val_len)));
    pos += static_cast<size_t>(val_len);
  }
  // Bytes after the extFields block are ignored, as Java does.
  return Status::OK();
}

}  // namespace sprocket::protocol::detail
