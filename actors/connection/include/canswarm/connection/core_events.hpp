#pragma once

// What a connection core (core.hpp) reports to the actor that drives it.
// Every event names the stream or request it concerns; requests are
// correlated with the request_id the caller chose.

#include <optional>
#include <string>
#include <variant>

#include "canswarm/bytes.hpp"
#include "canswarm/connection/upgrade.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identify/message.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/strong_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm::connection {

/// Security and muxer are negotiated: the connection is usable. Emitted once,
/// before any stream event.
struct established {
  peer_id peer;
  identity::public_key key;
  security_kind security = security_kind::noise; ///< Negotiated.
  muxer_kind muxer = muxer_kind::yamux; ///< Negotiated.
};

/// The remote's Identify arrived (response to our request, or a push) and
/// its publicKey, if present, matches the authenticated peer id.
struct identified {
  identify::message message;
  bool push = false;
};

/// An Identify exchange failed (the connection itself stays up).
struct identify_failed {
  error reason;
};

/// A ping request finished: `rtt` on success, else `failure`.
struct ping_done {
  request_id request;
  std::optional<duration> rtt;
  error failure;
};

/// The remote opened a stream for one of our application protocols.
struct stream_accepted {
  stream_id id;
  std::string protocol;
};

/// A stream we opened agreed on `protocol`.
struct stream_ready {
  request_id request;
  stream_id id;
  std::string protocol;
};

/// A stream we opened could not be negotiated (refused, reset, timed out).
struct stream_failed {
  request_id request;
  error reason;
};

/// Bytes arrived on an application stream. They count against the stream's
/// receive window until the caller passes them to `core::consume`.
struct stream_data {
  stream_id id;
  bytes data;
};

/// The remote half-closed an application stream: no more data follows.
struct stream_remote_closed {
  stream_id id;
};

/// An application stream was reset (by the remote, a timeout or the
/// session failing). Its id is no longer valid.
struct stream_reset {
  stream_id id;
  std::string reason;
};

/// An application stream whose `write` accepted less than offered has room.
struct stream_writable {
  stream_id id;
};

/// The connection failed or was closed; no event follows this one.
struct closed {
  error reason;
};

/// Protocol detail worth a debug log line (a refused inbound stream, an
/// idle ping responder); the connection is not affected.
struct note {
  std::string text;
};

/// One event of a connection core.
using core_event = std::variant<
  established, identified, identify_failed, ping_done, stream_accepted,
  stream_ready, stream_failed, stream_data, stream_remote_closed, stream_reset,
  stream_writable, closed, note>;

} // namespace canswarm::connection
