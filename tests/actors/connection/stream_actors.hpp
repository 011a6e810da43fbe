#pragma once

// Stream owners for the connection tests: an echo handler, a sink that
// checks the transfer pattern and answers with the byte count (like
// tests/interop/js/peer.mjs's /canswarm/sink/1.0.0), and a client that
// writes a payload on an opened stream and collects what comes back.
// Plus a fixture with a real actor system (brokers need the middleman) and
// a node = swarm + listener on 127.0.0.1.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/scoped_actor.hpp>

#include "canswarm/connection/interfaces.hpp"
#include "canswarm/connection/swarm.hpp"

namespace canswarm::test {

/// Starts a client transfer: (transfer_atom, stream_ref, bytes payload,
/// uint64 expected_back) -> bytes received.
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;

/// Asks a sink for (bytes received, pattern mismatches, streams done).
using stats_atom = caf::atom_constant<caf::atom("stats")>;

/// The transfer pattern: byte i = (i * 31 + 7) & 0xff.
bytes pattern(std::size_t size, std::size_t offset = 0);

/// Echoes every byte back, then closes when the remote closes.
caf::actor spawn_echo_handler(caf::actor_system& sys);

/// Reads until the remote closes, checking the pattern; answers with the
/// count as 8 bytes big-endian, then closes. (stats_atom) -> (uint64
/// received, uint64 mismatches, uint64 finished streams).
/// With `ack` false the sink never acknowledges (a stalled owner).
caf::actor spawn_sink_handler(caf::actor_system& sys, bool ack = true);

/// Writes a payload in 256 KiB pieces (a few writes in flight),
/// half-closes, and answers the transfer request with what came back once
/// `expected` bytes arrived and the remote closed. (stats_atom) ->
/// (uint64 received, bool remote closed, uint64 accepted by the
/// connection, int writes in flight, bool FIN sent).
caf::actor spawn_client(caf::actor_system& sys);

/// A real actor system with the middleman and every message type.
struct io_config : caf::actor_system_config {
  io_config();
};

/// A swarm with a listener on 127.0.0.1 (port chosen by the OS).
struct test_node {
  std::shared_ptr<const identity::private_key> key;
  peer_id id;
  swarm_actor swarm;
  transport_actor transport;
  std::vector<std::string> listen; ///< Multiaddr text without /p2p.

  /// The first listen address with /p2p/<id> appended.
  multiaddr dial_addr() const;
};

/// Starts a node; `max_connections`, `timeout` and the upgrade preference
/// lists go to the swarm.
test_node start_node(
  caf::actor_system& sys, caf::scoped_actor& self,
  std::size_t max_connections = 100,
  caf::timespan timeout = std::chrono::seconds{10},
  std::vector<connection::security_kind> security = connection::
    default_security,
  std::vector<connection::muxer_kind> muxers = connection::default_muxers);

/// Stops a node's swarm and listener.
void stop_node(caf::scoped_actor& self, test_node& n);

} // namespace canswarm::test
