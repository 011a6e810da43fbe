#pragma once

// The NATS bridge: one per node, carrying CAN Swarm envelopes over NATS
// (the NATS half of the hybrid bus: primary in P2P_PRIMARY=false, fallback
// with NATS_FALLBACK=true).
//
// - Out: publish(wire, subject, id) publishes the envelope bytes with
//   header Nats-Msg-Id = hex(id). Core NATS answers once nats.c buffered
//   it; JetStream answers with the server's ack (the stream de-duplicates a
//   re-publish of the same id within its duplicate window). Publishes
//   awaiting an ack, plus core publishes buffered during an outage, count
//   against max_in_flight; beyond it publishes are refused (errc::refused).
// - In: subscribe(pattern, sink) subscribes (JetStream: through a durable
//   push consumer named from durable_prefix and the pattern). Every
//   message is decoded and checked: the subject must be a thread subject
//   whose thread and verb are the envelope's, then the
//   envelope::gate_enforcer's ingress rules (signature, timestamps, replay,
//   ...). Rejections are counted by reason and logged at WARNING and never
//   delivered (JetStream: terminated, so not redelivered); accepted envelopes
//   go to every sink of the pattern as nats_envelope, then are acknowledged
//   (JetStream).
// - Threads: nats.c callbacks only `anon_send` to the bridge. Inbound
//   messages count against max_backlog first; beyond it they are dropped
//   and counted (JetStream redelivers them after the consumer's ack wait).
// - Connection: state changes (connected / reconnecting / closed) update
//   the health and go to every event sink. The bridge does not quit when
//   the connection closes: it answers publishes with "not connected".
//
// Shutdown: the state's destructor detaches the subscriptions (durable
// consumers stay on the server) and closes the connection; publishes still
// in nats.c's buffers are lost.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/timespan.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "canswarm/actors/supervisor.hpp"
#include "canswarm/config/config.hpp"
#include "canswarm/envelope/gate.hpp"
#include "canswarm/nats/client.hpp"
#include "canswarm/nats/interfaces.hpp"

namespace canswarm {

/// Default bound of publishes in flight (awaiting a JetStream ack, or
/// buffered by core NATS during an outage): their bytes sit in nats.c's
/// buffers, themselves bounded by the reconnect buffer.
inline constexpr std::size_t default_nats_max_in_flight = 1024;

/// Largest max_in_flight accepted (nats.c's ack table bound).
inline constexpr std::size_t max_nats_in_flight = nats::max_pending_acks;

/// Default bound of messages handed from nats.c threads to the bridge and
/// not yet handled (its mailbox): 4096 x 1 MiB worst case.
inline constexpr std::size_t default_nats_max_backlog = 4096;

/// Largest max_backlog accepted.
inline constexpr std::size_t max_nats_backlog = 65'536;

/// Subscription patterns per bridge (local subscribers, not remote input).
inline constexpr std::size_t max_nats_subscriptions = 256;

/// Sinks per subscription pattern.
inline constexpr std::size_t max_nats_sinks_per_subscription = 64;

/// Connection-event subscribers (the hybrid bus, metrics, tools).
inline constexpr std::size_t max_nats_event_sinks = 16;

/// Longest envelope id accepted for Nats-Msg-Id (envelope ids are 16 bytes).
inline constexpr std::size_t max_nats_msg_id_size = 64;

/// Time the bridge waits beyond publish_timeout for nats.c's own timeout
/// before it fails a JetStream publish itself.
inline constexpr caf::timespan nats_ack_grace = std::chrono::seconds{1};

/// What the bridge checks on ingress.
enum class nats_ingress_check : std::uint8_t {
  /// Subject, thread and gate (always, in a node).
  gate,
  /// Subject only: bytes are forwarded unchecked. For benchmarks of the
  /// transport alone; never selected by configuration.
  none,
};

/// Configuration of the NATS bridge.
struct nats_bridge_config {
  /// NATS_URL and the connection settings.
  nats::client_options client;
  /// JetStream (persistent, de-duplicated) instead of core NATS.
  bool jetstream = false;
  /// The stream of thread subjects (JetStream only).
  nats::stream_settings stream;
  /// Start of durable consumer names (JetStream only), e.g. the node name.
  std::string durable_prefix = "canswarm";
  /// Redelivery time and unacked bound of the durable consumers.
  std::chrono::milliseconds ack_wait{30'000};
  std::int64_t max_ack_pending = nats::default_max_ack_pending;
  /// Time a JetStream publish waits for its ack.
  caf::timespan publish_timeout = std::chrono::seconds{5};
  /// Bound of publishes in flight (see above).
  std::size_t max_in_flight = default_nats_max_in_flight;
  /// Bound of inbound messages between nats.c threads and the bridge.
  std::size_t max_backlog = default_nats_max_backlog;
  /// Ingress policy.
  envelope::gate_config gate;
  nats_ingress_check ingress = nats_ingress_check::gate;

  /// Checks the client options, stream, durable prefix, timeouts and
  /// bounds: errc::invalid_argument naming the field.
  result<void> validate() const;
};

/// Builds the bridge configuration from the node settings (NATS_URL,
/// NATS_JETSTREAM, NATS_STREAM; no echo of our own publishes, 0.5 s
/// reconnect wait).
nats_bridge_config make_nats_bridge_config(const config::settings& s);

/// A subscription pattern and its sinks.
struct nats_bridge_subscription {
  std::uint64_t id = 0;
  std::string pattern;
  std::vector<nats_envelope_sink_actor> sinks;
  nats::subscription sub;
};

/// A JetStream publish awaiting its ack.
struct nats_pending_publish {
  caf::typed_response_promise<nats_publish_receipt> rp;
  std::string subject;
};

/// Shared with the nats.c callbacks.
struct nats_bridge_shared {
  std::size_t max_backlog = default_nats_max_backlog;
  /// Inbound messages sent to the bridge and not yet handled.
  std::atomic<std::size_t> backlog{0};
  /// Inbound messages dropped at max_backlog.
  std::atomic<std::uint64_t> dropped{0};
};

/// State of the NATS bridge.
struct nats_bridge_state {
  /// CAF actor name.
  static inline const char* name = "nats-bridge";

  /// Fails the publishes still in flight (their requesters would wait
  /// forever), then detaches the subscriptions and closes the connection.
  ~nats_bridge_state();

  nats_bridge_config cfg;
  std::shared_ptr<nats_bridge_shared> shared;
  std::unique_ptr<envelope::gate_enforcer> gate;
  /// Counters and connection state (dynamic fields filled on request).
  nats_health health;
  /// JetStream: the stream exists (ensured after each connect).
  bool stream_ready = false;
  /// Core publishes accepted while disconnected (reset on reconnect).
  std::size_t buffered = 0;
  std::uint64_t next_seq = 1;
  std::uint64_t next_sub = 1;
  std::map<std::uint64_t, nats_pending_publish> in_flight;
  std::vector<nats_event_sink_actor> event_sinks;
  /// Declared before the subscriptions: destroyed after them.
  std::unique_ptr<nats::connection> conn;
  /// By subscription id.
  std::map<std::uint64_t, nats_bridge_subscription> subs;
};

/// The bridge's behaviour; `cfg` must be valid. Connects during start (with
/// retry_on_failed_connect it starts in state `connecting` instead of
/// failing when no server answers).
nats_bridge_actor::behavior_type
nats_bridge(nats_bridge_actor::stateful_pointer<nats_bridge_state> self,
            nats_bridge_config cfg);

/// Validates `cfg` and spawns a bridge.
result<nats_bridge_actor> spawn_nats_bridge(caf::actor_system& sys,
                                            nats_bridge_config cfg);

/// A supervisor child spawn function for the bridge.
spawn_function nats_bridge_spawner(nats_bridge_config cfg);

} // namespace canswarm
