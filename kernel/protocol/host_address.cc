// HostAddress: the BORNHOST / STOREHOST of a record (PROTOCOL.md §5.1).
#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "sprocket/protocol/message.h"

namespace sprocket::protocol {

namespace {

bool ParsePort(std::string_view text, int32_t* port) {
  if (text.empty() || text.size() > 5) return false;
  int32_t v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || v < 0 || v > 65535) return false;
  *port = v;
  return true;
}

}  // namespace

Result<HostAddress> HostAddress::Parse(std::string_view host_port) {
  auto bad = [&] { return Status::InvalidArgument("not an ip:port address: '" + std::string(host_port) + "'"); };
  HostAddress addr;
  std::string host;  // inet_pton needs a terminated string
  std::string_view port;
  if (!host_port.empty() && host_port.front() == '[') {
    size_t close = host_port.find(']');
    if (close == std::string_view::npos || close + 1 >= host_port.size() || host_port[close + 1] != ':') {
      return bad();
    }
    host.assign(host_port.substr(1, close - 1));
    port = host_port.substr(close + 2);
    unsigned char buf[16];
    if (inet_pton(AF_INET6, host.c_str(), buf) != 1) return bad();
    static constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(buf, kMappedPrefix, 12) == 0) {
      std::memcpy(addr.ip.data(), buf + 12, 4);  // ::ffff:a.b.c.d is an IPv4 host
    } else {
      std::memcpy(addr.ip.data(), buf, 16);
      addr.v6 = true;
    }
  } else {
    size_t colon = host_port.rfind(':');
    if (colon == std::string_view::npos) return bad();
    host.assign(host_port.substr(0, colon));
    port = host_port.substr(colon + 1);
    if (inet_pton(AF_INET, host.c_str(), addr.ip.data()) != 1) return bad();
  }
  if (!ParsePort(port, &addr.port)) return bad();
  return addr;
}

std::string HostAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, ip.data(), buf, sizeof(buf));
  std::string out;
  out.reserve(INET6_ADDRSTRLEN + 8);
  if (v6) out.push_back('[');
  out.append(buf);
  if (v6) out.push_back(']');
  out.push_back(':');
  out.append(std::to_string(port));
  return out;
}

}  // namespace sprocket::protocol
