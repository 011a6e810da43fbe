#pragma once

// Tunables of an mplex session and the hard limits they must stay within.
// mplex has no flow control, so every byte a remote sends is ours to hold
// until the application reads it: the receive bounds here are what stands
// between a fast sender and our memory.

#include <cstddef>
#include <cstdint>

#include "canswarm/error.hpp"
#include "canswarm/mplex/frame.hpp"

namespace canswarm::mplex {

/// Hard upper bound for the stream-count settings.
inline constexpr std::size_t max_streams_limit = 65536;

/// Settings of one session. Call `validate()` before use.
struct config {
  /// Most streams the remote may have open at once; a NewStream beyond it
  /// is answered with a reset (go-libp2p's resource manager default for
  /// inbound streams per connection is in this range).
  std::size_t max_inbound_streams = 256;

  /// Most streams we open at once; `open_stream` is refused beyond it.
  std::size_t max_outbound_streams = 256;

  /// Received bytes of one stream the application has not read (polled,
  /// or consumed without `auto_consume`). When a frame takes a stream over
  /// it the stream is reset: mplex cannot tell a sender to slow down, and
  /// go-mplex likewise resets a stream whose reader falls behind.
  std::size_t max_stream_receive_buffer = 4 * 1024 * 1024;

  /// Unread received bytes over all streams; the stream whose frame goes
  /// over it is reset.
  std::size_t max_session_receive_buffer = 16 * 1024 * 1024;

  /// Bytes `write` buffers per stream before it accepts less than offered.
  std::size_t max_stream_send_buffer = 1024 * 1024;

  /// Bytes `write` buffers over all streams.
  std::size_t max_session_send_buffer = 16 * 1024 * 1024;

  /// Largest message body we send; larger writes are split so streams
  /// interleave (at most `max_message_size`).
  std::size_t max_frame_body = 64 * 1024;

  /// Encoded control frames (resets) we queue before a peer that makes us
  /// reset streams while not reading our output is a session error.
  std::size_t max_pending_control_frames = 1024;

  /// Count a polled `stream_data` as read at once; when false the
  /// application calls `session::consume` as it reads.
  bool auto_consume = true;

  /// Checks every field is inside its hard limit and consistent;
  /// errc::invalid_argument names the offending field.
  result<void> validate() const;
};

} // namespace canswarm::mplex
