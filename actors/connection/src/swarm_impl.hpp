#pragma once

// Helpers shared by swarm.cpp (registry, requests), swarm_dial.cpp (dials
// and connection life cycle) and swarm_supervise.cpp (connection deaths,
// redials).

#include <string>
#include <string_view>
#include <vector>

#include "canswarm/connection/swarm.hpp"

namespace canswarm::detail {

using sw_self = swarm_actor::stateful_pointer<swarm_state>;

/// Log component of the swarm.
inline constexpr std::string_view sw_component = "swarm";

/// The handler table as sent to connections.
std::vector<handler_entry> sw_handler_entries(sw_self self);

/// Sends a connection event to every subscriber.
void sw_emit(sw_self self, conn_id id, const swarm_connection& c, bool up,
             std::string reason);

/// Forgets a connection (closed or its actor terminated): fails the dial
/// that created it, emits the down event and answers disconnect requests.
void sw_connection_down(sw_self self, conn_id id, const error& reason);

/// Answers a dial with an error and forgets it.
void sw_fail_dial(sw_self self, request_id req, const error& reason);

/// Starts queued dials while dial slots are free.
void sw_start_dials(sw_self self);

/// The up connection to `peer` used for requests, or null.
swarm_connection* sw_connection_to(sw_self self, const peer_id& peer);

// -- handlers in swarm_dial.cpp
// ------------------------------------------------

/// Validates and queues a dial; answers with the authenticated peer id.
caf::result<peer_id> sw_dial(sw_self self, dial_request& req);

/// A dial worker finished: spawns the outbound connection or fails the dial.
void sw_on_dial_outcome(sw_self self, dial_outcome& out);

/// A dial's deadline passed.
void sw_on_dial_timeout(sw_self self, request_id req);

/// Admits an inbound connection unless the connection limit is reached.
admission sw_admit(sw_self self, admission_request& req);

/// A connection finished its upgrade.
void sw_on_up(sw_self self, connection_up& up);

// -- handlers in swarm_supervise.cpp
// -------------------------------------------

/// A connection actor terminated without reporting its close (killed or
/// crashed): counts and logs the death and, for an upgraded outbound
/// connection, schedules a redial of its peer.
void sw_on_death(sw_self self, conn_id id, const swarm_connection& c,
                 const caf::error& reason);

/// A redial's backoff passed: dials the peer again.
void sw_on_redial(sw_self self, const peer_id& peer);

/// Kills every connection actor of `peer` with exit reason kill.
caf::result<std::vector<conn_id>> sw_kill_peer(sw_self self,
                                               const peer_id& peer);

/// The live connections and the peers being redialled or given up.
std::vector<peer_connection_info> sw_peer_conns(sw_self self);

} // namespace canswarm::detail
