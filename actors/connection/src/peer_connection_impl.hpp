#pragma once

// Helpers shared by peer_connection.cpp (life cycle, I/O) and
// peer_connection_streams.cpp (core events, stream bridging).

#include <chrono>
#include <string>
#include <string_view>

#include "canswarm/connection/peer_connection.hpp"

namespace canswarm::detail {

using pc_self = caf::io::stateful_broker<peer_connection_state>*;

/// Log component of every connection line.
inline constexpr std::string_view pc_component = "connection";

inline time_point pc_now() {
  return std::chrono::steady_clock::now();
}

/// "#<conn> <dir> <remote addr> [<peer>]" for log lines.
std::string pc_label(pc_self self);

/// Pulls core output into CAF's write buffer while fewer than
/// write_high_water bytes are unwritten; returns whether it wrote.
bool pc_pump(pc_self self);

/// Schedules a tick for the core's next deadline and the write-stall limit.
void pc_arm_timer(pc_self self);

/// The connection's state summary (status_atom, close log).
component_status pc_status(pc_self self);

/// Processes core events and pulls output until neither produces
/// anything, then re-arms the timer. Call after every change to the core.
/// Stops reading the socket while the muxer holds more than
/// max_unconsumed_input unconsumed bytes; resumes below half of it.
void pc_read_backpressure(pc_self self);

/// The read tokens ran out (mplex): grant more, or pause while over
/// max_unconsumed_input.
void pc_on_passivated(pc_self self);
void pc_sync(pc_self self);

/// Translates one core event into messages.
void pc_on_event(pc_self self, connection::core_event& ev);

/// Retries the queued writes of a stream after the muxer made room.
void pc_retry_writes(pc_self self, stream_id id);

/// Forgets a bridged stream: fails its queued writes and, when `notify`,
/// tells its owner with stream_reset.
void pc_drop_stream(pc_self self, stream_id id, const std::string& reason,
                    bool notify);

/// Sends a stream's coalesced received bytes to its owner.
void pc_flush_inbox(pc_self self, stream_id id);

/// Grants the remote credit for a stream up to max_credit_ahead beyond
/// what its owner acknowledged.
void pc_credit(pc_self self, stream_id id);

/// Registers `owner` for stream `id` (monitoring it).
void pc_bridge(pc_self self, stream_id id, stream_handler_actor owner,
               std::string protocol);

/// Closes the connection once: logs the reason at INFO, fails requests,
/// resets bridged streams, tells the swarm, closes the socket and quits.
void pc_finish(pc_self self, error reason);

} // namespace canswarm::detail
