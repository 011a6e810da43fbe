#pragma once

// The p2pd-compatible control API of the node (libp2p daemon control
// protocol, go-libp2p-daemon specs/CONTROL.md): a CAF io broker listening
// on the control address (P2P_CONTROL_ADDR: /ip4|ip6/<host>/tcp/<port> or
// /unix/<path>); every control connection is forked into its own broker.
//
// Requests served (one after the other on each connection, as many as the
// client sends, up to max_requests_per_connection):
//   IDENTIFY        our peer id and listen addresses (see requests.hpp)
//   CONNECT         swarm dial of the given peer on the given addresses
//   DISCONNECT      closes every connection to the peer
//   LIST_PEERS      connected peers with their remote addresses
//   STREAM_OPEN     opens a stream; after the OK response (with StreamInfo)
//                   the control connection carries the raw stream bytes
//   STREAM_HANDLER  inbound streams on the protocols are bridged to the
//                   client's listener: one framed StreamInfo, then raw bytes
//   PUBSUB          (go-libp2p-daemon specs/PUBSUB.md) through the pub/sub
//                   actor server_config::pubsub locates:
//     GET_TOPICS    the topics we subscribe to (PSResponse.topics)
//     LIST_PEERS    the peers known to subscribe to the topic
//                   (PSResponse.peerIDs; no topic: every pub/sub peer)
//     PUBLISH       OK once the actor published the data on the topic
//     SUBSCRIBE     OK, then the connection carries one length-prefixed
//                   PSMessage per message delivered on the topic until the
//                   client closes it (then we unsubscribe) or the pub/sub
//                   actor stops (then we close it). Bytes the client sends
//                   meanwhile are discarded, as go does. A client that does
//                   not read loses messages beyond max_subscription_backlog
//                   (counted, logged once per connection).
//                   Without pub/sub every PUBSUB request is answered ERROR
//                   "pub/sub is not enabled".
//                   Thread topics (/swarm/thread/...) go through the
//                   envelope bus server_config::bus locates, when there is
//                   one: PUBLISH runs the gate's preflight and goes to the
//                   primary transport (or the fallback), SUBSCRIBE delivers
//                   the topic's verified envelopes from P2P and NATS, each
//                   once. PSRequest.canswarmRaw (canswarm extension) sends a
//                   PUBLISH straight to gossipsub instead (logged).
//   CANSWARM_INSPECT (canswarm extension, inspect.hpp): the live actor tree
//                   (JSON, or text), optionally after killing one actor
//                   (loopback / unix control API only).
//   DHT, CONNMANAGER, PEERSTORE: ERROR "unsupported: <TYPE> is not
//                   implemented yet"
// A request that does not decode is answered with ERROR (the connection
// stays usable: its frame was intact); a broken frame (bad or oversize
// length prefix) is answered with ERROR and the connection is closed.
//
// Deviations from go p2pd:
//  - A client that half-closes a bridged socket ends the bridge: CAF 0.17
//    reports a half-close as a closed connection, so the stream is closed
//    for writing and later stream data is discarded. Send FIN only when
//    nothing more is expected back.
//  - A reset stream closes the socket with FIN (CAF 0.17 cannot send RST).
//
// Binding: loopback unless configured otherwise; any other address logs a
// warning (the control API gives full control of the node).

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>

#include "canswarm/actors/supervisor.hpp"
#include "canswarm/bus/bus.hpp"
#include "canswarm/connection/swarm.hpp"
#include "canswarm/control/interfaces.hpp"
#include "canswarm/error.hpp"
#include "canswarm/pubsub/pubsub.hpp"

namespace canswarm::control {

/// Configuration of the control server.
struct server_config {
  /// P2P_CONTROL_ADDR.
  multiaddr control_addr;
  /// The swarm; when invalid, the swarm `locator` holds at spawn time.
  swarm_actor swarm;
  /// Where to find the swarm when `swarm` is invalid (supervised restarts).
  std::shared_ptr<swarm_locator> locator;
  /// Our peer id (IDENTIFY).
  peer_id self;
  /// The transport's dialable listen addresses (IDENTIFY; may be empty).
  std::vector<multiaddr> listen_addrs;
  /// P2P_CONNECTION_TIMEOUT: timeout of CONNECT and STREAM_OPEN requests
  /// that give none.
  caf::timespan connection_timeout = std::chrono::seconds{30};
  /// The running pub/sub service (null: the node runs without pub/sub and
  /// PUBSUB requests are answered with ERROR "pub/sub is not enabled").
  std::shared_ptr<pubsub_locator> pubsub;
  /// The envelope ingress gate (CANSWARM_STATS reports its counters; null:
  /// none).
  std::shared_ptr<ingress_gate> gate;
  /// The envelope bus (null: thread topics go straight to pub/sub).
  std::shared_ptr<bus_locator> bus;
  /// The root supervisor, for CANSWARM_INSPECT (null: not available).
  std::shared_ptr<actor_locator<supervisor_actor>> root;
  /// The address bound by the first instance (filled by it), so a restarted
  /// server binds the same port. Null: always bind `control_addr`.
  std::shared_ptr<multiaddr> sticky_bound;

  /// Checks the address kind (tcp or unix), our peer id, the swarm (or
  /// locator) and the timeout.
  result<void> validate() const;
};

/// A started control server.
struct started_server {
  control_actor actor;
  /// The bound control address (port 0 resolved), e.g. for the
  /// `Control socket: <multiaddr>` line.
  multiaddr bound;
};

/// Validates `cfg`, spawns the server and waits (at most `timeout`) until
/// it is bound. Errors name the address and the OS reason. Blocks the
/// caller: call it from main, not from an actor.
result<started_server>
start_control_server(caf::actor_system& sys, server_config cfg,
                     caf::timespan timeout = std::chrono::seconds{10});

/// Returns a supervisor spawn function for the server (spawned on the
/// middleman; it terminates with actor_errc::listen_failed if it cannot
/// bind). Ask it for addresses_atom to learn the bound address.
spawn_function control_spawner(server_config cfg);

/// Registers the control API's message types with `cfg` (in addition to
/// add_message_types and add_connection_message_types).
void add_control_message_types(caf::actor_system_config& cfg);

} // namespace canswarm::control
