#pragma once

// What a yamux session reports to its application (`session::poll_event`).

#include <cstdint>
#include <variant>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/strong_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm::yamux {

/// The remote opened a stream (SYN). It stays unacknowledged until we send
/// on it (data, close or window credit), as the libp2p yamux note advises.
struct stream_opened {
  stream_id id;
};

/// Bytes arrived on a stream, in order. Adjacent arrivals for the same
/// stream may be merged into one event.
struct stream_data {
  stream_id id;
  bytes data;
};

/// The remote half-closed a stream (FIN): no more data will arrive on it.
struct stream_remote_closed {
  stream_id id;
};

/// The remote reset a stream (RST), or refused one we opened. The id is no
/// longer valid.
struct stream_reset {
  stream_id id;
};

/// A stream whose `write` accepted less than offered has buffer room again.
struct stream_writable {
  stream_id id;
};

/// A ping we sent was answered after `rtt`.
struct ping_rtt {
  duration rtt;
};

/// The remote sent GO_AWAY with `code` (see `go_away_code`): it accepts no
/// new streams; existing ones continue.
struct go_away_received {
  std::uint32_t code = 0;
};

/// The session failed and is closed. If the remote broke the protocol a
/// GO_AWAY with the protocol error code is queued as the last output. All
/// streams are gone; no further stream events follow.
struct session_error {
  canswarm::error err;
};

/// One event.
using event = std::variant<stream_opened, stream_data, stream_remote_closed,
                           stream_reset, stream_writable, ping_rtt,
                           go_away_received, session_error>;

} // namespace canswarm::yamux
