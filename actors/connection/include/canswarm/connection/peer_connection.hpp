#pragma once

// The peer connection: one CAF io broker per TCP connection that drives a
// connection::core (core.hpp) over the socket.
//
// Life cycle: inbound connections are forked from the listener (see
// inbound_connection_factory in swarm.hpp) and first ask the swarm for
// admission (the connection limit); outbound ones are spawned by the swarm
// on a socket a dial worker connected. The core then runs the upgrade
// (multistream -> Noise -> multistream -> yamux) within the connection
// timeout; the broker reports connection_up / connection_down /
// identify_update to the swarm and bridges application streams to their
// owners (messages.hpp).
//
// Reading: chunks of up to read_chunk_size (starting at
// initial_read_chunk_size and growing while reads fill the buffer, so an
// idle connection holds a small read buffer); what one batch of input yields
// for a stream goes to its owner as one stream_data message. Credit: the
// remote may send a stream's receive window beyond what the connection has
// credited, and the connection credits at most max_credit_ahead bytes
// beyond what the owner acknowledged, so a stalled owner holds at most
// max_credit_ahead plus one window.
//
// Writing: muxer output goes into CAF's buffer only while fewer than
// write_high_water bytes are handed to CAF but not yet on the socket
// (ack_writes tells us), so a peer that stops reading stops the muxer, and
// through it the owners' write requests, instead of growing memory; if no
// byte is written for write_stall_limit (peer_connection_config) the
// connection closes with "write timeout".
//
// Every close is logged at INFO with its reason (details at DEBUG).

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/io/broker.hpp>
#include <caf/io/connection_handle.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/typed_response_promise.hpp>

#include "canswarm/actors/listener.hpp"
#include "canswarm/connection/core.hpp"
#include "canswarm/connection/interfaces.hpp"
#include "canswarm/identity/keys.hpp"

namespace canswarm {

/// Largest read handed to the broker at once (one new_data_msg).
inline constexpr std::size_t read_chunk_size = 256 * 1024;

/// First read size: CAF keeps (and zero-fills) a read buffer of the
/// configured size per connection, so idle connections start small; a read
/// that fills the buffer quadruples it, up to read_chunk_size.
inline constexpr std::size_t initial_read_chunk_size = 2 * 1024;

/// Bytes handed to CAF but not yet written before we stop pulling muxer
/// output: enough to keep a fast link busy, small enough per connection.
inline constexpr std::size_t write_high_water = 4 * 1024 * 1024;

/// Most output pulled from the core per step (batching into CAF's buffer).
inline constexpr std::size_t transmit_chunk_size = 256 * 1024;

/// Time without any write progress, while bytes wait, before a peer that
/// stopped reading is disconnected ("write timeout").
inline constexpr std::chrono::seconds write_stall_limit{30};

/// Write requests queued per stream beyond what the muxer accepted.
inline constexpr std::size_t max_pending_writes = 64;

/// Streams one connection bridges to owners (the muxer's own stream limit
/// is lower; this catches bookkeeping leaks).
inline constexpr std::size_t max_bridged_streams = 4096;

/// Bytes of a stream the connection credits to the remote ahead of the
/// owner's acknowledgement. Crediting only on acknowledgement would bound a
/// stream to one receive window per actor round trip (the muxer's window
/// auto-tuning measures the network round trip, not the owner's); with this
/// allowance the owner holds at most max_credit_ahead plus one receive
/// window of unacknowledged bytes, however slow it is.
inline constexpr std::uint64_t max_credit_ahead = 2 * 1024 * 1024;

/// Received bytes the muxer may hold unconsumed before the connection stops
/// reading the socket (resuming below half of it). Only mplex reaches it:
/// it has no flow control, and its per-stream bound (4 MiB) resets a stream
/// whose reader lags; yamux's windows keep a sender below it.
inline constexpr std::size_t max_unconsumed_input = 1024 * 1024;

/// mplex connections read with CAF activity tokens, this many reads (of at
/// most read_chunk_size) per grant, so that at most this much is read ahead
/// of the check against max_unconsumed_input (CAF queues reads in the
/// broker's mailbox; halting alone acts too late against a fast sender).
inline constexpr std::size_t mplex_read_tokens = 4;

/// Received bytes of one stream merged into one stream_data message (what
/// one batch of input yields for a stream is sent at once: fewer, larger
/// messages to the owner).
inline constexpr std::size_t max_coalesced_data = 1024 * 1024;

/// How to run one peer connection.
/// Counts application bytes of bridged streams: called with the stream's
/// protocol, true for bytes received (handed to the owner) or false for
/// bytes sent (taken by the muxer), and the count. Runs on the
/// connection's thread: must be thread-safe and cheap.
using stream_byte_counter = std::function<void(const std::string& protocol,
                                               bool inbound, std::uint64_t n)>;

struct peer_connection_config {
  connection::direction dir = connection::direction::inbound;
  /// Assigned by the swarm (outbound); inbound ones get it on admission.
  conn_id conn;
  caf::actor swarm;
  std::shared_ptr<const identity::private_key> key;
  /// Outbound: the peer the dial expects (empty = anyone).
  peer_id expected;
  multiaddr remote_addr;
  /// Connect + upgrade must be done by then.
  time_point deadline = no_deadline;
  /// Outbound: what admission would tell an inbound connection.
  std::vector<handler_entry> handlers;
  std::vector<bytes> listen_addrs;
  /// Upgrade preferences (outbound: from the swarm; inbound: on admission).
  std::vector<connection::security_kind>
    security = connection::default_security;
  std::vector<connection::muxer_kind> muxers = connection::default_muxers;
  /// Time without write progress before "write timeout" (tests shorten it).
  duration write_stall_limit = canswarm::write_stall_limit;
  /// Application bytes per protocol (empty: not counted).
  stream_byte_counter count_bytes;
};

/// A write waiting for muxer room.
struct pending_write {
  bytes data;
  std::size_t offset = 0;
  caf::typed_response_promise<std::uint64_t> rp;
};

/// An application stream and its owner.
struct bridged_stream {
  stream_handler_actor owner;
  std::string protocol;
  std::deque<pending_write> writes;
  bool close_after_writes = false;
  std::uint64_t delivered = 0; ///< Bytes sent to the owner.
  std::uint64_t acked = 0; ///< Bytes the owner acknowledged.
  std::uint64_t credited = 0; ///< Bytes returned to the muxer as credit.
  bytes inbox; ///< Received, not yet sent to the owner (one batch).
};

/// State of the peer connection broker.
struct peer_connection_state {
  /// CAF actor name.
  static inline const char* name = "peer_connection";

  peer_connection_config cfg;
  caf::io::connection_handle hdl;
  std::unique_ptr<connection::core> core;
  std::optional<peer_id> peer;
  bytes out; ///< Scratch for core output.
  std::size_t in_flight = 0; ///< Handed to CAF, not yet written.
  std::size_t read_size = initial_read_chunk_size; ///< Current read chunk.
  time_point last_progress{};
  time_point timer_at = no_deadline;
  std::uint64_t next_request = 0;
  std::unordered_map<request_id, caf::typed_response_promise<caf::timespan>>
    pings;
  struct open_request {
    caf::typed_response_promise<stream_ref> rp;
    stream_handler_actor owner;
  };
  std::unordered_map<request_id, open_request> opens;
  std::unordered_map<stream_id, bridged_stream> streams;
  std::vector<stream_id> inbox_ids; ///< Streams with a non-empty inbox.
  std::map<caf::actor_addr, std::size_t> owners; ///< Monitored, stream count.
  std::map<std::string, stream_handler_actor> handlers;
  bool closing = false;
  bool read_paused = false; ///< Over max_unconsumed_input (see there).
  bool read_tokens = false; ///< Reading with activity tokens (mplex).
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t reads = 0; ///< new_data_msg handled.
  std::uint64_t writes = 0; ///< Buffers handed to CAF.
};

template<class Inspector>
typename Inspector::result_type
inspect(Inspector& f, peer_connection_state& x) {
  return f(caf::meta::type_name("peer_connection_state"), x.cfg.conn,
           x.cfg.remote_addr, x.in_flight, x.bytes_read, x.bytes_written);
}

/// The broker's behaviour for an accepted or connected socket `hdl`.
caf::behavior
peer_connection(caf::io::stateful_broker<peer_connection_state>* self,
                caf::io::connection_handle hdl, peer_connection_config cfg);

/// Spawns an outbound peer connection on the connected socket `fd`.
peer_connection_actor spawn_outbound_connection(caf::actor_system& sys, int fd,
                                                peer_connection_config cfg);

} // namespace canswarm
