#pragma once

// A sans-IO mplex session (libp2p specs mplex/README.md; /mplex/6.7.0),
// shaped like yamux::session so one small adapter drives either: feed it
// transport bytes with `handle_input`, drain frames with `poll_transmit` /
// `take_output`, read what happened with `poll_event`. It has no timers and
// never reads a clock (`now` is accepted for interface parity only).
//
// Streams: each side numbers the streams it opens from 0; a stream is named
// by its number and who opened it, so our `stream_id` is
// (number << 1) | (1 if the remote opened it). Opening sends NewStream with
// the decimal number as the name (as go-mplex and js-libp2p do); data goes
// out in frames of at most `config::max_frame_body`, round-robin across
// streams; close sends Close after the buffered data; reset sends Reset at
// once. A stream is gone once Close went both ways, or after a Reset.
//
// No flow control: received data waits in events until the application
// reads it. A stream whose unread data goes over
// `config::max_stream_receive_buffer` (or the session total over
// `config::max_session_receive_buffer`) is reset, as go-mplex resets a
// stream whose reader falls behind.
//
// Deviations from spec: the spec leaves these undefined; we choose:
// unknown flag 7, a frame over 1 MiB, NewStream for a stream that is
// already open, and data/close/reset for a stream number we never opened
// fail the session (errc::protocol / errc::too_large). Data the remote
// writes after its Close resets that stream. Frames for streams that are
// already gone (reset races) are dropped. NewStream names are ignored, as
// are bodies of Close / Reset frames. `go_away` is local only (mplex has no
// such frame): we stop opening and accepting streams.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/mplex/config.hpp"
#include "canswarm/mplex/event.hpp"
#include "canswarm/mplex/frame.hpp"
#include "canswarm/mplex/stream_state.hpp"
#include "canswarm/strong_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm::mplex {

/// Which side of the transport we are. mplex treats both sides alike; kept
/// for parity with yamux and for inspection.
enum class role { client, server };

/// Most events queued before an application that does not poll them is a
/// session error (data events are also bounded by the receive buffers).
inline constexpr std::size_t max_pending_events = 16384;

/// Inspection of one stream.
struct stream_stats {
  stream_id id;
  std::uint64_t number = 0;
  bool outbound = false;
  bool local_closed = false;
  bool remote_closed = false;
  std::size_t send_buffered = 0; ///< Written, not yet framed.
  std::size_t recv_buffered = 0; ///< Received, not yet read.
};

/// Inspection of the session.
struct session_stats {
  std::size_t streams = 0;
  std::size_t inbound_streams = 0;
  std::size_t outbound_streams = 0;
  std::size_t send_buffered = 0; ///< Over all streams.
  std::size_t recv_buffered = 0; ///< Over all streams.
  std::size_t control_frames_pending = 0;
  std::size_t events_pending = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t data_bytes_sent = 0;
  std::uint64_t data_bytes_received = 0;
  std::uint64_t data_bytes_dropped = 0; ///< For streams already gone.
  std::uint64_t streams_refused = 0; ///< Inbound streams over the limit.
  std::uint64_t streams_overrun = 0; ///< Reset for unread data bounds.
};

/// One mplex session over one transport connection.
class session {
public:
  /// Creates a session; throws std::invalid_argument if `cfg.validate()`
  /// fails.
  explicit session(role r, config cfg = {});

  // -- transport side --------------------------------------------------------

  /// Processes bytes read from the transport (any split). A protocol
  /// violation fails the session (see `session_error`).
  void handle_input(bytes_view data, time_point now);

  /// Appends frames to write to `out`: resets first, then stream frames
  /// round-robin. Stops once at least `max_bytes` were appended
  /// (overshooting by at most one frame).
  void poll_transmit(bytes& out, std::size_t max_bytes = SIZE_MAX);

  /// Returns everything there is to write now.
  bytes take_output();

  /// Returns whether `poll_transmit` would produce bytes.
  bool wants_transmit() const;

  // -- application side ------------------------------------------------------

  /// Returns the next event, if any. With `config::auto_consume` a polled
  /// `stream_data` counts as read.
  std::optional<event> poll_event();

  /// Opens an outbound stream (NewStream goes out with the next transmit).
  /// errc::refused when the session is closed or going away, or at the
  /// outbound stream limit.
  result<stream_id> open_stream();

  /// Queues bytes to send on `id`; returns how many were accepted (fewer,
  /// or 0, when the stream or session send buffer is full; a
  /// `stream_writable` event follows when room frees up). errc::not_found
  /// for an unknown / reset stream, errc::invalid_argument after `close`.
  result<std::size_t> write(stream_id id, bytes_view data, time_point now);

  /// Like the other `write`, but takes ownership of `data` to avoid a copy
  /// when it is accepted whole.
  result<std::size_t> write(stream_id id, bytes&& data, time_point now);

  /// Half-closes `id`: Close follows the buffered data. Idempotent.
  result<void> close(stream_id id);

  /// Resets `id` at once, dropping buffered data both ways.
  result<void> reset(stream_id id);

  /// Marks `n` received bytes of `id` as read (only needed without
  /// `config::auto_consume`). Unknown ids are ignored; `n` is clamped.
  void consume(stream_id id, std::size_t n, time_point now);

  /// Stops opening and accepting streams (local only: mplex has no such
  /// frame); `closed()` once the last stream is gone.
  void go_away();

  // -- inspection ------------------------------------------------------------

  /// True after a session error, or after `go_away` once no stream is
  /// left.
  bool closed() const;

  /// The error that failed the session, if any.
  const std::optional<error>& failure() const {
    return failure_;
  }

  role local_role() const {
    return role_;
  }

  const config& settings() const {
    return cfg_;
  }

  session_stats stats() const;

  /// Returns the state of a live stream.
  std::optional<stream_stats> stream_info(stream_id id) const;

private:
  using stream = detail::stream_state;

  // Input (session_input.cpp).
  void on_header(const header& h);
  void on_open(const header& h);
  void on_body(bytes_view chunk);
  void on_close(stream& s);
  void on_reset(stream& s);

  // Output (session_output.cpp).
  void queue_reset(std::uint64_t number, bool initiator, bool remote_triggered);
  void schedule(stream& s);
  void service(stream& s, bytes& out);
  void notify_writable();

  // Bookkeeping (session.cpp).
  stream* find(std::uint64_t key);
  const stream* find(std::uint64_t key) const;
  stream& add_stream(std::uint64_t number, bool outbound);
  void remove_stream(std::uint64_t key);
  void release(stream& s, std::size_t n);
  void push_event(event ev);
  void push_data(stream& s, bytes_view chunk);
  void fail(error err);
  void drop_all();
  result<void> check_open() const;
  result<stream*> writable_stream(stream_id id);

  role role_;
  config cfg_;
  std::unordered_map<std::uint64_t, stream> streams_; // Keyed as stream_id.
  std::deque<std::uint64_t> ready_; // Streams with frames to send.
  std::vector<std::uint64_t> write_blocked_; // Streams awaiting room.
  bytes control_out_; // Encoded resets.
  std::size_t control_frames_ = 0;
  std::deque<event> events_;

  // Frame parser.
  bytes header_buf_; // Up to max_header_size bytes of a partial header.
  header current_; // The frame whose body is arriving.
  std::uint64_t body_left_ = 0;
  std::uint64_t deliver_to_ = 0; // Stream key for message bodies.
  bool deliver_body_ = false; // False: discard the body.

  // Counters.
  std::uint64_t next_number_ = 0;
  std::size_t inbound_ = 0;
  std::size_t outbound_ = 0;
  std::size_t send_buffered_ = 0;
  std::size_t recv_buffered_ = 0;
  session_stats counters_;

  bool going_away_ = false;
  std::optional<error> failure_;
};

} // namespace canswarm::mplex
