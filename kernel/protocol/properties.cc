// The message properties string (PROTOCOL.md §5.2): key\x01value\x02key\x01value...
//
// Decoding follows Java 4.9.8's MessageDecoder.string2messageProperties: a trailing \x02
// (Java 4.4, cpp, ali-ons) is fine, entries with an empty key, an empty value or no
// \x01 are dropped, and a repeated key keeps its last value.
#include "sprocket/protocol/message.h"

namespace sprocket::protocol {

namespace {
constexpr char kNameValueSeparator = '\x01';
constexpr char kPropertySeparator = '\x02';
}  // namespace

MessageProperties MessageProperties::Decode(std::string_view encoded) {
  MessageProperties props;
  size_t pos = 0;
  while (pos < encoded.size()) {
    size_t next = encoded.find(kPropertySeparator, pos);
    if (next == std::string_view::npos) next = encoded.size();
    std::string_view entry = encoded.substr(pos, next - pos);
    size_t sep = entry.find(kNameValueSeparator);
    if (sep != std::string_view::npos && sep > 0 && sep + 1 < entry.size()) {
      props.Set(entry.substr(0, sep), std::string(entry.substr(sep + 1)));
    }
    pos = next + 1;
  }
  return props;
}

std::string MessageProperties::Encode() const {
  size_t size = 0;
  for (const auto& [k, v] : items_) size += k.size() + v.size() + 2;
  std::string out;
  out.reserve(size);
  for (const auto& [k, v] : items_) {
    if (!out.empty()) out.push_back(kPropertySeparator);
    out.append(k);
    out.push_back(kNameValueSeparator);
    out.append(v);
  }
  return out;
}

const std::string* MessageProperties::Find(std::string_view key) const {
  for (const auto& item : items_) {
    if (item.first == key) return &item.second;
  }
  return nullptr;
}

std::string_view MessageProperties::Get(std::string_view key, std::string_view fallback) const {
  const std::string* v = Find(key);
  return v ? std::string_view(*v) : fallback;
}

void MessageProperties::Set(std::string_view key, std::string value) {
  for (auto& item : items_) {
    if (item.first == key) {
      item.second = std::move(value);
      return;
    }
  }
  items_.emplace_back(std::string(key), std::move(value));
}

bool MessageProperties::Erase(std::string_view key) {
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (it->first == key) {
      items_.erase(it);
      return true;
    }
  }
  return false;
}

bool PropertiesView::Parse(std::string_view encoded) {
  count_ = 0;
  size_t pos = 0;
  while (pos < encoded.size()) {
    size_t next = encoded.find(kPropertySeparator, pos);
    if (next == std::string_view::npos) next = encoded.size();
    std::string_view entry = encoded.substr(pos, next - pos);
    size_t sep = entry.find(kNameValueSeparator);
    if (sep == std::string_view::npos || sep == 0 || sep + 1 >= entry.size()) return false;
    if (count_ == kMaxEntries) return false;
    std::string_view key = entry.substr(0, sep);
    for (size_t i = 0; i < count_; ++i) {
      if (entries_[i].first == key) return false;
    }
    entries_[count_++] = {key, entry.substr(sep + 1)};
    pos = next + 1;
  }
  return true;
}

std::string_view PropertiesView::Get(std::string_view key, std::string_view fallback) const {
  for (size_t i = 0; i < count_; ++i) {
    if (entries_[i].first == key) return entries_[i].second;
  }
  return fallback;
}

}  // namespace sprocket::protocol
