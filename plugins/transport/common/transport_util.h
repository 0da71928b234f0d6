// Small pieces every transport plugin needs: port parsing, peer formatting, the frame
// length prefix, and the limits both transports apply. Header-only (see session_registry.h).
#pragma once

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>

namespace sprocket::transport_common {

// After an accept error such as EMFILE, wait instead of spinning on the same error.
inline constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// Stop logs at this interval while it waits, so a stuck io thread is visible.
inline constexpr auto kStopWaitLog = std::chrono::seconds(5);
// A session's send queue may hold max(this, 4 x MaxFrameBytes) before the peer counts as
// not reading and the session is closed.
inline constexpr size_t kMinQueuedBytes = 64 * 1024 * 1024;

// A decimal port 0..65535 and nothing else ("10911", "0").
inline std::optional<uint16_t> ParsePort(const std::string& text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty() || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

// "a.b.c.d:port" or "[v6]:port"; an IPv4 peer on a dual-stack socket reads as IPv4.
inline std::string FormatPeer(const boost::asio::ip::tcp::endpoint& ep) {
  boost::asio::ip::address a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  }
  if (a.is_v6()) return "[" + a.to_string() + "]:" + std::to_string(ep.port());
  return a.to_string() + ":" + std::to_string(ep.port());
}

// The big-endian int32 at `p`: a frame's length prefix.
inline uint32_t ReadBigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}

}  // namespace sprocket::transport_common
