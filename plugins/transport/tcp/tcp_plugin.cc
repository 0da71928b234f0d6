// transport/tcp: the plugin's entry point. Reads the options, validates them, and builds a
// TcpTransport. Options are documented in README.md beside this file.
#include <charconv>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/host.h"
#include "sprocket/plugin/transport.h"
#include "../common/transport_util.h"
#include "tcp_transport.h"

namespace {

using sprocket::PluginHost;
using sprocket::Result;
using sprocket::Status;
using sprocket::Transport;
using sprocket::transport_common::ParsePort;


Result<std::unique_ptr<Transport>> Build(PluginHost& host) {
  const std::string address = host.Option("bindAddress").value_or("0.0.0.0");
  boost::system::error_code ec;
  boost::asio::ip::make_address(address, ec);
  if (ec) {
    return Status::InvalidArgument("tcp: bindAddress \"" + address +
                                   "\" is not an IPv4 or IPv6 address");
  }

  std::vector<sprocket::tcp::ListenSpec> specs;
  const std::optional<std::string> main_port = host.Option("listenPort");
  if (!main_port) return Status::InvalidArgument("tcp: listenPort is not set");
  const std::optional<uint16_t> port = ParsePort(*main_port);
  if (!port) {
    return Status::InvalidArgument("tcp: listenPort \"" + *main_port + "\" is not a port number");
  }
  specs.push_back({"main", address, *port});

  // The broker's VIP channel: same handlers on another port (the kernel refuses pulls there).
  if (const std::optional<std::string> vip = host.Option("vipListenPort")) {
    const std::optional<uint16_t> vip_port = ParsePort(*vip);
    if (!vip_port) {
      return Status::InvalidArgument("tcp: vipListenPort \"" + *vip + "\" is not a port number");
    }
    specs.push_back({"vip", address, *vip_port});
  }

  if (host.IoThreads() == 0) return Status::InvalidArgument("tcp: the host has no io threads");
  if (host.MaxFrameBytes() < 8) {
    return Status::InvalidArgument("tcp: MaxFrameBytes " + std::to_string(host.MaxFrameBytes()) +
                                   " is too small for any frame");
  }
  return std::unique_ptr<Transport>(
      std::make_unique<sprocket::tcp::TcpTransport>(host, std::move(specs)));
}

// The factory: nothing may throw across the plugin boundary.
Result<std::unique_ptr<Transport>> CreateTcpTransport(PluginHost& host) {
  try {
    return Build(host);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("tcp: ") + e.what());
  } catch (...) {
    return Status::InvalidArgument("tcp: unknown error while creating the transport");
  }
}

// listenPort is a kernel key; it is listed because this plugin reads it too.
const char* const kOptionKeys[] = {"bindAddress", "listenPort", "vipListenPort", nullptr};

}  // namespace

SPROCKET_PLUGIN(transport, "tcp", "0.1.0", kOptionKeys, CreateTcpTransport)
