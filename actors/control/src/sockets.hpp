#pragma once

// OS-level sockets of the control API: the control listener (TCP or unix)
// and connections to a client's stream-handler listener. No CAF; the
// actors hand the file descriptors to CAF's multiplexer.

#include <chrono>
#include <string>

#include "canswarm/error.hpp"
#include "canswarm/multiformats/multiaddr.hpp"

namespace canswarm::control::detail {

/// A bound, listening, non-blocking socket.
struct listen_socket {
  int fd = -1;
  /// The bound address (port 0 resolved).
  multiaddr bound;
  /// The socket file of a unix listener (removed when the server stops).
  std::string unix_path;
};

/// Opens the control listener on /ip4|ip6/<host>/tcp/<port> or
/// /unix/<path>. A stale unix socket file (nobody accepts on it) is
/// replaced; a live one is errc::refused ("in use").
result<listen_socket> open_listener(const multiaddr& addr);

/// Connects to /ip4|ip6/<host>/tcp/<port> or /unix/<path>, waiting at most
/// `timeout`; returns a connected non-blocking socket (TCP_NODELAY set).
/// Blocks the caller: call it from a detached actor.
result<int> connect_to(const multiaddr& addr,
                       std::chrono::milliseconds timeout);

/// Shuts down the write direction of a connected socket (FIN); reading
/// goes on. Returns false if `fd` is not a socket or the call failed.
bool half_close(int fd);

/// Closes a socket that was not handed to CAF.
void close_socket(int fd);

/// Removes a unix socket file (if it still is a socket).
void remove_unix_socket(const std::string& path);

} // namespace canswarm::control::detail
