#pragma once

// The transport's listener: a CAF io broker that opens one TCP listener per
// P2P_LISTEN_ADDR and accepts connections.
//
// Seam to the connection stack: every accepted connection is handed to a
// `connection_factory`. Until the libp2p connection stack (multistream,
// Noise, yamux, identify/ping) is wired in, the default factory logs the
// connection and closes it; the stack's factory will `fork` the connection
// into a per-connection peer actor instead.
//
// The listener is an untyped broker (a typed broker would have to list CAF's
// connection events in its public interface); the spawn function hands it
// out as a transport_actor, whose handlers it implements.
//
// Restarts: the first instance records the ports it bound; a restarted
// instance binds the same ports again, so addresses printed at start-up stay
// valid even for `tcp/0` listeners.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/io/broker.hpp>
#include <caf/io/connection_handle.hpp>
#include <caf/meta/type_name.hpp>

#include "canswarm/actors/interfaces.hpp"
#include "canswarm/actors/supervisor.hpp"
#include "canswarm/error.hpp"
#include "canswarm/multiformats/multiaddr.hpp"
#include "canswarm/net/tcp_listen.hpp"
#include "canswarm/strong_id.hpp"

namespace canswarm {

/// What the listener knows about an accepted connection.
struct accepted_connection {
  /// Node-wide id of the connection (unique per listener instance).
  conn_id id;
  /// Remote numeric address and port.
  std::string remote_host;
  std::uint16_t remote_port = 0;
  /// The listen address (multiaddr text) that accepted it.
  std::string local_addr;
};

/// Takes ownership of an accepted connection: close it, or move it to a new
/// broker with `self->fork(...)`.
using connection_factory = std::function<void(caf::io::broker* self,
                                              caf::io::connection_handle hdl,
                                              const accepted_connection& info)>;

/// The factory used until the connection stack exists: logs and closes.
connection_factory closing_connection_factory();

/// Configuration of a listener.
struct listener_config {
  /// P2P_LISTEN_ADDR entries; each /ip4|ip6/<addr>/tcp/<port>.
  std::vector<multiaddr> listen_addrs;
  /// Receives accepted connections; empty = closing_connection_factory().
  connection_factory factory;
  /// Ports bound by an earlier instance (shared across restarts; filled by
  /// the first instance). Null = always bind the configured ports.
  std::shared_ptr<std::vector<std::uint16_t>> sticky_ports;

  /// Checks the number of addresses and that each is a TCP address.
  result<void> validate() const;
};

/// One open listener.
struct bound_listener {
  caf::io::accept_handle hdl;
  net::tcp_endpoint bound;
};

/// State of the listener broker.
struct listener_state {
  /// CAF actor name.
  static inline const char* name = "listener";

  std::vector<bound_listener> listeners;
  /// Dialable addresses (wildcards expanded, port 0 resolved).
  std::vector<std::string> addresses;
  /// Connections accepted by this instance.
  std::uint64_t accepted = 0;
  connection_factory factory;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, listener_state& x) {
  return f(caf::meta::type_name("listener_state"), x.addresses, x.accepted);
}

/// The listener's behaviour; binds during initialisation and terminates with
/// actor_errc::listen_failed if any address cannot be bound.
caf::behavior listener(caf::io::stateful_broker<listener_state>* self,
                       listener_config cfg);

/// Returns a supervisor spawn function for a listener (spawned on the
/// middleman, which the actor system must load).
spawn_function listener_spawner(listener_config cfg);

} // namespace canswarm
