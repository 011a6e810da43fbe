#pragma once

// Internals of the NATS bridge, shared by bridge.cpp (behaviour, connection
// events), bridge_publish.cpp and bridge_ingress.cpp.

#include <cstdint>
#include <string>

#include <caf/stateful_actor.hpp>

#include "canswarm/nats/bridge.hpp"

namespace canswarm::detail {

using nb_self = nats_bridge_actor::stateful_pointer<nats_bridge_state>;

/// Log component.
inline constexpr const char* nats_log = "nats-bridge";

/// Wall clock in Unix nanoseconds (the gate's time base).
std::uint64_t unix_now_ns();

// -- bridge_publish.cpp -------------------------------------------------------

caf::result<nats_publish_receipt>
nb_publish(nb_self self, bytes& wire, std::string& subject, const bytes& id);

void nb_on_ack(nb_self self, nats_ack_result& x);

void nb_on_publish_timeout(nb_self self, std::uint64_t seq);

/// Fails every publish in flight (the connection closed).
void nb_fail_in_flight(nb_self self, const std::string& why);

// -- bridge_ingress.cpp -------------------------------------------------------

caf::result<std::uint64_t> nb_subscribe(nb_self self, std::string& pattern,
                                        nats_envelope_sink_actor sink);

void nb_on_inbound(nb_self self, nats_inbound& x);

/// Removes a terminated sink everywhere; drops patterns left without one.
void nb_remove_sink(nb_self self, const caf::actor_addr& addr);

} // namespace canswarm::detail
