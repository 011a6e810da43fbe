#pragma once

// The stream muxer of an open connection behind one interface: a yamux or
// an mplex session, whichever multistream-select chose. The two sessions
// share their shape (protocols/yamux, protocols/mplex); this adapter only
// dispatches and reports mplex's events with yamux's event types, which are
// a superset (mplex has no pings and no GO_AWAY).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>

#include "canswarm/bytes.hpp"
#include "canswarm/connection/upgrade.hpp"
#include "canswarm/error.hpp"
#include "canswarm/mplex/session.hpp"
#include "canswarm/strong_id.hpp"
#include "canswarm/time.hpp"
#include "canswarm/yamux/session.hpp"

namespace canswarm::connection {

/// A muxer event (see the overview: yamux's event kinds).
using muxer_event = yamux::event;

/// Session counters common to both muxers.
struct muxer_stats {
  std::size_t streams = 0;
  std::size_t send_buffered = 0; ///< Written, not yet framed.
  /// yamux: the sum of the receive windows granted; mplex (no flow
  /// control): received bytes not yet consumed.
  std::uint64_t receive_credit = 0;
};

/// One stream's state common to both muxers.
struct muxer_stream_stats {
  std::size_t send_buffered = 0;
  std::size_t recv_buffered = 0; ///< Received, not yet consumed.
  /// yamux only: credit the peer granted us and our receive window.
  std::optional<std::uint64_t> send_window;
  std::optional<std::uint32_t> recv_window;
};

/// A yamux or mplex session.
class muxer {
public:
  muxer(muxer_kind kind, bool client, const yamux::config& ycfg,
        const mplex::config& mcfg);

  muxer_kind kind() const {
    return std::holds_alternative<yamux::session>(impl_) ? muxer_kind::yamux
                                                         : muxer_kind::mplex;
  }

  void handle_input(bytes_view data, time_point now);
  void poll_transmit(bytes& out, std::size_t max_bytes = SIZE_MAX);
  bool wants_transmit() const;
  std::optional<muxer_event> poll_event();
  result<stream_id> open_stream();
  result<std::size_t> write(stream_id id, bytes_view data, time_point now);
  result<std::size_t> write(stream_id id, bytes&& data, time_point now);
  result<void> close(stream_id id);
  result<void> reset(stream_id id);
  void consume(stream_id id, std::size_t n, time_point now);
  /// yamux: GO_AWAY; mplex (no such frame): stop opening and accepting.
  void go_away();
  time_point poll_timeout() const;
  void handle_timeout(time_point now);

  muxer_stats stats() const;

  /// Received bytes not yet consumed (mplex; 0 for yamux, whose windows
  /// bound them).
  std::size_t unconsumed() const;
  std::optional<muxer_stream_stats> stream_info(stream_id id) const;

private:
  std::variant<yamux::session, mplex::session> impl_;
};

} // namespace canswarm::connection
