#pragma once

// Messages of the libp2p daemon control protocol (go-libp2p-daemon "p2pd",
// specs/CONTROL.md, DHT.md, PUBSUB.md, CM.md; PEERSTORE from the js daemon,
// @libp2p/daemon-protocol), as plain structs.
//
// Conversation on one control connection (TCP or unix socket):
//   client -> daemon  Request                  (uvarint-length-prefixed)
//   daemon -> client  Response                 (one per request)
// then, depending on the request:
//   STREAM_OPEN OK     raw stream bytes both ways (the connection is the
//   stream) DHT streaming      bare DHTResponse frames: VALUE*, then END PUBSUB
//   SUBSCRIBE   bare PSMessage frames until the client closes otherwise the
//   client may send another Request (go clients do;
//                      js clients open a new connection per request)
// For STREAM_HANDLER the daemon dials the address the client registered and
// writes one framed StreamInfo (not wrapped in a Response), then raw bytes.
//
// Peer ids (multihash), multiaddrs and CIDs are binary on the wire and kept
// as raw bytes here; the caller parses them with the identity and
// multiformats libraries.
//
// Field mapping: a proto2 `required` field is a plain member, `optional` a
// std::optional (or an optional sub-struct), `repeated` a std::vector.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "canswarm/bytes.hpp"

namespace canswarm::p2pd {

/// Largest message body either side reads: go-libp2p's
/// network.MessageSizeMax (1 << 22), which both the go daemon and its client
/// pass to their delimited readers.
inline constexpr std::size_t max_message_size = std::size_t{1} << 22;

/// Largest StreamInfo frame the js client accepts on a stream-handler
/// connection (its StreamHandler reads with maxDataLength 4096); a daemon
/// must keep the StreamInfo it writes below this.
inline constexpr std::size_t js_max_stream_info_size = 4096;

// -- enums (values are the wire values) -------------------------------------

/// Request.Type.
enum class request_type : int {
  identify = 0,
  connect = 1,
  stream_open = 2,
  stream_handler = 3,
  dht = 4,
  list_peers = 5,
  connmanager = 6,
  disconnect = 7,
  pubsub = 8,
  peerstore = 9, ///< js daemon only.
  /// canswarm extension: node counters as JSON (Response::canswarm_stats).
  canswarm_stats = 100,
  /// canswarm extension: the live supervisor tree (Response::canswarm_inspect).
  canswarm_inspect = 101,
};

/// Response.Type.
enum class response_type : int { ok = 0, error = 1 };

/// DHTRequest.Type.
enum class dht_request_type : int {
  find_peer = 0,
  find_peers_connected_to_peer = 1, ///< Removed from the spec; still valid.
  find_providers = 2,
  get_closest_peers = 3,
  get_public_key = 4,
  get_value = 5,
  search_value = 6,
  put_value = 7,
  provide = 8,
};

/// DHTResponse.Type.
enum class dht_response_type : int { begin = 0, value = 1, end = 2 };

/// ConnManagerRequest.Type.
enum class connmanager_request_type : int {
  tag_peer = 0,
  untag_peer = 1,
  trim = 2,
};

/// PSRequest.Type.
enum class ps_request_type : int {
  get_topics = 0,
  list_peers = 1,
  publish = 2,
  subscribe = 3,
};

/// PeerstoreRequest.Type (js daemon only; note there is no value 0).
enum class peerstore_request_type : int {
  get_protocols = 1,
  get_peer_info = 2
};

/// Returns the schema name of a value ("STREAM_OPEN", "OK", ...).
const char* to_string(request_type t);
/// Returns the schema name of a value.
const char* to_string(response_type t);
/// Returns the schema name of a value.
const char* to_string(dht_request_type t);
/// Returns the schema name of a value.
const char* to_string(dht_response_type t);
/// Returns the schema name of a value.
const char* to_string(connmanager_request_type t);
/// Returns the schema name of a value.
const char* to_string(ps_request_type t);
/// Returns the schema name of a value.
const char* to_string(peerstore_request_type t);

// -- request parts ----------------------------------------------------------

/// ConnectRequest: connect to `peer`, trying `addrs` first.
struct connect_request {
  bytes peer; ///< Peer id (multihash).
  std::vector<bytes> addrs; ///< Binary multiaddrs.
  std::optional<std::int64_t> timeout; ///< Seconds; 0 is a present value.
  friend bool operator==(const connect_request&, const connect_request&)
    = default;
};

/// StreamOpenRequest: open a stream to `peer` on one of `protos`.
struct stream_open_request {
  bytes peer; ///< Peer id (multihash).
  std::vector<std::string> protos; ///< Field `proto`.
  std::optional<std::int64_t> timeout; ///< Seconds.
  friend bool operator==(const stream_open_request&, const stream_open_request&)
    = default;
};

/// StreamHandlerRequest: route inbound streams on `protos` to `addr`.
struct stream_handler_request {
  bytes addr; ///< Binary multiaddr the client listens on.
  std::vector<std::string> protos; ///< Field `proto`.
  friend bool
  operator==(const stream_handler_request&, const stream_handler_request&)
    = default;
};

/// DHTRequest.
struct dht_request {
  dht_request_type type = dht_request_type::find_peer;
  std::optional<bytes> peer; ///< Peer id (multihash).
  std::optional<bytes> cid; ///< Binary CID.
  std::optional<bytes> key;
  std::optional<bytes> value;
  std::optional<std::int32_t> count;
  std::optional<std::int64_t> timeout; ///< Seconds.
  friend bool operator==(const dht_request&, const dht_request&) = default;
};

/// ConnManagerRequest.
struct connmanager_request {
  connmanager_request_type type = connmanager_request_type::tag_peer;
  std::optional<bytes> peer; ///< Peer id (multihash).
  std::optional<std::string> tag;
  std::optional<std::int64_t> weight;
  friend bool operator==(const connmanager_request&, const connmanager_request&)
    = default;
};

/// DisconnectRequest.
struct disconnect_request {
  bytes peer; ///< Peer id (multihash).
  friend bool operator==(const disconnect_request&, const disconnect_request&)
    = default;
};

/// PSRequest.
struct ps_request {
  ps_request_type type = ps_request_type::get_topics;
  std::optional<std::string> topic;
  std::optional<bytes> data;
  /// canswarm extension: PUBLISH straight to gossipsub, bypassing the
  /// envelope bus and its gate (test tool; PSRequest.canswarmRaw).
  bool canswarm_raw = false;
  friend bool operator==(const ps_request&, const ps_request&) = default;
};

/// PeerstoreRequest (js daemon only).
struct peerstore_request {
  peerstore_request_type type = peerstore_request_type::get_protocols;
  std::optional<bytes> id; ///< Peer id (multihash).
  std::vector<std::string> protos;
  friend bool operator==(const peerstore_request&, const peerstore_request&)
    = default;
};

/// CanswarmInspectRequest (canswarm extension).
struct inspect_request {
  bool text = false; ///< A text tree instead of JSON.
  std::string kill; ///< Kill this actor first (empty: none).
  friend bool operator==(const inspect_request&, const inspect_request&)
    = default;
};

/// Request: `type` says which one sub-request must be present.
struct request {
  request_type type = request_type::identify;
  std::optional<connect_request> connect;
  std::optional<stream_open_request> stream_open;
  std::optional<stream_handler_request> stream_handler;
  std::optional<dht_request> dht;
  std::optional<connmanager_request> conn_manager;
  std::optional<disconnect_request> disconnect;
  std::optional<ps_request> pubsub;
  std::optional<peerstore_request> peer_store;
  std::optional<inspect_request> inspect; ///< Field 101 (canswarm).
  friend bool operator==(const request&, const request&) = default;
};

// -- response parts ---------------------------------------------------------

/// ErrorResponse (named error_message so that the convenience function
/// error_response() in codec.hpp can keep its natural name).
struct error_message {
  std::string msg;
  friend bool operator==(const error_message&, const error_message&) = default;
};

/// StreamInfo: inside a STREAM_OPEN response, or alone at the start of a
/// stream-handler connection.
struct stream_info {
  bytes peer; ///< Remote peer id (multihash).
  bytes addr; ///< Binary multiaddr of the remote.
  std::string proto; ///< Negotiated protocol.
  friend bool operator==(const stream_info&, const stream_info&) = default;
};

/// IdentifyResponse.
struct identify_response {
  bytes id; ///< Our peer id (multihash).
  std::vector<bytes> addrs; ///< Binary listen multiaddrs.
  friend bool operator==(const identify_response&, const identify_response&)
    = default;
};

/// PeerInfo.
struct peer_info {
  bytes id; ///< Peer id (multihash).
  std::vector<bytes> addrs; ///< Binary multiaddrs.
  friend bool operator==(const peer_info&, const peer_info&) = default;
};

/// DHTResponse: inside the first Response, then alone while streaming.
struct dht_response {
  dht_response_type type = dht_response_type::begin;
  std::optional<peer_info> peer;
  std::optional<bytes> value;
  friend bool operator==(const dht_response&, const dht_response&) = default;
};

/// PSResponse. The js client rejects a pubsub reply without this field, so
/// set it (possibly empty) in every GET_TOPICS / LIST_PEERS reply.
struct ps_response {
  std::vector<std::string> topics;
  std::vector<bytes> peer_ids; ///< Field `peerIDs`, multihashes.
  friend bool operator==(const ps_response&, const ps_response&) = default;
};

/// PeerstoreResponse (js daemon only).
struct peerstore_response {
  std::optional<peer_info> peer;
  std::vector<std::string> protos;
  friend bool operator==(const peerstore_response&, const peerstore_response&)
    = default;
};

/// Response. The js client also requires `identify` in IDENTIFY replies and
/// `dht->peer` in DHT FIND_PEER replies.
struct response {
  response_type type = response_type::ok;
  std::optional<error_message> error;
  std::optional<stream_info> stream; ///< Field `streamInfo`.
  std::optional<identify_response> identify;
  std::optional<dht_response> dht;
  std::vector<peer_info> peers;
  std::optional<ps_response> pubsub;
  std::optional<peerstore_response> peer_store;
  /// canswarm extension (field 100): the CANSWARM_STATS JSON document.
  std::optional<std::string> canswarm_stats;
  /// canswarm extension (field 101): the CANSWARM_INSPECT document.
  std::optional<std::string> canswarm_inspect;
  friend bool operator==(const response&, const response&) = default;
};

/// PSMessage: streamed bare after the OK response to SUBSCRIBE.
struct ps_message {
  std::optional<bytes> from; ///< Peer id (multihash) of the author.
  std::optional<bytes> data;
  std::optional<bytes> seqno;
  std::vector<std::string> topic_ids; ///< Field `topicIDs`.
  std::optional<bytes> signature;
  std::optional<bytes> key;
  friend bool operator==(const ps_message&, const ps_message&) = default;
};

} // namespace canswarm::p2pd
