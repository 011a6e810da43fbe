#pragma once

// OS-level TCP listening for the transport: mapping listen multiaddrs
// (/ip4|ip6/<addr>/tcp/<port>) to sockets, opening listeners, and turning a
// wildcard listener into the concrete addresses peers can dial.
// No CAF; the listener actor hands the sockets to CAF's multiplexer.
//
// Wildcards: a listener on 0.0.0.0 is reported as one address per IPv4
// interface address (127.0.0.1 included); a listener on :: as one address
// per IPv6 interface address except link-local ones (fe80::/10 needs a zone
// id that /ip6 cannot carry). An IPv6 listener is IPv6-only (IPV6_V6ONLY), so
// 0.0.0.0 and :: can listen on the same port side by side, as in libp2p.

#include <cstdint>
#include <string>
#include <vector>

#include "canswarm/error.hpp"
#include "canswarm/multiformats/multiaddr.hpp"

namespace canswarm::net {

/// Pending-connection queue of each listener (listen(2) backlog): accepted
/// connections are handed off at once, so a short queue suffices.
inline constexpr int listen_backlog = 128;

/// Most listen addresses one node opens (P2P_LISTEN_ADDR entries).
inline constexpr std::size_t max_listeners = 16;

/// IP version of an endpoint.
enum class ip_family : std::uint8_t { v4, v6 };

/// A numeric IP address and TCP port.
struct tcp_endpoint {
  ip_family family = ip_family::v4;
  /// Numeric address text, e.g. "127.0.0.1" or "::1".
  std::string host;
  std::uint16_t port = 0;

  /// Returns whether host is 0.0.0.0 or ::.
  bool is_wildcard() const;

  /// Returns /ip4/<host>/tcp/<port> or /ip6/<host>/tcp/<port>.
  multiaddr to_multiaddr() const;

  friend bool operator==(const tcp_endpoint&, const tcp_endpoint&) = default;
};

/// Extracts the endpoint of a listen address. Accepts exactly
/// /ip4/<a>/tcp/<p> and /ip6/<a>/tcp/<p>; anything else (dns, udp, quic, ws,
/// p2p-circuit, ...) is errc::unsupported naming the address.
result<tcp_endpoint> tcp_endpoint_of(const multiaddr& addr);

/// A bound, listening, non-blocking socket.
struct listen_socket {
  int fd = -1;
  /// The bound endpoint (port 0 resolved to the port the kernel chose).
  tcp_endpoint bound;
};

/// Opens a listener (SO_REUSEADDR; IPV6_V6ONLY for IPv6; close-on-exec;
/// non-blocking). Errors are errc::io naming the endpoint and the OS reason.
result<listen_socket> open_tcp_listener(const tcp_endpoint& where);

/// Closes a socket returned by open_tcp_listener (if it was not handed off).
void close_socket(int fd);

/// Returns the numeric addresses of the up interfaces of `family`
/// (loopback included, IPv6 link-local excluded), without duplicates.
std::vector<std::string> interface_addresses(ip_family family);

/// Expands a bound endpoint into dialable endpoints: itself if it is
/// concrete, else one per address in `interfaces` (or the loopback address
/// when `interfaces` is empty).
std::vector<tcp_endpoint>
concrete_endpoints(const tcp_endpoint& bound,
                   const std::vector<std::string>& interfaces);

} // namespace canswarm::net
