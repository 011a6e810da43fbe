#pragma once

// Typed actor interfaces of the connection stack, one comment line per
// handler. To be merged into actors/include/canswarm/actors/interfaces.hpp.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "canswarm/actors/interfaces.hpp"
#include "canswarm/connection/atoms.hpp"
#include "canswarm/connection/messages.hpp"

namespace canswarm {

/// The owner of application streams (a protocol handler, or whoever opened
/// the stream). See messages.hpp for the protocol.
using stream_handler_actor = caf::typed_actor<
  // The remote opened a stream for a protocol this actor handles.
  caf::reacts_to<stream_opened>,
  // Bytes arrived; acknowledge them with stream_ack_atom once processed.
  caf::reacts_to<stream_data>,
  // The remote half-closed the stream.
  caf::reacts_to<stream_closed>,
  // The stream is gone.
  caf::reacts_to<stream_reset>>;

/// Receives connection up/down events from the swarm.
using connection_event_actor = caf::typed_actor<
  // A connection came up or went down.
  caf::reacts_to<connection_event>>;

/// One libp2p connection (a CAF io broker implementing these handlers).
using peer_connection_actor = component_actor::extend<
  // Pings the remote over /ipfs/ping/1.0.0; returns the round-trip time.
  caf::replies_to<ping_atom>::with<caf::timespan>,
  // Opens a stream owned by the given actor (invalid: the requester).
  caf::replies_to<open_stream_atom, std::vector<std::string>, caf::timespan,
                  stream_handler_actor>::with<stream_ref>,
  // Writes on a stream; answers the byte count once the muxer took it all.
  caf::replies_to<stream_write_atom, stream_id, bytes>::with<std::uint64_t>,
  // The owner processed n received bytes: grant the remote credit for them.
  caf::reacts_to<stream_ack_atom, stream_id, std::uint64_t>,
  // Half-closes a stream.
  caf::reacts_to<stream_close_atom, stream_id>,
  // Resets a stream.
  caf::reacts_to<stream_reset_atom, stream_id>,
  // Closes the connection with the given reason.
  caf::reacts_to<close_atom, std::string>,
  // Replaces the application protocol handlers.
  caf::reacts_to<handlers_atom, std::vector<handler_entry>>,
  // Replaces the listen addresses announced in Identify (binary multiaddrs).
  caf::reacts_to<listen_addrs_atom, std::vector<bytes>>>;

/// The swarm: the node's registry of libp2p connections.
using swarm_actor = component_actor::extend<
  // Dials a peer; returns its authenticated id.
  caf::replies_to<dial_atom, dial_request>::with<peer_id>,
  // Closes every connection to a peer; returns how many were closed.
  caf::replies_to<disconnect_atom, peer_id>::with<std::uint64_t>,
  // Lists the live (upgraded) connections.
  caf::replies_to<peers_atom>::with<std::vector<peer_entry>>,
  // Returns what Identify told us about a peer.
  caf::replies_to<peer_info_atom, peer_id>::with<peer_info>,
  // Pings a connected peer; returns the round-trip time.
  caf::replies_to<ping_atom, peer_id>::with<caf::timespan>,
  // Opens a stream to a connected peer, owned by the given actor (invalid:
  // the requester), negotiating the first protocol the peer supports.
  caf::replies_to<open_stream_atom, peer_id, std::vector<std::string>,
                  caf::timespan, stream_handler_actor>::with<stream_ref>,
  // Makes an actor the handler of inbound streams for protocols (an invalid
  // handle removes them); returns the number of protocols now handled.
  caf::replies_to<set_handler_atom, std::vector<std::string>,
                  stream_handler_actor>::with<std::uint64_t>,
  // Sends connection events to an actor until it terminates.
  caf::reacts_to<subscribe_atom, connection_event_actor>,
  // Replaces the listen addresses announced in Identify.
  caf::reacts_to<listen_addrs_atom, std::vector<multiaddr>>,
  // Kills every connection actor of a peer with exit reason kill (fault
  // injection: an abnormal death, as a crash); returns the killed ones.
  caf::replies_to<kill_peer_atom, peer_id>::with<std::vector<conn_id>>,
  // Lists the live connections and the peers being redialled (or given up)
  // with their restart and death counts.
  caf::replies_to<peer_conns_atom>::with<std::vector<peer_connection_info>>,
  // Internal: a connection asks for admission and its settings.
  caf::replies_to<admit_atom, admission_request>::with<admission>,
  // Internal: a connection finished its upgrade.
  caf::reacts_to<connection_up>,
  // Internal: a connection closed.
  caf::reacts_to<connection_down>,
  // Internal: a connection received an Identify.
  caf::reacts_to<identify_update>,
  // Internal: a dial worker connected (or failed).
  caf::reacts_to<dial_outcome>,
  // Internal: a dial's deadline passed.
  caf::reacts_to<dial_timeout_atom, request_id>,
  // Internal: the backoff before redialling a peer passed.
  caf::reacts_to<redial_atom, peer_id>>;

} // namespace canswarm
