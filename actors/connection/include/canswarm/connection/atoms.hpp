#pragma once

// Atoms of the connection stack (CAF 0.17 atoms: at most 10 characters). To
// be merged into actors/include/canswarm/actors/atoms.hpp.

#include <caf/atom.hpp>

namespace canswarm {

// -- swarm requests -----------------------------------------------------------

/// Dials a peer.
using dial_atom = caf::atom_constant<caf::atom("dial")>;

/// Closes every connection to a peer.
using disconnect_atom = caf::atom_constant<caf::atom("disconnect")>;

/// Lists the connected peers.
using peers_atom = caf::atom_constant<caf::atom("peers")>;

/// Asks for what Identify told us about a peer.
using peer_info_atom = caf::atom_constant<caf::atom("peerinfo")>;

/// Pings a peer (/ipfs/ping/1.0.0).
using ping_atom = caf::atom_constant<caf::atom("ping")>;

/// Opens an application stream.
using open_stream_atom = caf::atom_constant<caf::atom("openstream")>;

/// Registers the handler of application protocols.
using set_handler_atom = caf::atom_constant<caf::atom("sethandler")>;

/// Subscribes to connection events.
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;

/// Replaces the listen addresses announced in Identify.
using listen_addrs_atom = caf::atom_constant<caf::atom("listenaddr")>;

/// Kills a peer's connection actors (fault injection, as a crash would).
using kill_peer_atom = caf::atom_constant<caf::atom("killpeer")>;

/// Lists connections and supervised peers with their restart counts.
using peer_conns_atom = caf::atom_constant<caf::atom("peerconns")>;

// -- stream owner -> peer connection ------------------------------------------

/// Writes bytes on a stream (answered once the muxer accepted them all).
using stream_write_atom = caf::atom_constant<caf::atom("swrite")>;

/// Acknowledges received bytes: grants the remote window credit.
using stream_ack_atom = caf::atom_constant<caf::atom("sack")>;

/// Half-closes a stream.
using stream_close_atom = caf::atom_constant<caf::atom("sclose")>;

/// Resets a stream.
using stream_reset_atom = caf::atom_constant<caf::atom("sreset")>;

// -- internal (swarm <-> peer connection, timers)
// ------------------------------

/// A connection asks the swarm for admission.
using admit_atom = caf::atom_constant<caf::atom("admit")>;

/// The swarm tells a connection to close.
using close_atom = caf::atom_constant<caf::atom("close")>;

/// Replaces a connection's application protocol handlers.
using handlers_atom = caf::atom_constant<caf::atom("handlers")>;

/// A peer connection's timer.
using tick_atom = caf::atom_constant<caf::atom("conntick")>;

/// A dial's deadline.
using dial_timeout_atom = caf::atom_constant<caf::atom("dialtmo")>;

/// The backoff before redialling a peer whose connection died passed.
using redial_atom = caf::atom_constant<caf::atom("redial")>;

} // namespace canswarm
