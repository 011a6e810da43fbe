#pragma once

// The envelope bus: what CAN Swarm agents use. Signed envelopes on per-thread
// subjects, verified by the policy gate before anything acts on them, carried
// over P2P (gossipsub), NATS (the NATS bridge), or both: the hybrid bus of
// the deployment guide.
//
// Subjects are NATS-style, `thread.{escaped thread id}.{verb}` or
// `thread.{escaped thread id}.*` for every verb of a thread; over P2P each
// maps to the gossipsub topic `/swarm/thread/{thread id}/{verb}`
// (protocols/envelope/topic.hpp).
//
// Modes (bus_config::p2p, nats, primary; from P2P_ENABLED, P2P_PRIMARY,
// NATS_FALLBACK): p2p-only, p2p-primary (NATS fallback), nats-primary (P2P
// fallback), nats-only.
//
// - publish: the envelope passes the gate's preflight (rules 1-10), is
//   recorded for replay protection, encoded once (the same bytes whichever
//   transport carries it), delivered to local subscribers at once, and sent
//   on the primary transport. When the primary is unhealthy (NATS: not
//   connected, a publish failed or the health probe timed out; P2P: a
//   publish reached no peer or failed) it goes to the fallback instead, and
//   the envelopes sent on the primary during the last `replay_window` are
//   sent again on the fallback (the dying primary may have lost them;
//   receivers de-duplicate). While P2P is the failed primary every publish
//   also tries it, so its first success is the recovery; NATS recovers when
//   its connection is back. For `failback_overlap` after a recovery
//   publishes go to both transports (the receivers' own NATS connections or
//   meshes may come back later than ours), then to the primary alone.
//   A publish that no transport took (P2P reached no peer, NATS failed or
//   is not connected) is held, at most max_bus_held for max_bus_hold_time,
//   and sent again once a transport is healthy (while none is, the oldest
//   is tried on every tick as a probe), so an accepted publish is not
//   silently lost while the node (re)connects.
// - receive: the bus listens on every enabled transport. P2P: the gate is
//   the gossipsub validation hook of every thread topic
//   (`envelope_validators`): a refused envelope is never delivered nor
//   forwarded, and the forwarding peer is penalised (reject) so a peer that
//   keeps sending invalid envelopes falls below the graylist threshold; a
//   replay is dropped without penalty (ignore). NATS: the bridge runs its
//   own gate (reasons counted in nats_rejected). Accepted envelopes are
//   de-duplicated by id (bounded, `dedup_capacity` ids for `dedup_window`),
//   so a local subscriber sees each envelope exactly once whichever
//   transports carried it, then reach every local subscriber of a matching
//   subject (`bus_envelope`) or topic (`pubsub_message`, for the control
//   API). Rejections are counted by reason and logged at WARNING.
// - The pub/sub service and the NATS bridge are found through locators
//   each time they (re)start; the bus survives their restarts and routes
//   around a missing one meanwhile.

#include <chrono>
#include <cstdint>
#include <functional>
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
#include "canswarm/actors/locator.hpp"
#include "canswarm/actors/supervisor.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/envelope/gate.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/nats/interfaces.hpp"
#include "canswarm/pubsub/pubsub.hpp"

namespace canswarm {

using bus_publish_atom = caf::atom_constant<caf::atom("buspub")>;
using bus_subscribe_atom = caf::atom_constant<caf::atom("bussub")>;
using bus_stats_atom = caf::atom_constant<caf::atom("busstats")>;
using bus_publish_wire_atom = caf::atom_constant<caf::atom("buspubwire")>;
using bus_topic_subscribe_atom = caf::atom_constant<caf::atom("bustopsub")>;
using bus_topic_unsubscribe_atom = caf::atom_constant<caf::atom("bustopuns")>;
using bus_tick_atom = caf::atom_constant<caf::atom("bustick")>;

/// Local envelope subscriptions (subject, handler) per node.
inline constexpr std::size_t max_bus_subscriptions = 4096;

/// Default bound of the de-duplication memory (envelope ids).
inline constexpr std::size_t default_bus_dedup_capacity = 10'000;

/// Default time an envelope id stays in the de-duplication memory.
inline constexpr std::chrono::seconds default_bus_dedup_window{300};

/// Bound of the envelopes kept for a re-send on failover.
inline constexpr std::size_t max_bus_replay = 4096;

/// Bound of the publishes no transport took, waiting for one (beyond it the
/// oldest is dropped, counted and logged).
inline constexpr std::size_t max_bus_held = 4096;

/// Longest a publish waits for a transport before it is dropped.
inline constexpr std::chrono::seconds max_bus_hold_time{60};

/// A transport of the hybrid bus.
enum class bus_transport : std::uint8_t { p2p, nats };

/// "p2p" or "nats".
const char* to_string(bus_transport t);

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
  /// "p2p-only", "p2p-primary", "nats-primary" or "nats-only".
  std::string mode = "p2p-only";
  std::string primary = "p2p"; ///< Configured primary transport.
  std::string active = "p2p"; ///< Where publishes go now.
  /// "off" (NATS not used), "none" (no bridge running), else the bridge's
  /// connection state.
  std::string nats_state = "off";
  std::uint64_t published = 0; ///< Envelopes we published.
  std::uint64_t publish_peers = 0; ///< Sum of P2P peers reached at publish.
  std::uint64_t published_p2p = 0; ///< Sends on P2P (incl. re-sends).
  std::uint64_t published_nats = 0; ///< Sends on NATS (incl. re-sends).
  std::uint64_t publish_errors = 0; ///< Sends a transport failed.
  std::uint64_t received = 0; ///< Accepted from the network (first copy).
  std::uint64_t received_p2p = 0; ///< First copies that came over P2P.
  std::uint64_t received_nats = 0; ///< First copies that came over NATS.
  std::uint64_t dedup_hits = 0; ///< Copies dropped as already seen.
  std::uint64_t delivered = 0; ///< Handed to local subscribers.
  std::uint64_t preflight_rejected = 0; ///< Our own, refused.
  std::uint64_t failovers = 0; ///< Switches from primary to fallback.
  std::uint64_t failbacks = 0; ///< Returns to the primary.
  std::uint64_t resent = 0; ///< Envelopes re-sent on failover.
  std::uint64_t held = 0; ///< Publishes waiting for a transport now.
  std::uint64_t retried = 0; ///< Held publishes sent again.
  std::uint64_t held_dropped = 0; ///< Held publishes dropped (bounds).
  std::uint64_t subscriptions = 0;
  std::uint64_t lamport = 0; ///< The node's Lamport clock.
  /// P2P ingress rejections by reason ("bad_signature", "replay", ...).
  std::vector<std::pair<std::string, std::uint64_t>> rejected;
  /// NATS ingress rejections by reason (the bridge's gate).
  std::vector<std::pair<std::string, std::uint64_t>> nats_rejected;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, bus_stats& x) {
  return f(caf::meta::type_name("bus_stats"), x.mode, x.primary, x.active,
           x.nats_state, x.published, x.publish_peers, x.published_p2p,
           x.published_nats, x.publish_errors, x.received, x.received_p2p,
           x.received_nats, x.dedup_hits, x.delivered, x.preflight_rejected,
           x.failovers, x.failbacks, x.resent, x.held, x.retried,
           x.held_dropped, x.subscriptions, x.lamport, x.rejected,
           x.nats_rejected);
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
  caf::replies_to<bus_stats_atom>::with<bus_stats>,
  // Publishes envelope wire bytes given on a thread topic (the control
  // API's PUBLISH): decoded, then as bus_publish_atom.
  caf::replies_to<bus_publish_wire_atom, std::string,
                  bytes>::with<std::uint64_t>,
  // Subscribes an actor to a thread topic: it receives every envelope of
  // the topic, from any transport, once, as pubsub_message (the control
  // API's SUBSCRIBE); returns the topic's local subscriber count. Ends
  // with the subscriber or with bus_topic_unsubscribe_atom.
  caf::replies_to<bus_topic_subscribe_atom, std::string,
                  pubsub_subscriber_actor>::with<std::uint64_t>,
  caf::reacts_to<bus_topic_unsubscribe_atom, std::string,
                 pubsub_subscriber_actor>,
  // Internal: attach to (re)started services, probe NATS, expire memory.
  caf::reacts_to<bus_tick_atom>>::extend_with<pubsub_subscriber_actor>::
  extend_with<nats_envelope_sink_actor>::extend_with<nats_event_sink_actor>;

/// The running bus (for the control server).
using bus_locator = actor_locator<bus_actor>;

/// The running NATS bridge (for the bus).
using nats_bridge_locator = actor_locator<nats_bridge_actor>;

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
  /// The pub/sub service (null: P2P disabled).
  std::shared_ptr<pubsub_locator> pubsub;
  /// The NATS bridge (null: NATS not used).
  std::shared_ptr<nats_bridge_locator> nats;
  /// Where publishes go while it is healthy (the other enabled transport
  /// is the fallback).
  bus_transport primary = bus_transport::p2p;
  /// The ingress gate (the same object given to envelope_validators).
  std::shared_ptr<ingress_gate> gate;
  /// Preflight settings for our own envelopes.
  envelope::gate_config preflight;
  /// De-duplication memory of envelope ids.
  std::size_t dedup_capacity = default_bus_dedup_capacity;
  std::chrono::nanoseconds dedup_window = default_bus_dedup_window;
  /// Envelopes sent on the primary this recently are re-sent on failover.
  caf::timespan replay_window = std::chrono::seconds{1};
  /// Publishes go to both transports this long after a recovery.
  caf::timespan failback_overlap = std::chrono::seconds{5};
  /// Period of the tick (locators, NATS health probe, expiry).
  caf::timespan tick_interval = std::chrono::milliseconds{250};
  /// Where the bus registers itself (null: nowhere).
  std::shared_ptr<bus_locator> self_locator;
  /// Called (on the bus's thread) for each envelope accepted from the
  /// network with the seconds from its ts_ns to now (negative under clock
  /// skew): the publish-to-deliver latency metric. Must be thread-safe and
  /// cheap. Empty: not measured.
  std::function<void(double seconds)> observe_latency;

  /// "p2p-only", "p2p-primary", "nats-primary", "nats-only"; errors when
  /// neither transport is enabled or the primary is not.
  result<std::string> mode() const;
};

/// Spawns the bus.
result<bus_actor> spawn_bus(caf::actor_system& sys, bus_config cfg);

/// A supervisor spawn function for the bus.
spawn_function bus_spawner(bus_config cfg);

} // namespace canswarm
