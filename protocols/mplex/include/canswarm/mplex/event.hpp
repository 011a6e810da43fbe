#pragma once

// What an mplex session reports to its application (`session::poll_event`).
// The same kinds as yamux's events (canswarm/yamux/event.hpp) where they
// apply; mplex has no pings and no GO_AWAY.

#include <variant>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/strong_id.hpp"

namespace canswarm::mplex {

/// The remote opened a stream (NewStream).
struct stream_opened {
  stream_id id;
};

/// Bytes arrived on a stream, in order. Adjacent arrivals for the same
/// stream may be merged into one event.
struct stream_data {
  stream_id id;
  bytes data;
};

/// The remote half-closed a stream: no more data will arrive on it.
struct stream_remote_closed {
  stream_id id;
};

/// The stream is gone: the remote reset it, or we reset it because its
/// unread data went over a receive bound or the remote wrote after closing
/// (see config.hpp). The id is no longer valid.
struct stream_reset {
  stream_id id;
};

/// A stream whose `write` accepted less than offered has buffer room again.
struct stream_writable {
  stream_id id;
};

/// The session failed and is closed. All streams are gone; no further
/// stream events follow. (mplex has no frame to tell the remote why: the
/// caller closes the transport.)
struct session_error {
  canswarm::error err;
};

/// One event.
using event = std::variant<stream_opened, stream_data, stream_remote_closed,
                           stream_reset, stream_writable, session_error>;

} // namespace canswarm::mplex
