#pragma once

// Per-topic gossipsub state: the mesh (subscribed) or fanout (publishing
// only) peer set, the topic's message cache and its score counters, and the
// heartbeat decisions of spec v1.0 "Mesh Maintenance", "Fanout
// Maintenance", "Gossip Emission" with the v1.1 rules (negative-score
// pruning, D_score/D_out selection when oversubscribed, outbound quota,
// opportunistic grafting, adaptive gossip).
//
// It performs no I/O and knows nothing about other topics: the caller hands
// it a snapshot of the topic's peers (score, direction, backoff) and
// executes the returned plan (GRAFT/PRUNE/IHAVE messages, backoffs). In the
// node this is the state of one topic-mesh actor.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "canswarm/gossipsub/config.hpp"
#include "canswarm/gossipsub/message_cache.hpp"
#include "canswarm/gossipsub/rng.hpp"
#include "canswarm/gossipsub/topic_score.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm::gossipsub {

/// What the router knows about one peer subscribed to the topic.
struct mesh_candidate {
  const peer_id* peer = nullptr; ///< Stable pointer into the peer table.
  double score = 0; ///< Total score.
  bool outbound = false; ///< We dialed the connection.
  bool backoff = false; ///< Grafting it is not allowed yet.
  bool gossipsub = true; ///< false for floodsub peers.
  bool direct = false; ///< Explicit peering agreement.
};

/// Decisions of one heartbeat for one topic.
struct mesh_plan {
  std::vector<peer_id> graft; ///< Added to the mesh: send GRAFT.
  std::vector<peer_id> prune_negative; ///< Removed, negative score: PRUNE.
  std::vector<peer_id> prune_excess; ///< Removed, oversubscribed: PRUNE+PX.
  std::vector<peer_id> gossip; ///< Send IHAVE with gossip_ids.
  std::vector<message_id> gossip_ids; ///< Ids to advertise.
};

/// The state of one topic we subscribe or publish to.
class topic_mesh {
public:
  /// A topic we join (`subscribed`) or only publish to (fanout).
  topic_mesh(std::string topic, std::shared_ptr<const config> cfg,
             bool subscribed);

  /// Returns the topic.
  const std::string& topic() const {
    return topic_;
  }

  /// Returns whether we are subscribed (mesh) rather than a publisher.
  bool subscribed() const {
    return subscribed_;
  }

  /// Becomes subscribed: fanout peers move into the mesh (up to D, score
  /// >= 0, no backoff), then the mesh is filled from `candidates`. Returns
  /// the peers to GRAFT.
  std::vector<peer_id> join(std::vector<mesh_candidate> candidates, rng& r,
                            time_point now);

  /// Leaves the mesh: returns the mesh peers to PRUNE, mesh emptied.
  std::vector<peer_id> leave();

  /// Returns the mesh.
  const std::unordered_set<peer_id>& mesh() const {
    return mesh_;
  }

  /// Returns whether `p` is in the mesh.
  bool in_mesh(const peer_id& p) const {
    return mesh_.contains(p);
  }

  /// Adds `p` to the mesh (a GRAFT was accepted); false if present.
  bool graft(const peer_id& p, time_point now);

  /// Removes `p` from the mesh with P3b scoring; false if absent.
  bool prune(const peer_id& p);

  /// `p` disconnected or left the topic: removed from mesh and fanout.
  void peer_left(const peer_id& p, bool disconnected);

  /// Returns the fanout peers.
  const std::unordered_set<peer_id>& fanout() const {
    return fanout_;
  }

  /// Records a publish at `now`; if the fanout is empty it is filled with
  /// up to D candidates with score >= publish threshold. Returns the peers
  /// to publish to (the fanout).
  const std::unordered_set<peer_id>&
  publish_fanout(const std::vector<mesh_candidate>& candidates, rng& r,
                 time_point now);

  /// Returns whether a publishing-only topic's fanout expired at `now`.
  bool fanout_expired(time_point now) const;

  /// Runs the heartbeat decisions on `candidates` (all peers subscribed to
  /// the topic); mesh changes are applied, messages are the caller's.
  mesh_plan heartbeat(std::vector<mesh_candidate> candidates, rng& r,
                      std::uint64_t tick, time_point now);

  /// Returns the message cache.
  message_cache& cache() {
    return cache_;
  }
  const message_cache& cache() const {
    return cache_;
  }

  /// Message counts of this topic since it became local (for metrics).
  struct counters {
    std::uint64_t delivered = 0; ///< Accepted, new messages.
    std::uint64_t duplicates = 0; ///< Copies of messages already seen.
  };

  /// Returns the message counts.
  counters& counts() {
    return counts_;
  }
  const counters& counts() const {
    return counts_;
  }

  /// Returns the score counters.
  topic_score& score() {
    return score_;
  }
  const topic_score& score() const {
    return score_;
  }

private:
  void maintain_mesh(std::vector<mesh_candidate>& candidates, rng& r,
                     std::uint64_t tick, time_point now, mesh_plan& plan);
  void maintain_fanout(std::vector<mesh_candidate>& candidates, rng& r);
  void select_gossip(std::vector<mesh_candidate>& candidates, rng& r,
                     mesh_plan& plan);
  std::vector<peer_id> fill(std::vector<mesh_candidate>& candidates,
                            std::size_t want, rng& r, time_point now,
                            bool outbound_only);

  std::string topic_;
  std::shared_ptr<const config> cfg_;
  bool subscribed_;
  std::unordered_set<peer_id> mesh_;
  std::unordered_set<peer_id> fanout_;
  time_point last_publish_{};
  message_cache cache_;
  topic_score score_;
  counters counts_;
};

} // namespace canswarm::gossipsub
