#pragma once

// A sans-IO yamux session (hashicorp/yamux spec.md; libp2p /yamux/1.0.0):
// feed it transport bytes with `handle_input`, drain frames to write with
// `poll_transmit` / `take_output`, read what happened with `poll_event`,
// and drive its timers with `poll_timeout` / `handle_timeout`. It never
// reads a clock; every `now` comes from the caller.
//
// Phases of a stream: open (SYN; the opener may send at once), accepted
// (ACK, which we piggyback on the first frame our application causes, as
// the libp2p note advises), half-closed per direction (FIN), removed once
// both FINs passed or after RST.
//
// Flow control: each stream starts with the spec's 256 KiB window both
// ways. When the application has consumed half of a stream's receive
// window we send WINDOW_UPDATE. Auto-tuning: if that half window was
// consumed within one measured round-trip time (from our pings) since the
// previous credit, the window doubles, up to `config::max_stream_window`
// and as long as the sum of all windows stays within
// `config::max_session_receive_window`.
//
// Deviations from spec: PING / GO_AWAY on a stream other than 0, unknown
// flag bits, SYN with ACK, and non-SYN frames for stream ids the remote
// never opened are protocol errors (the spec leaves them undefined). The
// spec says nothing about limits; ours are in config.hpp. A stream the
// remote opens over a limit, or after either side's GO_AWAY, is reset.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/strong_id.hpp"
#include "canswarm/time.hpp"
#include "canswarm/yamux/config.hpp"
#include "canswarm/yamux/event.hpp"
#include "canswarm/yamux/frame.hpp"
#include "canswarm/yamux/stream_state.hpp"

namespace canswarm::yamux {

/// Which side of the transport we are: the client (dialer) opens odd
/// stream ids, the server (listener) even ones.
enum class role { client, server };

/// Most events queued before an application that does not poll them is a
/// session error (each input byte can cause at most one event per 12).
inline constexpr std::size_t max_pending_events = 16384;

/// Inspection of one stream.
struct stream_stats {
  stream_id id;
  bool outbound = false;
  bool acknowledged = false; ///< ACK sent (inbound) or received (outbound).
  bool local_closed = false;
  bool remote_closed = false;
  std::uint64_t send_window = 0; ///< Credit the peer granted us.
  std::size_t send_buffered = 0; ///< Bytes written, not yet framed.
  std::uint32_t recv_window = 0; ///< Current (auto-tuned) window size.
  std::uint32_t recv_avail = 0; ///< Bytes the peer may still send.
  std::uint32_t recv_buffered = 0; ///< Received, not yet consumed.
};

/// Inspection of the session.
struct session_stats {
  std::size_t streams = 0;
  std::size_t inbound_unacked = 0;
  std::size_t outbound_unacked = 0;
  std::size_t send_buffered = 0; ///< Over all streams.
  std::size_t control_frames_pending = 0;
  std::size_t events_pending = 0;
  std::uint64_t total_recv_window = 0; ///< Sum of streams' windows.
  std::uint32_t largest_recv_window = 0; ///< Largest any stream reached.
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t data_bytes_sent = 0;
  std::uint64_t data_bytes_received = 0;
  std::uint64_t streams_refused = 0; ///< Inbound streams reset by limits.
  std::optional<duration> rtt; ///< Last measured ping round trip.
};

/// One yamux session over one transport connection.
class session {
public:
  /// Creates a session; throws std::invalid_argument if `cfg.validate()`
  /// fails.
  explicit session(role r, config cfg = {});

  // -- transport side --------------------------------------------------------

  /// Processes bytes read from the transport (any split). A protocol
  /// violation fails the session (see `session_error`).
  void handle_input(bytes_view data, time_point now);

  /// Appends frames to write to `out`: control frames first, then stream
  /// frames round-robin. Stops once at least `max_bytes` were appended
  /// (overshooting by at most one frame).
  void poll_transmit(bytes& out, std::size_t max_bytes = SIZE_MAX);

  /// Returns everything there is to write now.
  bytes take_output();

  /// Returns whether `poll_transmit` would produce bytes.
  bool wants_transmit() const;

  // -- application side ------------------------------------------------------

  /// Returns the next event, if any. With `config::auto_consume` a polled
  /// `stream_data` counts as consumed.
  std::optional<event> poll_event();

  /// Optionally hands back the buffer of a consumed `stream_data` event so
  /// later events reuse it instead of allocating (bulk transfers otherwise
  /// make malloc map and unmap pages for every batch).
  void recycle(bytes&& buffer);

  /// Opens an outbound stream (its SYN goes out with the next transmit).
  /// errc::refused when the session is closed or going away, or a stream
  /// or ACK-backlog limit is reached.
  result<stream_id> open_stream();

  /// Queues bytes to send on `id`; returns how many were accepted (fewer
  /// when the stream or session send buffer is full, 0 when full; a
  /// `stream_writable` event follows when room frees up). errc::not_found
  /// for an unknown / reset stream, errc::invalid_argument after `close`.
  result<std::size_t> write(stream_id id, bytes_view data, time_point now);

  /// Like the other `write`, but takes ownership of `data` to avoid a copy
  /// when it is accepted whole.
  result<std::size_t> write(stream_id id, bytes&& data, time_point now);

  /// Half-closes `id`: FIN follows the buffered data. Idempotent.
  result<void> close(stream_id id);

  /// Resets `id` at once (RST), dropping buffered data both ways.
  result<void> reset(stream_id id);

  /// Returns `n` received bytes of `id` as window credit (only needed
  /// without `config::auto_consume`). Unknown ids are ignored; `n` is
  /// clamped to what was received.
  void consume(stream_id id, std::size_t n, time_point now);

  /// Sends a PING unless one is outstanding; its answer yields `ping_rtt`.
  void ping(time_point now);

  /// Sends GO_AWAY once: no new streams either way afterwards.
  void go_away(go_away_code code = go_away_code::normal);

  // -- timers ----------------------------------------------------------------

  /// Next time `handle_timeout` must run (ping timeout, keep-alive, write
  /// timeout), or `no_deadline`.
  time_point poll_timeout() const;

  /// Fires due timers: ping timeout and write timeout fail the session
  /// with errc::timeout; keep-alive sends a ping.
  void handle_timeout(time_point now);

  // -- inspection ------------------------------------------------------------

  /// True after a session error, or once GO_AWAY went either way and the
  /// last stream is gone. Drain `take_output` once more before closing the
  /// transport (it may hold the GO_AWAY).
  bool closed() const;

  /// The error that failed the session, if any.
  const std::optional<error>& failure() const {
    return failure_;
  }

  /// Last measured ping round-trip time.
  std::optional<duration> rtt() const {
    return rtt_;
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
  void on_stream_frame(const header& h);
  stream* open_inbound(const header& h);
  void on_body(bytes_view chunk, std::size_t input_left);
  void finish_data_frame();
  void apply_ack(stream& s, const header& h);
  void apply_fin_rst(stream& s, const header& h);
  void on_ping(const header& h);
  bool is_remote_id(std::uint32_t id) const;
  bool was_opened(std::uint32_t id) const;

  // Output and timers (session_output.cpp).
  void queue_control(const header& h, bool remote_triggered);
  void schedule(stream& s);
  void service(stream& s, bytes& out);
  void notify_writable();
  void send_ping(time_point now);
  void advance(time_point now);

  // Bookkeeping (session.cpp).
  stream* find(std::uint32_t id);
  const stream* find(std::uint32_t id) const;
  stream& add_stream(std::uint32_t id, bool outbound);
  void remove_stream(std::uint32_t id);
  void credit(stream& s, std::uint32_t n, time_point now);
  void push_event(event ev);
  void push_data(std::uint32_t id, bytes_view chunk, std::size_t expected);
  void fail(error err);
  result<void> check_open() const;
  result<stream*> writable_stream(stream_id id);

  role role_;
  config cfg_;
  std::unordered_map<std::uint32_t, stream> streams_;
  std::deque<std::uint32_t> ready_; // Streams with frames to send.
  std::vector<std::uint32_t> write_blocked_; // Streams awaiting room.
  bytes control_out_; // Encoded control frames.
  std::size_t control_frames_ = 0;
  std::deque<event> events_;
  block_pool pool_; // Send-buffer blocks of all streams.

  // Frame parser.
  std::array<std::uint8_t, header_size> header_buf_{};
  std::size_t header_have_ = 0;
  header current_; // The DATA frame whose body is arriving.
  std::uint32_t body_left_ = 0;
  bool deliver_body_ = false; // False: discard (stale or refused stream).

  // Stream ids and counters.
  std::uint64_t next_local_id_;
  std::uint32_t max_remote_id_ = 0;
  /// Refused inbound streams in a row (since the last one accepted) the
  /// remote is to blame for, counted against max_refused_streams: not those
  /// refused after a GO_AWAY.
  std::size_t refusals_charged_ = 0;
  std::size_t inbound_unacked_ = 0;
  std::size_t outbound_unacked_ = 0;
  std::size_t send_buffered_ = 0;
  std::uint64_t total_recv_window_ = 0;
  session_stats counters_;

  // Time.
  bool started_ = false;
  time_point now_{};
  std::optional<std::uint32_t> ping_opaque_; // Outstanding ping.
  time_point ping_sent_{};
  time_point last_ping_{};
  std::uint32_t next_ping_opaque_ = 1;
  std::optional<duration> rtt_;
  std::optional<time_point> stall_since_; // Data queued, no progress.
  bool progressed_ = false; // DATA left since last `now`.

  // Termination.
  bool go_away_sent_ = false;
  bool go_away_received_ = false;
  std::optional<error> failure_;
};

} // namespace canswarm::yamux
