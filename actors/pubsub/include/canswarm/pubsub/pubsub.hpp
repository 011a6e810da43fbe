#pragma once

// The pub/sub service of a node: gossipsub v1.1 (with /meshsub/1.0.0 and
// /floodsub/1.0.0 peers) over the swarm's streams.
//
// The pubsub actor owns the sans-IO router (protocols/gossipsub) and drives
// it with the swarm:
// - it handles inbound streams for /meshsub/1.1.0, /meshsub/1.0.0 and
//   /floodsub/1.0.0 (one per peer; a newer one replaces the older) and reads
//   length-prefixed RPCs from them (frame bound: the router's
//   max_transmit_size);
// - on every connection that comes up it opens one outbound stream,
//   negotiating the three protocols in that order; a peer without pub/sub
//   simply refuses it; when the connection carrying it closes (or the
//   stream fails) while another connection to the peer lives, it re-opens
//   the stream there and the peer stays in the router (mesh, score);
// - it writes the router's frames on the outbound stream, at most
//   max_pubsub_writes_in_flight per peer (then the router keeps queueing,
//   bounded, and counts drops), and runs the heartbeat on the router's
//   deadlines;
// - publishing signs with the node key (StrictSign), except on the topics
//   configured StrictNoSign (gossipsub::config::topic_signing, from
//   GOSSIPSUB_STRICT_NO_SIGN_TOPICS).
//
// Topic actors: every local topic has one, spawned on its first local
// subscribe and stopped when its last subscriber leaves. It holds the
// topic's local subscribers (they receive every message delivered for the
// topic as pubsub_message) and runs the topic's validation hook: the router
// validates such topics asynchronously (validation_request), the topic
// actor runs the hook on its own CAF worker (hooks of different topics run
// in parallel, as far as their own locks allow), delivers an accepted message
// and answers the verdict, which this actor reports to the router (accept:
// forward; reject: P4 penalty; ignore: dropped, no penalty). At most
// max_pubsub_pending_validations per topic wait; beyond that a message is
// ignored and counted. Topics without a hook are accepted by the router at once
// and handed to the topic actor for delivery. Topic actors are supervised by
// this actor: one that fails (any exit while the topic is joined) is restarted
// with the same subscribers and hook, the router stays subscribed (mesh,
// backoffs and scores untouched), the validations it had pending are reported
// `ignore` and the restarts are counted per topic (pubsub_topic_actors_atom).
//
// Deviations: the mesh state of every topic (gossipsub::topic_mesh: mesh,
// fanout, message cache, P1-P4 counters), the seen cache and the signature
// check of the message (Ed25519 over the libp2p Message) stay in this
// actor's router; the router header documents the further split (the
// topic's topic_mesh moving into its topic actor).

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "canswarm/actors/interfaces.hpp"
#include "canswarm/actors/supervisor.hpp"
#include "canswarm/bytes.hpp"
#include "canswarm/connection/interfaces.hpp"
#include "canswarm/connection/swarm.hpp"
#include "canswarm/gossipsub/config.hpp"
#include "canswarm/gossipsub/router.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"

namespace canswarm {

using pubsub_subscribe_atom = caf::atom_constant<caf::atom("pssub")>;
using pubsub_unsubscribe_atom = caf::atom_constant<caf::atom("psunsub")>;
using pubsub_publish_atom = caf::atom_constant<caf::atom("pspub")>;
using pubsub_topics_atom = caf::atom_constant<caf::atom("pstopics")>;
using pubsub_peers_atom = caf::atom_constant<caf::atom("pspeers")>;
using pubsub_tick_atom = caf::atom_constant<caf::atom("pstick")>;
using pubsub_report_atom = caf::atom_constant<caf::atom("psreport")>;
using pubsub_topic_actors_atom = caf::atom_constant<caf::atom("pstopicact")>;
using pubsub_streams_atom = caf::atom_constant<caf::atom("psstreams")>;

/// The CAF error category of pub/sub request failures (see wrap_error).
inline constexpr caf::atom_value pubsub_error_category = caf::atom("pubsub");

/// Local subscriptions (topic, subscriber) one node holds.
inline constexpr std::size_t max_pubsub_subscriptions = 4096;

/// Frames handed to a peer's connection and not yet taken by its muxer.
inline constexpr std::size_t max_pubsub_writes_in_flight = 8;

/// Messages of one topic waiting for its topic actor's validation hook;
/// beyond that a message is ignored (no penalty) and counted.
inline constexpr std::size_t max_pubsub_pending_validations = 1024;

/// A message delivered to a local subscriber (fields of the libp2p pubsub
/// Message; `from`, `seqno`, `signature`, `key` empty when absent).
struct pubsub_message {
  std::string topic;
  bytes from; ///< Origin peer id bytes.
  bytes data;
  bytes seqno;
  bytes signature;
  bytes key;
  peer_id received_from; ///< The peer that forwarded it to us.
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, pubsub_message& x) {
  return f(caf::meta::type_name("pubsub_message"), x.topic, x.from, x.data,
           x.seqno, x.signature, x.key, x.received_from);
}

/// A connected pub/sub peer as the router sees it.
struct pubsub_peer_score {
  peer_id peer;
  double score = 0; ///< The v1.1 peer score (0 with scoring off).
  std::vector<std::string> mesh_topics; ///< Local topics whose mesh it is in.
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, pubsub_peer_score& x) {
  return f(caf::meta::type_name("pubsub_peer_score"), x.peer, x.score,
           x.mesh_topics);
}

/// Most topics whose own-publish propagation counts the service keeps (the
/// metrics' topic cap). A joined topic's entry goes when it is left; when
/// full, a publish-only topic's entry makes room for a new one.
inline constexpr std::size_t max_pubsub_propagation_topics = 64;

/// Message counts of one topic (for metrics).
struct pubsub_topic_counters {
  std::string topic;
  bool joined = false; ///< A local topic (else: we only published to it).
  std::uint64_t mesh = 0; ///< Mesh peers now (joined topics).
  std::uint64_t delivered = 0; ///< Accepted new messages from peers.
  std::uint64_t duplicates = 0; ///< Copies of messages already seen.
  /// Own publishes: the peers each should have reached (every known topic
  /// peer with flood publish, else up to D), summed ...
  std::uint64_t publish_expected = 0;
  /// ... and the peers each was queued for, summed.
  std::uint64_t publish_reached = 0;
};

template<class Inspector>
typename Inspector::result_type
inspect(Inspector& f, pubsub_topic_counters& x) {
  return f(caf::meta::type_name("pubsub_topic_counters"), x.topic, x.joined,
           x.mesh, x.delivered, x.duplicates, x.publish_expected,
           x.publish_reached);
}

/// The pub/sub service's counters and peers (for stats and inspection).
struct pubsub_report {
  std::vector<std::string> topics; ///< Local topics.
  std::uint64_t published = 0; ///< Messages we published.
  std::uint64_t received = 0; ///< Message entries received from peers.
  std::uint64_t delivered = 0; ///< Valid, new messages (delivered locally).
  std::uint64_t duplicates = 0; ///< Already seen.
  std::uint64_t ignored = 0; ///< The validator said ignore (e.g. replays).
  std::uint64_t graylisted = 0; ///< RPCs ignored: sender graylisted.
  std::uint64_t outbound_dropped = 0; ///< Per-peer queue full.
  /// Refusals by router reason ("invalid_signature", "validator_rejected",
  /// ...; only reasons with a count).
  std::vector<std::pair<std::string, std::uint64_t>> rejected;
  std::vector<pubsub_peer_score> peers; ///< Connected pub/sub peers.
  /// Per topic: local topics and topics we published to.
  std::vector<pubsub_topic_counters> topic_counters;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, pubsub_report& x) {
  return f(caf::meta::type_name("pubsub_report"), x.topics, x.published,
           x.received, x.delivered, x.duplicates, x.ignored, x.graylisted,
           x.outbound_dropped, x.rejected, x.peers, x.topic_counters);
}

/// One local topic's actor, for inspection.
struct pubsub_topic_info {
  std::string topic;
  caf::actor actor; ///< The current topic actor.
  std::uint64_t actor_id = 0;
  std::uint64_t restarts = 0; ///< Failures it was restarted after.
  std::uint64_t subscribers = 0; ///< Local subscribers.
  std::vector<peer_id> mesh_peers;
  std::vector<peer_id> fanout_peers; ///< Empty while we subscribe.
  std::uint64_t pending_validations = 0; ///< Waiting for the actor.
  bool validated = false; ///< The topic has a validation hook.
  /// Messages ignored: over max_pubsub_pending_validations.
  std::uint64_t validation_overflow = 0;
  /// Pending validations ignored because the topic actor failed.
  std::uint64_t dropped_at_failure = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, pubsub_topic_info& x) {
  return f(caf::meta::type_name("pubsub_topic_info"), x.topic, x.actor,
           x.actor_id, x.restarts, x.subscribers, x.mesh_peers, x.fanout_peers,
           x.pending_validations, x.validated, x.validation_overflow,
           x.dropped_at_failure);
}

/// Our pub/sub streams with one peer, for inspection.
struct pubsub_stream_info {
  peer_id peer;
  caf::actor out_connection; ///< Carries our outbound stream (if open).
  std::uint64_t out_conn = 0; ///< Its connection id (0: none).
  std::uint64_t in_conn = 0; ///< The peer's inbound stream's (0: none).
  std::uint64_t connections = 0; ///< Live connections to the peer.
  /// Outbound streams re-opened on a surviving connection.
  std::uint64_t reopens = 0;
  bool in_router = false; ///< A pub/sub peer of the router.
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, pubsub_stream_info& x) {
  return f(caf::meta::type_name("pubsub_stream_info"), x.peer, x.out_connection,
           x.out_conn, x.in_conn, x.connections, x.reopens, x.in_router);
}

/// Receives the messages of its topics.
using pubsub_subscriber_actor = caf::typed_actor<
  caf::reacts_to<pubsub_message>>;

/// The pub/sub service (also a stream handler and a connection-event
/// subscriber of the swarm).
using pubsub_actor = component_actor::extend<
  // Subscribes an actor to a topic (joining it on first use); returns the
  // number of local subscribers of the topic. The subscription ends when
  // the actor terminates.
  caf::replies_to<pubsub_subscribe_atom, std::string,
                  pubsub_subscriber_actor>::with<std::uint64_t>,
  // Ends a subscription (leaving the topic with its last subscriber);
  // returns the number of local subscribers left.
  caf::replies_to<pubsub_unsubscribe_atom, std::string,
                  pubsub_subscriber_actor>::with<std::uint64_t>,
  // Publishes data on a topic; returns the number of peers it was sent to.
  caf::replies_to<pubsub_publish_atom, std::string, bytes>::with<std::uint64_t>,
  // Returns the topics we subscribe to.
  caf::replies_to<pubsub_topics_atom>::with<std::vector<std::string>>,
  // Returns the peers known to subscribe to a topic (empty: any topic).
  caf::replies_to<pubsub_peers_atom, std::string>::with<std::vector<peer_id>>,
  // Returns the counters and every connected pub/sub peer with its score.
  caf::replies_to<pubsub_report_atom>::with<pubsub_report>,
  // Returns every local topic's actor (sorted by topic).
  caf::replies_to<pubsub_topic_actors_atom>::with<
    std::vector<pubsub_topic_info>>,
  // Returns our streams with every peer (sorted by peer).
  caf::replies_to<pubsub_streams_atom>::with<std::vector<pubsub_stream_info>>,
  // Internal: the router's deadline passed.
  caf::reacts_to<pubsub_tick_atom>>::extend_with<stream_handler_actor>::
  extend_with<connection_event_actor>;

/// The running pub/sub instance (updated on every (re)start; thread-safe),
/// for the control server.
class pubsub_locator {
public:
  void set(pubsub_actor a) {
    std::lock_guard<std::mutex> guard{mtx_};
    actor_ = std::move(a);
  }

  pubsub_actor get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return actor_;
  }

private:
  mutable std::mutex mtx_;
  pubsub_actor actor_;
};

/// Configuration of the pub/sub service.
struct pubsub_config {
  /// Our identity key (signs published messages).
  std::shared_ptr<const identity::private_key> key;
  /// The swarm (when invalid, `locator` at spawn time).
  swarm_actor swarm;
  std::shared_ptr<swarm_locator> locator;
  /// Router settings (D, D_lo, D_hi, heartbeat from the GOSSIPSUB_*
  /// variables; the rest the spec's defaults).
  gossipsub::config router;
  /// Protocols we accept and open, in preference order (default all three).
  std::vector<std::string> protocols{"/meshsub/1.1.0", "/meshsub/1.0.0",
                                     "/floodsub/1.0.0"};
  /// Set to each started instance (may be null).
  std::shared_ptr<pubsub_locator> self_locator;
  /// Called when the node joins a topic: the topic's validation hook
  /// (accept / reject / ignore feed the peer score; a rejected message is
  /// neither delivered nor forwarded), or an empty function for none. The
  /// hook runs in the topic's actor: hooks of different topics run
  /// concurrently, so they must be thread-safe.
  std::function<gossipsub::validator(const std::string& topic)> validators;
};

/// Makes `topics` StrictNoSign in `cfg` (GOSSIPSUB_STRICT_NO_SIGN_TOPICS);
/// other topics keep cfg.signing.
void apply_strict_no_sign_topics(gossipsub::config& cfg,
                                 const std::vector<std::string>& topics);

/// Spawns the pub/sub actor: it registers its stream handlers with the
/// swarm and subscribes to its connection events before it returns.
result<pubsub_actor> spawn_pubsub(caf::actor_system& sys, pubsub_config cfg);

/// A supervisor spawn function for the pub/sub service.
spawn_function pubsub_spawner(pubsub_config cfg);

} // namespace canswarm
