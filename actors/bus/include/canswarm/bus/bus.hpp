#pragma once

// The envelope bus: what CAN Swarm agents use. Signed envelopes on per-thread
// subjects, verified by the policy gate before anything acts on them.
//
// Subjects are NATS-style, `thread.{escaped thread id}.{verb}` or
// `thread.{escaped thread id}.*` for every verb of a thread; over P2P each
// maps to the gossipsub topic `/swarm/thread/{thread id}/{verb}`
// (protocols/envelope/topic.hpp).
//
// - publish: the envelope passes the gate's preflight (rules 1-10), is
//   recorded for replay protection, encoded once (the same bytes whichever
//   transport carries it) and published on the topic of its thread and
//   kind; local subscribers of that subject get it at once.
// - receive: the gate is the gossipsub validation hook of every thread
//   topic (`envelope_validators`): a refused envelope is never delivered
//   nor forwarded, and the forwarding peer is penalised (reject) so a peer
//   that keeps sending invalid envelopes falls below the graylist
//   threshold; a replay is dropped without penalty (ignore). Accepted
//   envelopes reach every local subscriber of a matching subject as
//   `bus_envelope`. Rejections are counted by reason and logged at WARNING.
//
// This is the P2P half of the hybrid bus; NATS joins with the hybrid-bus
// issue.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "canswarm/actors/interfaces.hpp"
#include "canswarm/actors/supervisor.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/envelope/gate.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/pubsub/pubsub.hpp"

namespace canswarm {

using bus_publish_atom = caf::atom_constant<caf::atom("buspub")>;
using bus_subscribe_atom = caf::atom_constant<caf::atom("bussub")>;
using bus_stats_atom = caf::atom_constant<caf::atom("busstats")>;

/// Local envelope subscriptions (subject, handler) per node.
inline constexpr std::size_t max_bus_subscriptions = 4096;

/// A verified envelope for a local subscriber.
struct bus_envelope {
  std::string subject; ///< The concrete subject (`thread.{id}.{verb}`).
  envelope::envelope env;
  peer_id received_from; ///< Forwarding peer; empty for a local publish.
};

/// Receives the envelopes of its subjects.
using envelope_handler_actor = caf::typed_actor<caf::reacts_to<bus_envelope>>;

} // namespace canswarm

// Local only (envelopes cross processes encoded, by the transports): CAF
// need not serialize it.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(canswarm::bus_envelope)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(canswarm::envelope::envelope)

namespace canswarm {

/// The bus's counters (the guide's get_bus().get_stats()).
struct bus_stats {
  std::string primary = "p2p"; ///< Transport publishes go to.
  std::string nats_state = "off"; ///< Until the hybrid bus lands.
  std::uint64_t published = 0; ///< Envelopes we published.
  std::uint64_t publish_peers = 0; ///< Sum of peers reached at publish.
  std::uint64_t received = 0; ///< Accepted from the network.
  std::uint64_t delivered = 0; ///< Handed to local subscribers.
  std::uint64_t preflight_rejected = 0; ///< Our own, refused.
  std::uint64_t subscriptions = 0;
  std::uint64_t lamport = 0; ///< The node's Lamport clock.
  /// Ingress rejections by reason ("bad_signature", "replay", ...).
  std::vector<std::pair<std::string, std::uint64_t>> rejected;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, bus_stats& x) {
  return f(caf::meta::type_name("bus_stats"), x.primary, x.nats_state,
           x.published, x.publish_peers, x.received, x.delivered,
           x.preflight_rejected, x.subscriptions, x.lamport, x.rejected);
}

/// The CAF error category of bus request failures (see wrap_error).
inline constexpr caf::atom_value bus_error_category = caf::atom("bus");

/// The envelope bus.
using bus_actor = component_actor::extend<
  // Publishes an envelope on a subject (`thread.{id}.{verb}`; it must match
  // the envelope's thread and kind); returns the number of peers reached.
  caf::replies_to<bus_publish_atom, envelope::envelope,
                  std::string>::with<std::uint64_t>,
  // Subscribes a handler to a subject (`thread.{id}.{verb}` or
  // `thread.{id}.*`); returns the subject's local subscriber count. Ends
  // when the handler terminates.
  caf::replies_to<bus_subscribe_atom, std::string,
                  envelope_handler_actor>::with<std::uint64_t>,
  // Returns the counters.
  caf::replies_to<bus_stats_atom>::with<bus_stats>>::
  extend_with<pubsub_subscriber_actor>;

/// The ingress gate, shared by the gossipsub validation hook (run in the
/// pub/sub actor) and the bus (stats, recording its own envelopes).
struct ingress_gate {
  explicit ingress_gate(envelope::gate_config cfg = {})
      : gate(std::move(cfg)) {}
  std::mutex mtx;
  envelope::gate_enforcer gate;
};

/// The validation hooks for pubsub_config::validators: the gate for every
/// `/swarm/thread/` topic, none for others.
std::function<gossipsub::validator(const std::string&)>
envelope_validators(std::shared_ptr<ingress_gate> gate);

/// Configuration of the bus.
struct bus_config {
  /// The pub/sub service (looked up at spawn time).
  std::shared_ptr<pubsub_locator> pubsub;
  /// The ingress gate (the same object given to envelope_validators).
  std::shared_ptr<ingress_gate> gate;
  /// Preflight settings for our own envelopes.
  envelope::gate_config preflight;
};

/// Spawns the bus.
result<bus_actor> spawn_bus(caf::actor_system& sys, bus_config cfg);

/// A supervisor spawn function for the bus.
spawn_function bus_spawner(bus_config cfg);

} // namespace canswarm
