#pragma once

// Atoms of the NATS bridge (CAF 0.17 atoms: at most 10 characters). To be
// merged into actors/include/canswarm/actors/atoms.hpp.

#include <caf/atom.hpp>

namespace canswarm {

/// Publishes envelope wire bytes on a NATS subject.
using nats_publish_atom = caf::atom_constant<caf::atom("natspub")>;

/// Subscribes an envelope sink to a NATS subject pattern.
using nats_subscribe_atom = caf::atom_constant<caf::atom("natssub")>;

/// Asks for the bridge's health (state, counters).
using nats_health_atom = caf::atom_constant<caf::atom("natshealth")>;

/// Subscribes an actor to connection-state events.
using nats_events_atom = caf::atom_constant<caf::atom("natsevents")>;

/// Internal: an asynchronous publish's deadline passed.
using nats_pub_timeout_atom = caf::atom_constant<caf::atom("natspubtmo")>;

} // namespace canswarm
