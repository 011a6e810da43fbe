#pragma once

// Gossipsub v1.1 router (sans-IO), speaking to /meshsub/1.1.0,
// /meshsub/1.0.0 and /floodsub/1.0.0 peers.
//
// Phases, driven by the caller with `now`:
//  - peers: add_peer (protocol, direction, IP) sends our subscriptions;
//    remove_peer retains the peer's score.
//  - inbound: handle_rpc(peer, body) — graylist check, decode, then
//    subscriptions, messages (size, signing policy, seen cache, signature,
//    application validation, delivery, forwarding to mesh + floodsub +
//    direct peers), then control (IHAVE -> IWANT with promise tracking,
//    IWANT served from the message cache within budgets, GRAFT with
//    backoff/score/D_hi checks, PRUNE with clamped backoff and PX).
//  - application: subscribe/unsubscribe (GRAFT/PRUNE the mesh, announce),
//    publish (sign, flood publish or mesh/fanout), report_validation.
//  - time: handle_timeout runs the heartbeat (mesh and fanout maintenance,
//    gossip emission, mcache shift, broken promises, backoff expiry, score
//    band events) and score decay; poll_timeout gives the next deadline.
//  - output: poll_transmit yields (peer, frame): the uvarint length prefix
//    and RPC body batching everything queued for the peer, ready for its
//    outbound stream; poll_event yields events. (Inbound, the connection
//    half strips the prefix with frame_reader and passes the body.)
//
// Intended actor split (the node): state is already separated by owner.
//  - topic-mesh actor per local topic: one `topic_mesh` (mesh, fanout,
//    message cache, IHAVE selection, P1-P4 counters). Its inputs are the
//    topic's peer snapshot (mesh_candidate: score, direction, backoff) and
//    message/graft/prune events; its outputs are mesh_plan decisions.
//  - router actor (global): peer table and remote subscriptions, seen
//    cache, backoff table, gossip promises, `peer_score` (P5-P7 and the sum
//    of the topic contributions each topic actor reports), graylisting.
//    IWANT ids are looked up in every local topic's cache (the router
//    actor asks the topic actors).
//  - peer-connection actor halves: `frame_reader` on the inbound stream,
//    `outbound_queue` on the outbound stream (bounded, drops counted).
// The in-memory `router` composes all of them for simulations and tests.
//
// Deviations from spec:
//  - Own published messages are not delivered to the local subscriber.
//  - Topic score counters are dropped when we leave a topic.
//  - PX carries peer ids without signed peer records (allowed by the spec
//    "if it doesn't have one").
//  - IHAVE floods are ignored and counted but not penalised (as in go).
//  - A peer whose outbound queue overflows gets one P7 penalty per
//    heartbeat (rust-libp2p has a separate slow-peer parameter instead).
//  - Own messages received back from the network are dropped as
//    duplicates; the spec's explicit-peer reconnection is the node's job.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/gossipsub/backoff.hpp"
#include "canswarm/gossipsub/config.hpp"
#include "canswarm/gossipsub/events.hpp"
#include "canswarm/gossipsub/gossip_promises.hpp"
#include "canswarm/gossipsub/outbound_queue.hpp"
#include "canswarm/gossipsub/peer_score.hpp"
#include "canswarm/gossipsub/rng.hpp"
#include "canswarm/gossipsub/router_stats.hpp"
#include "canswarm/gossipsub/time_cache.hpp"
#include "canswarm/gossipsub/topic_mesh.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm::gossipsub {

/// Synchronous application validator of a topic.
using validator = std::function<validation_result(const peer_id& source,
                                                  const message& m)>;

/// Result of publish().
struct publish_result {
  message_id id;
  std::size_t peers = 0; ///< Peers the message was queued for (0 is fine).
  /// Peers it should have reached: every known topic peer with flood
  /// publish, else up to D of them. `peers` falls short of it when peers
  /// score below the publish threshold or their queues are full (the
  /// propagation metric).
  std::size_t expected = 0;
};

/// An encoded frame (uvarint length prefix + RPC) for one peer.
struct transmit {
  peer_id peer;
  bytes frame;
};

/// The gossipsub router.
class router {
public:
  /// Validates `cfg` and creates a router signing with `key`. `seed` seeds
  /// peer selection; `initial_seqno` is the first seqno minus one (give
  /// wall-clock nanoseconds so restarts do not reuse seqnos).
  static result<router> make(config cfg, identity::private_key key,
                             std::uint64_t seed, std::uint64_t initial_seqno,
                             time_point now);

  /// Returns our peer id.
  const peer_id& local_peer_id() const {
    return self_;
  }

  /// Returns the configuration.
  const config& cfg() const {
    return *cfg_;
  }

  // -- peers ------------------------------------------------------------------

  /// A pubsub stream to `peer` is open. `ip` feeds P6 (empty: unknown).
  result<void> add_peer(const peer_id& peer, protocol proto, bool outbound,
                        std::string ip, time_point now);

  /// The peer disconnected; its score is retained.
  void remove_peer(const peer_id& peer, time_point now);

  /// Backpressure from the connection: while not writable, output for the
  /// peer stays queued (bounded, drops counted).
  void set_writable(const peer_id& peer, bool writable);

  /// Returns whether `peer` is connected.
  bool has_peer(const peer_id& peer) const {
    return peers_.contains(peer);
  }

  // -- inbound ----------------------------------------------------------------

  /// Handles one RPC body (without length prefix) from `peer`. Errors name
  /// what was wrong; the peer is penalised, and refused parts are counted
  /// and reported as input_rejected events.
  result<void> handle_rpc(const peer_id& peer, bytes_view body, time_point now);

  /// The connection half refused a frame (e.g. frame_reader saw a length
  /// prefix over max_transmit_size): penalise and report.
  void report_invalid_frame(const peer_id& peer, const error& err,
                            time_point now);

  // -- application ------------------------------------------------------------

  /// Joins `topic` (GRAFT up to D peers, announce). Idempotent.
  result<void> subscribe(const std::string& topic, time_point now);

  /// Leaves `topic` (PRUNE with unsubscribe backoff, announce). Idempotent.
  result<void> unsubscribe(const std::string& topic, time_point now);

  /// Publishes `data` on `topic` under its signing policy. Having no peers
  /// is not an error (publish_result::peers is 0).
  result<publish_result> publish(const std::string& topic, bytes data,
                                 time_point now);

  /// Sets a synchronous validator for `topic` (empty function: none). It
  /// runs inside handle_rpc and must not call back into the router.
  void set_validator(const std::string& topic, validator fn);

  /// Makes `topic` validate asynchronously: each message is reported as a
  /// validation_request and waits for report_validation.
  void set_async_validation(const std::string& topic, bool async);

  /// Result of an asynchronous validation.
  result<void> report_validation(const message_id& id, validation_result r,
                                 time_point now);

  /// Sets the application-specific score (P5) of `peer`.
  void set_app_score(const peer_id& peer, double value);

  // -- time -------------------------------------------------------------------

  /// Runs whatever is due at `now` (heartbeat, score decay).
  void handle_timeout(time_point now);

  /// Runs one heartbeat now.
  void heartbeat(time_point now);

  /// Returns the next deadline for handle_timeout.
  time_point poll_timeout() const;

  // -- output -----------------------------------------------------------------

  /// Returns the next frame to send, batching what is queued for a peer.
  std::optional<transmit> poll_transmit();

  /// Returns the next event.
  std::optional<event> poll_event();

  // -- introspection ----------------------------------------------------------

  /// Returns the current score of `peer` (0 with scoring off).
  double score(const peer_id& peer) const;

  /// Returns the counters.
  const router_stats& stats() const {
    return stats_;
  }

  /// Returns the mesh / fanout peers of `topic` (empty if unknown).
  std::vector<peer_id> mesh_peers(const std::string& topic) const;
  std::vector<peer_id> fanout_peers(const std::string& topic) const;

  /// Returns the number of peers we know are subscribed to `topic`.
  std::size_t topic_peer_count(const std::string& topic) const;

  /// Returns the peers we know are subscribed to `topic`; with an empty
  /// topic, every connected pub/sub peer.
  std::vector<peer_id> topic_peers(const std::string& topic) const;

  /// Returns the number of topics `peer` is subscribed to in our table.
  std::size_t peer_topic_count(const peer_id& peer) const;

  /// Returns the number of distinct remote topics tracked.
  std::size_t known_topic_count() const {
    return topic_peers_.size();
  }

  /// Returns the local topic state, or null.
  const topic_mesh* topic_state(const std::string& topic) const;

  /// Returns the global score state, backoff table and promise tracker.
  const peer_score& global_score() const {
    return score_;
  }
  const backoff_table& backoffs() const {
    return backoff_;
  }
  const gossip_promises& promises() const {
    return promises_;
  }

  /// Returns the outbound queue of `peer`, or null.
  const outbound_queue* queue_of(const peer_id& peer) const;

  /// Number of messages waiting for asynchronous validation.
  std::size_t pending_validations() const {
    return validating_.size();
  }

  router(router&&) = default;
  router& operator=(router&&) = default;

private:
  struct peer_state {
    peer_state(protocol p, bool out, std::string addr, bool is_direct,
               std::size_t max_body)
        : proto(p),
          outbound(out),
          ip(std::move(addr)),
          direct(is_direct),
          queue(max_body) {}
    protocol proto;
    bool outbound;
    std::string ip;
    bool direct;
    bool writable = true;
    bool dirty = false; ///< Listed in dirty_.
    std::unordered_set<std::string> topics;
    outbound_queue queue;
    std::size_t ihave_received = 0; ///< IHAVE entries this heartbeat.
    std::size_t iasked = 0; ///< Ids asked via IWANT this heartbeat.
    std::size_t iwant_served = 0; ///< IWANT ids processed this heartbeat.
    double heartbeat_score = 0; ///< Score snapshot of this heartbeat.
    score_band band = score_band::non_negative; ///< Last reported band.
    bool overflowed = false; ///< Output dropped since the last heartbeat.
  };

  struct pending {
    std::shared_ptr<const cached_message> msg;
    peer_id source;
  };

  router(std::shared_ptr<const config> cfg, identity::private_key key,
         std::uint64_t seed, std::uint64_t initial_seqno, time_point now);

  // router.cpp
  void emit(event e);
  void touch(const peer_id& peer, peer_state& ps);
  void reject(const peer_id& peer, reject_reason r, std::string detail,
              bool penalise);
  bool queue_message(const peer_id& peer, peer_state& ps,
                     std::shared_ptr<const cached_message> m);
  topic_mesh* local_topic(const std::string& topic);
  std::vector<mesh_candidate> candidates(const std::string& topic,
                                         time_point now,
                                         bool snapshot = false) const;
  void send_prune(const peer_id& peer, const std::string& topic, bool px,
                  duration backoff, time_point now);
  // router_inbound.cpp
  void handle_subscriptions(const peer_id& peer, peer_state& ps,
                            std::vector<sub_opts>& subs);
  /// Returns true if the message was refused with a penalty.
  bool handle_message(const peer_id& source, message&& m, time_point now);
  void finish_validation(const pending& p, validation_result r, time_point now);
  std::size_t forward(const std::shared_ptr<const cached_message>& m,
                      const peer_id* source);
  // router_control.cpp
  void handle_ihave(const peer_id& peer, peer_state& ps,
                    std::vector<control_ihave>& ihaves, time_point now);
  void handle_iwant(const peer_id& peer, peer_state& ps,
                    const std::vector<control_iwant>& iwants);
  void handle_graft(const peer_id& peer, peer_state& ps,
                    const std::vector<control_graft>& grafts, time_point now);
  void handle_prune(const peer_id& peer, std::vector<control_prune>& prunes,
                    time_point now);
  // router_heartbeat.cpp
  void decay(time_point now);
  void snapshot_scores();

  std::shared_ptr<const config> cfg_;
  identity::private_key key_;
  peer_id self_;
  rng rng_;
  std::uint64_t seqno_;
  std::unordered_map<peer_id, peer_state> peers_;
  std::unordered_map<std::string, std::unordered_set<peer_id>> topic_peers_;
  std::unordered_map<std::string, topic_mesh> topics_;
  std::unordered_set<peer_id> direct_;
  peer_score score_;
  time_cache<message_id> seen_;
  backoff_table backoff_;
  gossip_promises promises_;
  std::unordered_map<message_id, pending> validating_;
  std::unordered_map<std::string, validator> validators_;
  std::unordered_set<std::string> async_topics_;
  std::deque<peer_id> dirty_;
  std::deque<event> events_;
  router_stats stats_;
  time_point next_heartbeat_;
  time_point next_decay_;
  std::uint64_t tick_ = 0;
  bytes scratch_; ///< Signed payload buffer, reused.
};

} // namespace canswarm::gossipsub
