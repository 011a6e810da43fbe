#pragma once

// Message types of the connection stack, each with a CAF `inspect` overload,
// and their registration (add_connection_message_types). To be merged into
// actors/include/canswarm/actors/messages.hpp and message_types.cpp.
//
// Stream protocol between a peer connection and the owner of an application
// stream (the handler registered for an inbound protocol, or the requester
// of open_stream):
//   connection -> owner: stream_opened (inbound only), stream_data,
//                        stream_closed (remote FIN), stream_reset;
//   owner -> connection: (stream_write_atom, stream_id, bytes) -> uint64
//                        (answered once the muxer accepted every byte),
//                        (stream_ack_atom, stream_id, uint64 n): n received
//                        bytes are processed, the remote may send n more,
//                        (stream_close_atom, stream_id), (stream_reset_atom,
//                        stream_id).
// The owner must acknowledge what it received: the connection credits the
// remote at most max_credit_ahead (peer_connection.hpp) beyond the owner's
// acknowledgements, so a slow owner slows the remote down instead of
// accumulating data.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <caf/timespan.hpp>

#include "canswarm/bytes.hpp"
#include "canswarm/connection/core.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/multiformats/multiaddr.hpp"
#include "canswarm/strong_id.hpp"

namespace canswarm {

// -- inspect for the shared vocabulary ----------------------------------------

template<class Inspector, class Tag, class T>
typename Inspector::result_type inspect(Inspector& f, strong_id<Tag, T>& x) {
  return f(x.value);
}

/// Peer ids travel as their base58btc text (empty = no peer).
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_id& x) {
  if constexpr (Inspector::reads_state) {
    auto text = x.to_bytes().empty() ? std::string{} : x.to_string();
    return f(caf::meta::type_name("peer_id"), text);
  } else {
    std::string text;
    auto load = [&]() -> caf::error {
      if (text.empty()) {
        x = peer_id{};
        return caf::none;
      }
      auto id = peer_id::parse(text);
      if (!id)
        return caf::sec::invalid_argument;
      x = std::move(*id);
      return caf::none;
    };
    return f(caf::meta::type_name("peer_id"), text,
             caf::meta::load_callback(load));
  }
}

/// Multiaddrs travel as their text form.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, multiaddr& x) {
  if constexpr (Inspector::reads_state) {
    auto text = x.to_string();
    return f(caf::meta::type_name("multiaddr"), text);
  } else {
    std::string text;
    auto load = [&]() -> caf::error {
      if (text.empty()) {
        x = multiaddr{};
        return caf::none;
      }
      auto addr = multiaddr::parse(text);
      if (!addr)
        return caf::sec::invalid_argument;
      x = std::move(*addr);
      return caf::none;
    };
    return f(caf::meta::type_name("multiaddr"), text,
             caf::meta::load_callback(load));
  }
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, error& x) {
  return f(caf::meta::type_name("error"), x.code, x.message);
}

// -- errors -------------------------------------------------------------------

/// CAF error category of connection-stack failures: the code is the errc,
/// the context the specific message.
inline constexpr caf::atom_value connection_error_category = caf::atom("p2p");

/// Wraps an error for a CAF response.
caf::error to_caf_error(const error& err);

/// Unwraps an error of connection_error_category; other CAF errors become
/// errc::io with CAF's rendering.
error from_caf_error(caf::actor_system& sys, const caf::error& err);

// -- streams ------------------------------------------------------------------

/// Names an application stream node-wide.
struct stream_key {
  conn_id conn;
  stream_id id;
  friend auto operator<=>(const stream_key&, const stream_key&) = default;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_key& x) {
  return f(caf::meta::type_name("stream_key"), x.conn, x.id);
}

/// What an owner needs to use a stream: the connection actor to send
/// stream_* requests to, the key, the remote peer and the protocol.
struct stream_ref {
  caf::actor connection;
  stream_key key;
  peer_id peer;
  std::string protocol;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_ref& x) {
  return f(caf::meta::type_name("stream_ref"), x.connection, x.key, x.peer,
           x.protocol);
}

/// To a handler: the remote opened a stream for its protocol.
struct stream_opened {
  stream_ref ref;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_opened& x) {
  return f(caf::meta::type_name("stream_opened"), x.ref);
}

/// To an owner: bytes arrived (acknowledge them with stream_ack_atom).
struct stream_data {
  stream_key key;
  bytes data;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_data& x) {
  return f(caf::meta::type_name("stream_data"), x.key, x.data);
}

/// To an owner: the remote half-closed the stream.
struct stream_closed {
  stream_key key;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_closed& x) {
  return f(caf::meta::type_name("stream_closed"), x.key);
}

/// To an owner: the stream is gone (reset, or the connection closed).
struct stream_reset {
  stream_key key;
  std::string reason;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_reset& x) {
  return f(caf::meta::type_name("stream_reset"), x.key, x.reason);
}

// -- swarm requests and answers -----------------------------------------------

/// A dial: the addresses to try in order, the peer we expect there (empty =
/// take the /p2p component of an address, or accept anyone) and the time
/// connect + upgrade may take.
struct dial_request {
  peer_id expected;
  std::vector<multiaddr> addrs;
  caf::timespan timeout{};
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, dial_request& x) {
  return f(caf::meta::type_name("dial_request"), x.expected, x.addrs,
           x.timeout);
}

/// One live connection in list_peers.
struct peer_entry {
  peer_id peer;
  conn_id conn;
  multiaddr remote_addr;
  connection::direction dir = connection::direction::outbound;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_entry& x) {
  return f(caf::meta::type_name("peer_entry"), x.peer, x.conn, x.remote_addr,
           x.dir);
}

/// One entry of the swarm's supervision view (peer_conns_atom): a live
/// connection (state "running"), or a peer without one whose outbound
/// connection died abnormally and is being redialled ("restarting", conn 0)
/// or was given up ("failed"). The counts are per peer.
struct peer_connection_info {
  peer_id peer;
  conn_id conn;
  multiaddr remote_addr;
  connection::direction dir = connection::direction::outbound;
  std::string state;
  std::uint64_t actor_id = 0; ///< The connection actor (0: none).
  std::uint64_t restarts = 0; ///< Redials after an abnormal death.
  std::uint64_t deaths = 0; ///< Connection actors that died abnormally.
  std::string last_death; ///< Why the last one died.
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_connection_info& x) {
  return f(caf::meta::type_name("peer_connection_info"), x.peer, x.conn,
           x.remote_addr, x.dir, x.state, x.actor_id, x.restarts, x.deaths,
           x.last_death);
}

/// What Identify told us about a peer.
struct peer_info {
  peer_id peer;
  std::string agent_version;
  std::string protocol_version;
  std::vector<std::string> protocols;
  std::vector<multiaddr> listen_addrs;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_info& x) {
  return f(caf::meta::type_name("peer_info"), x.peer, x.agent_version,
           x.protocol_version, x.protocols, x.listen_addrs);
}

/// To subscribers: a connection came up or went down (with the reason).
struct connection_event {
  conn_id conn;
  peer_id peer; ///< Empty when it failed before the handshake.
  multiaddr remote_addr;
  connection::direction dir = connection::direction::outbound;
  bool up = false;
  std::string reason;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_event& x) {
  return f(caf::meta::type_name("connection_event"), x.conn, x.peer,
           x.remote_addr, x.dir, x.up, x.reason);
}

// -- swarm <-> peer connection
// -------------------------------------------------

/// An application protocol and the actor that takes its inbound streams.
struct handler_entry {
  std::string protocol;
  caf::actor handler;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, handler_entry& x) {
  return f(caf::meta::type_name("handler_entry"), x.protocol, x.handler);
}

/// A connection introduces itself (inbound: asks for admission).
struct admission_request {
  conn_id conn; ///< Assigned by the swarm for outbound; 0 for inbound.
  multiaddr remote_addr;
  connection::direction dir = connection::direction::inbound;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, admission_request& x) {
  return f(caf::meta::type_name("admission_request"), x.conn, x.remote_addr,
           x.dir);
}

/// The swarm's answer: the connection's id and current settings, or a
/// refusal with the reason.
struct admission {
  bool admitted = false;
  conn_id conn;
  std::string reason;
  std::vector<handler_entry> handlers;
  std::vector<bytes> listen_addrs;
  std::vector<connection::security_kind> security;
  std::vector<connection::muxer_kind> muxers;
};

} // namespace canswarm

// Local only (swarm -> its own connections): not serialized, which also
// spares CAF's deserializer code for the enum vectors.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(canswarm::admission)

namespace canswarm {

/// Connection -> swarm: the upgrade finished.
struct connection_up {
  conn_id conn;
  peer_id peer;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_up& x) {
  return f(caf::meta::type_name("connection_up"), x.conn, x.peer);
}

/// Connection -> swarm: the connection is closed.
struct connection_down {
  conn_id conn;
  error reason;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, connection_down& x) {
  return f(caf::meta::type_name("connection_down"), x.conn, x.reason);
}

/// Connection -> swarm: an Identify (request answer or push) from `peer`.
/// Empty strings / lists mean "not sent".
struct identify_update {
  peer_id peer;
  bool push = false;
  std::string agent_version;
  std::string protocol_version;
  bytes public_key;
  std::vector<bytes> listen_addrs;
  std::vector<std::string> protocols;
  bytes observed_addr;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, identify_update& x) {
  return f(caf::meta::type_name("identify_update"), x.peer, x.push,
           x.agent_version, x.protocol_version, x.public_key, x.listen_addrs,
           x.protocols, x.observed_addr);
}

/// Dial worker -> swarm: a connected socket (`fd` >= 0, `remote_addr` its
/// numeric address) for a dial, or why no address connected.
struct dial_outcome {
  request_id req;
  int fd = -1;
  multiaddr remote_addr;
  error failure;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, dial_outcome& x) {
  return f(caf::meta::type_name("dial_outcome"), x.req, x.fd, x.remote_addr,
           x.failure);
}

/// Registers every message type above (and the error category) with `cfg`.
void add_connection_message_types(caf::actor_system_config& cfg);

} // namespace canswarm

template<>
struct std::hash<canswarm::stream_key> {
  std::size_t operator()(const canswarm::stream_key& k) const noexcept {
    return std::hash<std::uint64_t>{}(k.conn.value * 1000003u ^ k.id.value);
  }
};
