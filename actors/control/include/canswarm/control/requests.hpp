#pragma once

// Conversions between control-protocol messages (canswarm::p2pd) and the
// swarm's requests and answers. No actors involved: the control connection
// validates a request here, sends the result to the swarm and turns the
// answer into a Response here.
//
// Deviations from go p2pd:
//  - LIST_PEERS lists each peer once with the remote addresses of all its
//    connections (go lists one entry per connection).
//  - IDENTIFY orders the addresses: TCP first, loopback first among them, so
//    a client on the same host dials a working address first.
//  - PUBSUB LIST_PEERS without a topic lists every pub/sub peer, as go
//    does for an empty topic (go answers ERROR without the field).
//    PUBLISH without data publishes an empty message (as go does; js
//    rejects it).

#include <string>
#include <string_view>
#include <vector>

#include <caf/timespan.hpp>

#include "canswarm/bus/bus.hpp"
#include "canswarm/connection/messages.hpp"
#include "canswarm/envelope/gate.hpp"
#include "canswarm/error.hpp"
#include "canswarm/p2pd/messages.hpp"
#include "canswarm/pubsub/pubsub.hpp"

namespace canswarm::control {

/// Returns whether `addr` is a loopback IP address (127.0.0.0/8, ::1) or a
/// unix socket (both reachable from this host only).
bool is_local_only(const multiaddr& addr);

/// IDENTIFY addresses: binary, without /p2p, TCP (loopback first) before
/// the rest, duplicates removed.
std::vector<bytes> identify_addrs(const std::vector<multiaddr>& listen);

/// LIST_PEERS entries: one per peer in order of first appearance, with the
/// remote addresses of its connections; at most max_listed_peers.
std::vector<p2pd::peer_info> list_peers(const std::vector<peer_entry>& conns);

/// Returns the request's timeout: `seconds` when present and positive
/// (capped at max_request_timeout), else `fallback`.
caf::timespan request_timeout(const std::optional<std::int64_t>& seconds,
                              caf::timespan fallback);

/// Validates a CONNECT: the peer id, every address (a trailing /p2p must
/// name the same peer) and the timeout (0 or absent: `fallback`).
result<dial_request> to_dial_request(const p2pd::connect_request& req,
                                     caf::timespan fallback);

/// Validates a DISCONNECT's peer id.
result<peer_id> to_peer(const p2pd::disconnect_request& req);

/// A validated STREAM_OPEN.
struct stream_open_args {
  peer_id peer;
  std::vector<std::string> protocols;
  caf::timespan timeout{};
};

/// Validates a STREAM_OPEN: peer id, 1..max_request_protocols non-empty
/// protocol names, timeout (absent or 0: `fallback`).
result<stream_open_args> to_stream_open(const p2pd::stream_open_request& req,
                                        caf::timespan fallback);

/// A validated STREAM_HANDLER.
struct stream_handler_args {
  multiaddr addr; ///< /ip4|ip6/<host>/tcp/<port> or /unix/<path>.
  std::vector<std::string> protocols;
};

/// Validates a STREAM_HANDLER: the listener address (tcp or unix) and the
/// protocol names.
result<stream_handler_args>
to_stream_handler(const p2pd::stream_handler_request& req);

/// The StreamInfo describing a bridged stream.
p2pd::stream_info to_stream_info(const stream_ref& ref,
                                 const multiaddr& remote_addr);

/// The remote address of connection `conn` among `conns` (empty if none).
multiaddr remote_addr_of(const std::vector<peer_entry>& conns, conn_id conn);

/// The ERROR text of every PUBSUB request when the node runs without
/// pub/sub (server_config::pubsub is null).
inline constexpr std::string_view pubsub_disabled_message = "pub/sub is not "
                                                            "enabled";

/// A validated PUBSUB request.
struct pubsub_args {
  p2pd::ps_request_type type = p2pd::ps_request_type::get_topics;
  /// Empty only for GET_TOPICS and LIST_PEERS (every pub/sub peer).
  std::string topic;
  bytes data; ///< PUBLISH only.
  /// PUBLISH bypassing the envelope bus (PSRequest.canswarmRaw).
  bool raw = false;
};

/// Validates a PUBSUB request: PUBLISH and SUBSCRIBE need a topic, every
/// topic is at most gossipsub::max_topic_size bytes. Errors name the
/// request, e.g. "PUBLISH: missing topic".
result<pubsub_args> to_pubsub(const p2pd::ps_request& req);

/// The OK reply to GET_TOPICS (PSResponse present even when empty: the js
/// client requires it).
p2pd::response topics_response(std::vector<std::string> topics);

/// The OK reply to LIST_PEERS: peer id bytes, at most max_listed_peers.
p2pd::response pubsub_peers_response(const std::vector<peer_id>& peers);

/// The PSMessage streamed to a SUBSCRIBE client for a delivered message:
/// topicIDs = [topic]; from, seqno, signature and key only when present.
p2pd::ps_message to_ps_message(const pubsub_message& msg);

/// What the CANSWARM_STATS document reports (canswarm extension).
struct stats_inputs {
  peer_id self;
  const std::vector<peer_entry>* connections = nullptr; ///< Swarm peers.
  const pubsub_report* pubsub = nullptr; ///< Null: node without pub/sub.
  const envelope::gate_stats* gate = nullptr; ///< Null: no envelope gate.
  const bus_stats* bus = nullptr; ///< Null: node without the envelope bus.
};

/// The CANSWARM_STATS JSON document: {"peer_id", "connected_peers",
/// "connections", "pubsub": {topics, published, received, delivered,
/// duplicates, ignored, graylisted, outbound_dropped, rejected{reason:n},
/// peers[{peer, score, mesh}]}, "envelopes": {accepted, rejected_total,
/// rejected{reason:n}}, "bus": {mode, primary, active, nats_state,
/// published{total,p2p,nats}, received{total,p2p,nats}, delivered,
/// dedup_hits, failovers, failbacks, resent, publish_errors,
/// preflight_rejected, subscriptions, lamport, nats_rejected{reason:n}}};
/// "pubsub" / "envelopes" / "bus" are null when absent.
std::string stats_json(const stats_inputs& in);

/// The ERROR text for a request type this node does not implement yet,
/// e.g. "unsupported: DHT is not implemented yet"; empty for implemented
/// types.
std::string unsupported_message(p2pd::request_type t);

} // namespace canswarm::control
