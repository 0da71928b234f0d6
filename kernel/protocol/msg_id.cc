// Message ids (PROTOCOL.md §6) and the tag hash (§7.1).
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>
#include <random>

#include "protocol/byte_order.h"
#include "sprocket/protocol/message.h"

namespace sprocket::protocol {

namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

void AppendHex(std::string* out, const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    out->push_back(kUpperHex[p[i] >> 4]);
    out->push_back(kUpperHex[p[i] & 0xF]);
  }
}

bool ParseHex(std::string_view hex, unsigned char* out) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i / 2] = static_cast<unsigned char>((hi << 4) | lo);
  }
  return true;
}

// The first non-loopback IPv4 address of this host (what Java's UtilAll.getIP prefers),
// else 127.0.0.1.
std::array<unsigned char, 4> LocalIpv4() {
  std::array<unsigned char, 4> ip = {127, 0, 0, 1};
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return ip;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    const auto* sin = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
    const auto* b = reinterpret_cast<const unsigned char*>(&sin->sin_addr.s_addr);
    if (b[0] == 127) continue;
    std::memcpy(ip.data(), b, 4);
    break;
  }
  freeifaddrs(list);
  return ip;
}

// The per-process part of a unique id: ip | int16 pid | int32 random. Java puts the class
// loader's hash where we put a random number; either way it only has to differ between
// processes on one host.
struct UniqIdPrefix {
  std::string hex;  // 20 hex chars
  UniqIdPrefix() {
    unsigned char b[10];
    auto ip = LocalIpv4();
    std::memcpy(b, ip.data(), 4);
    detail::PutBE16(reinterpret_cast<char*>(b + 4), static_cast<uint16_t>(getpid()));
    detail::PutBE32(reinterpret_cast<char*>(b + 6), std::random_device{}());
    AppendHex(&hex, b, sizeof(b));
  }
};

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Java MessageClientIDSetter keeps [start of this month, start of next month) in local
// time and writes the milliseconds since the start. Recomputed when a month ends.
class MonthWindow {
 public:
  int32_t MillisSinceMonthStart(int64_t now) {
    if (now >= next_.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lock(mu_);
      if (now >= next_.load(std::memory_order_relaxed)) Reset(now);
    }
    // Java narrows to int the same way; late in a 31-day month this wraps negative.
    return static_cast<int32_t>(now - start_.load(std::memory_order_acquire));
  }

 private:
  void Reset(int64_t now) {
    time_t secs = static_cast<time_t>(now / 1000);
    tm local{};
    localtime_r(&secs, &local);
    local.tm_mday = 1;
    local.tm_hour = local.tm_min = local.tm_sec = 0;
    local.tm_isdst = -1;
    tm next = local;
    start_.store(static_cast<int64_t>(mktime(&local)) * 1000, std::memory_order_release);
    next.tm_mon += 1;  // mktime normalises December + 1
    next_.store(static_cast<int64_t>(mktime(&next)) * 1000, std::memory_order_release);
  }

  std::mutex mu_;
  std::atomic<int64_t> start_{0};
  std::atomic<int64_t> next_{0};
};

}  // namespace

std::string EncodeOffsetMsgId(const HostAddress& store_host, LogPosition position) {
  unsigned char b[28];
  size_t n = store_host.v6 ? 16 : 4;
  std::memcpy(b, store_host.ip.data(), n);
  detail::PutBE32(reinterpret_cast<char*>(b + n), static_cast<uint32_t>(store_host.port));
  detail::PutBE64(reinterpret_cast<char*>(b + n + 4), static_cast<uint64_t>(position.value));
  std::string out;
  out.reserve((n + 12) * 2);
  AppendHex(&out, b, n + 12);
  return out;
}

Result<std::pair<HostAddress, LogPosition>> DecodeOffsetMsgId(std::string_view id) {
  // The length decides the address family, as in Java's MessageDecoder.decodeMessageId.
  if (id.size() != 32 && id.size() != 56) {
    return Status::InvalidArgument("offset msgId must be 32 or 56 hex chars: '" + std::string(id) + "'");
  }
  unsigned char b[28];
  if (!ParseHex(id, b)) return Status::InvalidArgument("offset msgId is not hex: '" + std::string(id) + "'");
  HostAddress host;
  host.v6 = id.size() == 56;
  size_t n = host.v6 ? 16 : 4;
  std::memcpy(host.ip.data(), b, n);
  host.port = static_cast<int32_t>(detail::GetBE32(reinterpret_cast<const char*>(b + n)));
  auto offset = static_cast<int64_t>(detail::GetBE64(reinterpret_cast<const char*>(b + n + 4)));
  return std::make_pair(host, LogPosition(offset));
}

std::string NewUniqueMessageId() {
  static const UniqIdPrefix prefix;
  static MonthWindow window;
  static std::atomic<uint16_t> counter{0};
  unsigned char tail[6];
  detail::PutBE32(reinterpret_cast<char*>(tail),
                  static_cast<uint32_t>(window.MillisSinceMonthStart(NowMillis())));
  detail::PutBE16(reinterpret_cast<char*>(tail + 4), counter.fetch_add(1, std::memory_order_relaxed));
  std::string out;
  out.reserve(32);
  out.append(prefix.hex);
  AppendHex(&out, tail, sizeof(tail));
  return out;
}

int32_t JavaStringHash(std::string_view utf8) {
  // Java hashes UTF-16 code units; decode UTF-8 on the fly. Malformed input hashes as
  // U+FFFD per maximal ill-formed subsequence, which is how new String(bytes, UTF_8)
  // would have decoded it.
  uint32_t h = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t n = utf8.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      h = 31 * h + c;
      ++i;
      continue;
    }
    size_t need;
    uint32_t cp;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2, cp = c & 0x0F;
      if (c == 0xE0) lo = 0xA0;  // no overlongs
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3, cp = c & 0x07;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;  // <= U+10FFFF
    } else {
      h = 31 * h + 0xFFFD;
      ++i;
      continue;
    }
    size_t k = 0;
    for (; k < need && i + 1 + k < n; ++k) {
      unsigned char b = s[i + 1 + k];
      if (k == 0 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) break;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (k < need) {
      h = 31 * h + 0xFFFD;
      i += 1 + k;
      continue;
    }
    i += 1 + need;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      h = 31 * h + (0xD800 + (cp >> 10));
      h = 31 * h + (0xDC00 + (cp & 0x3FF));
    } else {
      h = 31 * h + cp;
    }
  }
  return static_cast<int32_t>(h);
}

}  // namespace sprocket::protocol
