#pragma once

// Tunables of a yamux session and the hard limits they must stay within.
// Every quantity a remote peer can make us hold (streams, receive windows,
// queued control frames) and every quantity our own application can make us
// hold (send buffers) has a bound here.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "canswarm/error.hpp"
#include "canswarm/time.hpp"
#include "canswarm/yamux/frame.hpp"

namespace canswarm::yamux {

/// Hard upper bound for `config::max_stream_window`: keeps the window and
/// every credit sum far from the 32-bit limit of the length field.
inline constexpr std::uint32_t max_window_limit = 1u << 30;

/// Hard upper bound for `config::max_concurrent_streams`.
inline constexpr std::size_t max_streams_limit = 65536;

/// The libp2p yamux note ("ACK backlog"): at most 256 streams one side has
/// opened and the other has not acknowledged yet.
inline constexpr std::size_t spec_ack_backlog = 256;

/// Hard upper bound for `config::max_frame_body` (larger frames only delay
/// other streams' frames; 256 KiB is the whole initial window).
inline constexpr std::uint32_t max_frame_body_limit = initial_window;

/// Settings of one session. Call `validate()` before use.
struct config {
  /// Largest receive window one stream grows to (auto-tuning doubles the
  /// window up to this, see session.hpp).
  std::uint32_t max_stream_window = 16 * 1024 * 1024;

  /// Largest sum of all streams' receive windows: what a peer can make us
  /// buffer when our application stops reading. Window growth stops here.
  std::uint64_t max_session_receive_window = 128ull * 1024 * 1024;

  /// Most live streams (both directions); an inbound stream over it is
  /// reset, `open_stream` is refused.
  std::size_t max_concurrent_streams = 256;

  /// Most inbound streams we have not acknowledged yet; the next one is
  /// reset (libp2p yamux note: "ACK backlog", 256).
  std::size_t max_inbound_ack_backlog = spec_ack_backlog;

  /// Inbound streams reset by the two bounds above in a row (none accepted
  /// in between) before the session fails: a peer that keeps opening
  /// streams it was refused is misbehaving, and resetting them one by one
  /// would let it keep us busy forever. Those refused after either side's
  /// GO_AWAY are not counted (opens cross a GO_AWAY in flight).
  std::size_t max_refused_streams = 64;

  /// Most outbound streams the peer has not acknowledged yet; `open_stream`
  /// is refused beyond it (libp2p yamux note: at most 256).
  std::size_t max_outbound_ack_backlog = spec_ack_backlog;

  /// Bytes `write` buffers per stream before it accepts less than offered.
  std::size_t max_stream_send_buffer = 1024 * 1024;

  /// Bytes `write` buffers over all streams.
  std::size_t max_session_send_buffer = 16 * 1024 * 1024;

  /// Largest DATA body we send; larger writes are split so streams
  /// interleave.
  std::uint32_t max_frame_body = 16 * 1024;

  /// Encoded control frames (pongs, resets, GO_AWAY) we queue before a peer
  /// that floods pings while not reading our output is a session error.
  std::size_t max_pending_control_frames = 1024;

  /// Interval between keep-alive pings; zero disables them.
  duration keep_alive_interval = duration::zero();

  /// How long a ping may stay unanswered before the session fails.
  duration ping_timeout = std::chrono::seconds{10};

  /// How long queued data may wait without any DATA leaving the session
  /// (peer window closed or transport not draining) before the session
  /// fails with "write timeout"; zero disables the check.
  duration write_timeout = std::chrono::seconds{30};

  /// Send one ping as soon as the session first sees the clock, so window
  /// auto-tuning knows the round-trip time.
  bool rtt_ping = true;

  /// Return receive-window credit as soon as the application polls a
  /// `stream_data` event; when false it must call `session::consume`.
  bool auto_consume = true;

  /// Checks that every field is inside its hard limit and consistent;
  /// errc::invalid_argument names the offending field.
  result<void> validate() const;
};

} // namespace canswarm::yamux
