#pragma once

// Gossipsub router configuration: the v1.0 overlay parameters (D, D_lo,
// D_hi, D_lazy, heartbeat, fanout TTL, mcache windows, seen TTL), the v1.1
// additions (D_score, D_out, backoffs, gossip factor, flood publish, PX,
// opportunistic grafting, IHAVE/IWANT budgets), signing and message ids,
// and the score parameters. `validate()` rejects inconsistent values.
//
// The node maps GOSSIPSUB_MESH_DEGREE_LOW / GOSSIPSUB_MESH_DEGREE /
// GOSSIPSUB_MESH_DEGREE_HIGH to d_lo / d / d_hi and
// GOSSIPSUB_HEARTBEAT_INTERVAL to heartbeat_interval.

#include <cstddef>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "canswarm/error.hpp"
#include "canswarm/gossipsub/limits.hpp"
#include "canswarm/gossipsub/score_params.hpp"
#include "canswarm/gossipsub/types.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm::gossipsub {

/// Computes the id of a message (must be deterministic across the network).
using message_id_fn = std::function<message_id(const message&)>;

/// Router configuration; defaults are the spec's (go's where the spec has
/// none).
struct config {
  // Overlay (spec v1.0 "Parameters", v1.1 "Overview of New Parameters").
  std::size_t d = 6; ///< Desired mesh degree.
  std::size_t d_lo = 4; ///< Graft below this.
  std::size_t d_hi = 12; ///< Prune above this.
  std::size_t d_lazy = 6; ///< Minimum gossip targets.
  std::size_t d_score = 4; ///< Peers kept by score when pruning.
  std::size_t d_out = 2; ///< Outbound peers kept in the mesh.

  duration heartbeat_interval = 1s;
  duration heartbeat_initial_delay = 100ms; ///< First heartbeat after start.
  duration fanout_ttl = 60s;
  std::size_t mcache_len = 5; ///< History windows kept.
  std::size_t mcache_gossip = 3; ///< Windows advertised in IHAVE.
  duration seen_ttl = 120s;
  std::size_t seen_capacity = std::size_t{1} << 18; ///< Seen ids kept.

  duration prune_backoff = 60s;
  duration unsubscribe_backoff = 10s;
  duration graft_flood_threshold = 10s; ///< GRAFT this soon: extra P7.
  double gossip_factor = 0.25;

  std::size_t max_ihave_length = 5000; ///< Ids per IHAVE / asked per hb.
  std::size_t max_ihave_messages = 10; ///< IHAVEs accepted per peer, hb.
  std::size_t max_iwant_per_heartbeat = 5000; ///< IWANT ids honoured.
  std::size_t gossip_retransmission = 3; ///< IWANT serves per id and peer.
  duration iwant_followup_time = 3s; ///< IHAVE promise deadline.

  std::size_t opportunistic_graft_ticks = 60;
  std::size_t opportunistic_graft_peers = 2;

  bool flood_publish = true; ///< Own messages to all topic peers.
  bool do_px = false; ///< Offer PX when pruning (bootstrappers).
  std::size_t prune_peers = max_px_peers; ///< Peers offered in PX.

  std::size_t max_transmit_size = default_max_transmit_size; ///< RPC body.
  std::size_t max_message_size = default_max_transmit_size - 1024; ///< data

  /// Signing policy of topics not listed in `topic_signing`.
  signing_policy signing = signing_policy::strict_sign;
  std::unordered_map<std::string, signing_policy> topic_signing;

  /// Message id function; empty: from||seqno when both are present, else
  /// sha256(data).
  message_id_fn id_fn;

  /// Explicit peering agreements (spec v1.1): always forwarded to, never in
  /// the mesh, their RPCs never graylisted.
  std::vector<peer_id> direct_peers;

  /// Peer scoring (v1.1). When disabled every score is 0.
  bool scoring = true;
  peer_score_params score;
  peer_score_thresholds thresholds;

  /// Returns the signing policy of `topic`.
  signing_policy policy_for(const std::string& topic) const;

  /// Checks every constraint; the error names the offending fields.
  result<void> validate() const;

  /// The spec's bootstrapper profile ("Recommendations for Network
  /// Operators"): no mesh (D = D_lo = D_hi = D_out = 0), PX enabled.
  static config bootstrapper();
};

} // namespace canswarm::gossipsub
