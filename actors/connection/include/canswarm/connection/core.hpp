#pragma once

// The per-connection handler of the libp2p connection stack, sans-IO: it
// takes the bytes of one TCP connection, events and `now` in, and gives
// bytes, events (core_events.hpp) and its next deadline out. It owns every
// protocol object of the connection; the peer_connection actor only moves
// bytes, turns deadlines into timers and events into messages.
//
// Phases (libp2p/specs connections/ "Upgrading Connections"):
//   1. security: multistream-select over the configured security protocols
//      (default /noise then /tls/1.0.0; /plaintext/2.0.0 only when
//      configured): the dialer proposes in its order, the listener accepts
//      any of its list;
//   2. handshake: noise-libp2p XX, libp2p TLS 1.3 or the plaintext key
//      exchange (security.hpp); the dialer checks the remote peer id
//      against the one it dialed (the error names both);
//   3. muxer: multistream-select over the configured muxers (default
//      /yamux/1.0.0 then /mplex/6.7.0) inside the secure channel;
//   4. open: a yamux or mplex session (muxer.hpp). Every inbound stream
//      gets a multistream listener offering /ipfs/id/1.0.0 (we answer with
//      our Identify, observedAddr = the remote's TCP address),
//      /ipfs/id/push/1.0.0, /ipfs/ping/1.0.0 (responder) and the
//      application protocols. On entering this phase the core opens an
//      /ipfs/id/1.0.0 stream to the remote; its answer is checked
//      (publicKey must match the peer id) and reported as `identified`.
// The whole of phases 1-3 must finish before the handshake deadline.
//
// Flow control: application streams are read with the muxer's auto-consume
// off; with yamux, bytes count against the stream window until the caller
// acknowledges them with `consume`, so a slow consumer stops the remote
// instead of growing buffers (mplex has no flow control: its receive
// bounds reset a stream whose consumer falls behind). Internal protocol
// streams are consumed as they are processed.
//
// Deviations from spec: the dialer waits for the listener's answer before
// it sends the first handshake message (no lazy data; only the multistream
// header and proposal are pipelined). No early muxer negotiation (Noise
// extensions, TLS ALPN): both sides fall back to multistream-select, which
// the spec allows. We never send identify/push.

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/connection/core_events.hpp"
#include "canswarm/connection/muxer.hpp"
#include "canswarm/connection/negotiator.hpp"
#include "canswarm/connection/security.hpp"
#include "canswarm/connection/upgrade.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identify/reader.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/ping/ping.hpp"
#include "canswarm/strong_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm::connection {

/// Concurrent pings per connection: a ping is one short stream; more than a
/// handful outstanding means the caller is looping without waiting.
inline constexpr std::size_t max_pending_pings = 16;

/// Bytes an internal protocol stream (identify answer, ping echo) may queue
/// when yamux accepts less than offered: one maximal Identify message.
inline constexpr std::size_t max_internal_pending = 8 * 1024;

/// Time an inbound stream may take to agree on a protocol, and an internal
/// exchange (identify request, ping negotiation) to complete: a peer that
/// opens streams and stays silent holds a stream slot no longer than this.
inline constexpr duration internal_timeout = std::chrono::seconds{15};

/// Time between agreeing on an inbound stream's protocol and sending its
/// FIN. js-libp2p 3 loses protocol data that arrives in the same read as
/// both the multistream answer and the FIN (it closes the readable end
/// before it hands the bytes after the answer back to the stream), which
/// breaks an identify answer written and closed at once.
inline constexpr duration early_fin_delay = std::chrono::milliseconds{50};

// FIN placement: js-libp2p's yamux (@chainsafe/libp2p-yamux 8) applies the
// flags of a DATA frame before its payload, so a FIN riding on the last
// DATA frame closes the readable end and the payload is dropped. The core
// therefore hands a close to yamux only once the stream's send buffer is
// empty; yamux then sends the FIN in a WINDOW_UPDATE frame of its own (as
// go-libp2p does).

/// Which side opened the TCP connection.
enum class direction : std::uint8_t { inbound, outbound };

/// Returns "inbound" or "outbound".
const char* to_string(direction d);

/// What we tell remotes about ourselves in Identify (protocols are added by
/// the core: the internal ones plus the application protocols).
struct local_identify {
  std::string protocol_version = "ipfs/0.1.0";
  std::string agent_version = "canswarm/" CANSWARM_VERSION;
  bytes public_key; ///< Our libp2p PublicKey protobuf.
  std::vector<bytes> listen_addrs; ///< Binary multiaddrs without /p2p.
};

/// Everything one connection core needs.
struct core_config {
  direction dir = direction::outbound;
  /// Our identity key (signs the Noise static key / TLS extension).
  std::shared_ptr<const identity::private_key> key;
  /// X25519 secrets from the caller's CSPRNG (used when Noise is chosen).
  noise::key32 static_secret{};
  noise::key32 ephemeral_secret{};
  /// Wall-clock seconds since the epoch (TLS certificate validity).
  tls::unix_time wall_clock = 0;
  /// Security protocols in preference order (P2P_SECURITY).
  std::vector<security_kind> security = default_security;
  /// Muxers in preference order (P2P_MUXERS).
  std::vector<muxer_kind> muxers = default_muxers;
  /// The peer a dialer expects; the handshake fails on any other.
  std::optional<peer_id> expected_peer;
  /// The remote's TCP address as a binary multiaddr (Identify observedAddr).
  bytes observed_addr;
  /// Security + muxer negotiation must be done by then.
  time_point handshake_deadline = no_deadline;
  local_identify identify;
  /// Application protocols offered on inbound streams.
  std::vector<std::string> app_protocols;
  yamux::config yamux;
  mplex::config mplex;

  /// Checks the key, the preference lists (non-empty, no repeats), the
  /// protocol ids and the muxer settings.
  result<void> validate() const;
};

/// Phase of a connection.
enum class phase : std::uint8_t { security, handshake, muxer, open, closed };

/// Returns "security", "handshake", "muxer", "open" or "closed".
const char* to_string(phase p);

/// The sans-IO libp2p connection (see the overview above).
class core {
public:
  /// Creates the core; throws std::invalid_argument when `cfg` is invalid.
  explicit core(core_config cfg);

  core(const core&) = delete;
  core& operator=(const core&) = delete;

  /// Queues the first bytes (the multistream header; the dialer's proposal).
  void start(time_point now);

  // -- transport side --------------------------------------------------------

  /// Processes bytes read from the connection (any split).
  void handle_input(bytes_view data, time_point now);

  /// The remote closed the TCP connection (EOF or error).
  void handle_eof(std::string reason);

  /// Appends bytes to write to `out`, stopping once about `max_bytes` were
  /// appended (overshooting by at most one yamux frame plus Noise framing).
  void poll_transmit(bytes& out, std::size_t max_bytes);

  /// Returns whether `poll_transmit` would produce bytes.
  bool wants_transmit() const;

  /// Returns the next event, if any.
  std::optional<core_event> poll_event();

  /// Next time `handle_timeout` must run, or no_deadline.
  time_point poll_timeout() const;

  /// Fires due deadlines (handshake, stream negotiation, ping, yamux).
  void handle_timeout(time_point now);

  // -- application side (phase open) -----------------------------------------

  /// Opens a stream and negotiates the first of `protocols` the remote
  /// supports; `stream_ready` or `stream_failed` (at `deadline` at the
  /// latest) answers `req`.
  result<void> open_stream(request_id req, std::vector<std::string> protocols,
                           time_point deadline, time_point now);

  /// Pings the remote over /ipfs/ping/1.0.0 with the 32-byte `payload`;
  /// `ping_done` answers `req`.
  result<void> ping(request_id req, bytes_view payload, time_point now);

  /// Queues bytes on an application stream; returns how many were accepted
  /// (see yamux::session::write; `stream_writable` follows a short write).
  result<std::size_t> write(stream_id id, bytes&& data, time_point now);

  /// Like the other `write`, copying the accepted bytes.
  result<std::size_t> write(stream_id id, bytes_view data, time_point now);

  /// Half-closes an application stream.
  result<void> close_stream(stream_id id);

  /// Resets an application stream.
  result<void> reset_stream(stream_id id);

  /// Returns receive-window credit for `n` bytes of an application stream
  /// that the consumer has processed.
  void consume(stream_id id, std::size_t n, time_point now);

  /// Replaces the application protocols offered on new inbound streams.
  void set_app_protocols(std::vector<std::string> protocols);

  /// Replaces our listen addresses announced in Identify.
  void set_listen_addrs(std::vector<bytes> addrs);

  /// Closes the connection from our side: GO_AWAY (when open) and `closed`
  /// with `reason`. Drain poll_transmit once more afterwards.
  void close(error reason);

  // -- inspection -------------------------------------------------------------

  connection::phase current_phase() const {
    return phase_;
  }

  /// The authenticated remote peer (after the handshake).
  const std::optional<peer_id>& remote_peer() const {
    return remote_;
  }

  /// Every protocol we offer on inbound streams, internal ones first.
  std::vector<std::string> supported_protocols() const;

  /// Live streams (internal and application).
  std::size_t stream_count() const {
    return slots_.size();
  }

  /// The negotiated security protocol and muxer (once chosen).
  std::optional<security_kind> security() const {
    return security_;
  }
  std::optional<muxer_kind> muxer_type() const {
    return muxer_ ? std::optional{muxer_->kind()} : std::nullopt;
  }

  /// Received application bytes the muxer holds unconsumed (mplex only).
  std::size_t unconsumed_input() const {
    return muxer_ ? muxer_->unconsumed() : 0;
  }

  /// The muxer's counters (phase open), for status and tests.
  std::optional<connection::muxer_stats> muxer_stats() const;

  /// The muxer's view of one stream (phase open).
  std::optional<muxer_stream_stats> stream_stats(stream_id id) const;

private:
  /// What a stream is doing.
  enum class slot_kind : std::uint8_t {
    negotiating_in, ///< Inbound, multistream listener running.
    negotiating_out, ///< Outbound, multistream dialer running.
    identify_pull, ///< Reading the remote's Identify answer.
    identify_serve, ///< Sent our Identify; waiting for the remote's FIN.
    identify_push, ///< Reading an Identify push.
    ping_serve, ///< Echoing pings.
    ping_out, ///< Our ping is outstanding.
    draining, ///< Internal work done; waiting for the remote's FIN.
    app, ///< Application stream.
  };

  /// Why we opened an outbound stream.
  enum class purpose : std::uint8_t { app, identify, ping };

  /// Per-stream protocol state.
  struct slot {
    slot_kind kind = slot_kind::negotiating_in;
    purpose why = purpose::app;
    std::optional<negotiator> neg;
    request_id request;
    time_point deadline = no_deadline;
    std::optional<identify::reader> id_reader;
    std::optional<ping::responder> responder;
    std::optional<ping::pinger> pinger;
    bytes ping_payload;
    bytes pending_out; ///< Internal bytes yamux did not accept yet.
    bool local_closed = false; ///< Close requested.
    bool fin_sent = false; ///< Handed to yamux.
    bool remote_closed = false;
    /// Inbound streams: no FIN before this (see early_fin_delay).
    time_point fin_not_before{};
  };

  // Phases (core.cpp).
  void on_security_input(bytes_view data);
  void on_handshake_input(bytes_view data);
  void on_plaintext(bytes_view data);
  void enter_muxer_phase();
  void enter_open_phase(muxer_kind kind, bytes remaining);
  void send_plain(bytes_view data);
  void decrypt_input(bytes_view data);
  void fail(error err);
  void emit(core_event ev);

  // Streams (core_streams.cpp).
  void drain_muxer();
  void on_stream_opened(stream_id id);
  void on_stream_data(stream_id id, bytes data);
  void on_remote_closed(stream_id id);
  void on_stream_reset(stream_id id, std::string reason);
  void on_writable(stream_id id);
  void on_negotiated_in(stream_id id, slot& s, bytes remaining);
  void on_negotiated_out(stream_id id, slot& s, bytes remaining);
  void on_internal_data(stream_id id, slot& s, bytes_view data);
  void finish_identify(stream_id id, slot& s);
  void fail_slot(stream_id id, slot& s, error reason);
  void report_failure(stream_id id, slot& s, const error& reason);
  void slot_timeout(stream_id id, slot& s);
  result<stream_id> open_internal(purpose why, std::vector<std::string> protos,
                                  request_id req, time_point deadline);
  void send_on(stream_id id, slot& s, bytes_view data);
  void close_slot(stream_id id, slot& s);
  void try_fin(stream_id id, slot& s);
  void retry_fins();
  void reset_slot(stream_id id);
  void maybe_remove(stream_id id);
  bytes identify_answer();
  result<void> check_writable(stream_id id);
  slot* find(stream_id id);

  core_config cfg_;
  connection::phase phase_ = phase::security;
  time_point now_{};
  std::optional<negotiator> neg_; ///< Phases security and muxer.
  std::optional<security_kind> security_; ///< Once negotiated.
  std::optional<security_handshake> handshake_;
  std::optional<secure_channel> channel_;
  std::optional<muxer> muxer_;
  std::optional<peer_id> remote_;
  std::optional<identity::public_key> remote_key_;
  bytes wire_out_; ///< Encoded bytes for the wire, ahead of muxer output.
  bytes plain_in_; ///< Scratch: decrypted input.
  bytes plain_out_; ///< Scratch: muxer output before encryption.
  std::unordered_map<stream_id, slot> slots_;
  std::vector<stream_id> fin_waiting_; ///< Close requested, data queued.
  std::deque<core_event> events_;
  bool closed_emitted_ = false;
};

} // namespace canswarm::connection
