#pragma once

// The TCP dialer: resolves /ip4, /ip6, /dns4, /dns6 and /dns addresses and
// connects with a deadline. CAF 0.17 connects blocking, so the swarm runs
// each dial in a detached dial worker (a blocking actor with its own
// thread) that uses a non-blocking connect + poll() and hands the connected
// socket back; the swarm gives it to a new peer_connection broker.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "canswarm/connection/messages.hpp"
#include "canswarm/error.hpp"
#include "canswarm/multiformats/multiaddr.hpp"
#include "canswarm/strong_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm {

/// Dials connecting at the same time: each holds a thread while it
/// connects, and the machine's thread budget is small.
inline constexpr std::size_t max_concurrent_dials = 16;

/// Dials waiting for a free slot before new ones are refused.
inline constexpr std::size_t max_queued_dials = 256;

/// Addresses one dial may try (a peer announces a handful).
inline constexpr std::size_t max_dial_addrs = 16;

/// Resolved addresses tried per DNS name.
inline constexpr std::size_t max_resolved_addrs = 8;

/// Where to connect for one multiaddr.
struct tcp_target {
  std::string host; ///< Numeric IP, or a DNS name when `resolve`.
  std::uint16_t port = 0;
  int family = 0; ///< AF_INET, AF_INET6 or AF_UNSPEC (/dns).
  bool resolve = false;
};

/// Extracts the target of /ip4|ip6|dns4|dns6|dns/<host>/tcp/<port>, with an
/// optional trailing /p2p/<id>. Anything else is errc::unsupported naming
/// the address.
result<tcp_target> tcp_target_of(const multiaddr& addr);

/// A connected, non-blocking TCP socket (TCP_NODELAY set).
struct connected_socket {
  int fd = -1;
  multiaddr remote; ///< /ip4|ip6/<numeric>/tcp/<port>.
};

/// Resolves and connects to `addr`, giving up at `deadline`. Blocks the
/// calling thread. Errors name the address and the OS reason.
result<connected_socket> connect_tcp(const multiaddr& addr,
                                     time_point deadline);

/// Tries `addrs` in order until one connects; the error lists every
/// address's failure.
result<connected_socket> connect_any(const std::vector<multiaddr>& addrs,
                                     time_point deadline);

/// The dial worker: connects, sends a dial_outcome to `swarm` and ends.
void dial_worker(caf::blocking_actor* self, caf::actor swarm, request_id req,
                 std::vector<multiaddr> addrs, time_point deadline);

} // namespace canswarm
