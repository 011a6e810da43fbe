#pragma once

// Typed actor interfaces of the NATS bridge, one comment line per handler.
// To be merged into actors/include/canswarm/actors/interfaces.hpp.

#include <cstdint>
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "canswarm/actors/interfaces.hpp"
#include "canswarm/bytes.hpp"
#include "canswarm/nats/atoms.hpp"
#include "canswarm/nats/messages.hpp"

namespace canswarm {

/// Receives envelopes that arrived over NATS (e.g. the hybrid bus).
using nats_envelope_sink_actor = caf::typed_actor<
  // An envelope that passed the gate, tagged with transport "nats".
  caf::reacts_to<nats_envelope>>;

/// Receives the bridge's connection-state changes (e.g. the hybrid bus, to
/// fail over).
using nats_event_sink_actor = caf::typed_actor<
  // The connection went connected / reconnecting / closed.
  caf::reacts_to<nats_connection_event>>;

/// The NATS bridge: envelopes in and out of NATS (core or JetStream).
using nats_bridge_actor = component_actor::extend<
  // Publishes envelope wire bytes on a subject with Nats-Msg-Id = hex of the
  // envelope id; answers once NATS took it (core) or the stream stored it
  // (JetStream). Errors: not connected, refused (max_in_flight), publish
  // error, timeout.
  caf::replies_to<nats_publish_atom, bytes, std::string,
                  bytes>::with<nats_publish_receipt>,
  // Delivers envelopes arriving on a subject pattern to a sink until it
  // terminates; returns the subscription id (shared per pattern).
  caf::replies_to<nats_subscribe_atom, std::string,
                  nats_envelope_sink_actor>::with<std::uint64_t>,
  // Returns the connection state and counters.
  caf::replies_to<nats_health_atom>::with<nats_health>,
  // Sends connection events to an actor (the current state first) until it
  // terminates.
  caf::reacts_to<nats_events_atom, nats_event_sink_actor>,
  // Internal: a message from a nats.c delivery thread.
  caf::reacts_to<nats_inbound>,
  // Internal: a connection-state change from nats.c.
  caf::reacts_to<nats_state_change>,
  // Internal: a JetStream publish acknowledgement from nats.c.
  caf::reacts_to<nats_ack_result>,
  // Internal: the deadline of asynchronous publish `seq` passed.
  caf::reacts_to<nats_pub_timeout_atom, std::uint64_t>>;

} // namespace canswarm
