// transport/websocket: the plugin's entry point. Reads the options, validates them, and
// builds a WsTransport. Options are documented in README.md beside this file.
#include <charconv>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>

#include "sprocket/plugin/abi.h"
#include "sprocket/plugin/host.h"
#include "sprocket/plugin/transport.h"
#include "../common/transport_util.h"
#include "ws_transport.h"

namespace {

using sprocket::PluginHost;
using sprocket::Result;
using sprocket::Status;
using sprocket::Transport;
using sprocket::transport_common::ParsePort;


// An absolute path of printable characters without a query: what a request target is
// compared with.
bool ValidPath(const std::string& path) {
  if (path.empty() || path.front() != '/') return false;
  for (char c : path) {
    if (c <= ' ' || c == '?' || c == '#' || c == 0x7F) return false;
  }
  return true;
}

Result<std::unique_ptr<Transport>> Build(PluginHost& host) {
  sprocket::ws::WsOptions options;
  const std::optional<std::string> port_text = host.Option("websocketListenPort");
  if (!port_text) {
    return Status::InvalidArgument(
        "websocket: websocketListenPort is not set (the port WebSocket clients connect to; "
        "0 picks a free one)");
  }
  const std::optional<uint16_t> port = ParsePort(*port_text);
  if (!port) {
    return Status::InvalidArgument("websocket: websocketListenPort \"" + *port_text +
                                   "\" is not a port number");
  }
  options.port = *port;

  // Its own address if given, else the one the tcp transport binds, else every interface.
  const char* address_key = "websocketBindAddress";
  std::optional<std::string> address = host.Option(address_key);
  if (!address) {
    address_key = "bindAddress";
    address = host.Option(address_key);
  }
  options.address = address.value_or("0.0.0.0");
  boost::system::error_code ec;
  boost::asio::ip::make_address(options.address, ec);
  if (ec) {
    return Status::InvalidArgument(std::string("websocket: ") + address_key + " \"" + options.address +
                                   "\" is not an IPv4 or IPv6 address");
  }

  options.path = host.Option("websocketPath").value_or("/");
  if (!ValidPath(options.path)) {
    return Status::InvalidArgument("websocket: websocketPath \"" + options.path +
                                   "\" is not an absolute path such as / or /rocketmq");
  }

  if (host.IoThreads() == 0) return Status::InvalidArgument("websocket: the host has no io threads");
  if (host.MaxFrameBytes() < 8) {
    return Status::InvalidArgument("websocket: MaxFrameBytes " + std::to_string(host.MaxFrameBytes()) +
                                   " is too small for any frame");
  }
  return std::unique_ptr<Transport>(std::make_unique<sprocket::ws::WsTransport>(host, std::move(options)));
}

// The factory: nothing may throw across the plugin boundary.
Result<std::unique_ptr<Transport>> CreateWsTransport(PluginHost& host) {
  try {
    return Build(host);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("websocket: ") + e.what());
  } catch (...) {
    return Status::InvalidArgument("websocket: unknown error while creating the transport");
  }
}

// bindAddress is a kernel key; it is listed because this plugin falls back to it.
const char* const kOptionKeys[] = {"websocketListenPort", "websocketBindAddress", "websocketPath",
                                   "bindAddress", nullptr};

}  // namespace

SPROCKET_PLUGIN(transport, "websocket", "0.1.0", kOptionKeys, CreateWsTransport)
