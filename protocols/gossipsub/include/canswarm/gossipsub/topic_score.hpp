#pragma once

// The per-topic part of the gossipsub v1.1 score ("The Score Function",
// "Topic Parameter Calculation and Decay"): for every peer the counters of
//  P1 time in mesh (graft time, refreshed lazily at decay),
//  P2 first message deliveries (capped on increment),
//  P3 mesh message deliveries (first or near-first within a window, with an
//     activation grace period) and P3b the sticky failure penalty added
//     when a peer with an active deficit is pruned,
//  P4 invalid messages,
// plus the delivery records that credit near-first duplicates seen while a
// message is being validated and penalise duplicates of invalid messages.
// One instance per topic; it lives with the topic mesh (topic actor).
//
// Deviations from spec: counters live with the topic state, so they are
// dropped when we leave the topic (go keeps them per peer regardless).

#include <cstddef>
#include <deque>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "canswarm/gossipsub/score_params.hpp"
#include "canswarm/gossipsub/types.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm::gossipsub {

/// Raw counters of one peer in one topic (for tests and metrics).
struct topic_counters {
  bool in_mesh = false;
  duration mesh_time{};
  bool mesh_deliveries_active = false;
  double first_message_deliveries = 0;
  double mesh_message_deliveries = 0;
  double mesh_failure_penalty = 0;
  double invalid_message_deliveries = 0;
};

/// Per-topic score counters and delivery records.
class topic_score {
public:
  /// `params` null/nullopt: the topic is not scored (no state is kept).
  /// Delivery records are kept for `record_ttl`.
  topic_score(std::optional<topic_score_params> params, duration record_ttl);

  /// Returns whether the topic contributes to the score.
  bool scored() const {
    return params_.has_value();
  }

  /// Records that `p` joined our mesh at `now` (P1 starts).
  void graft(const peer_id& p, time_point now);

  /// Records that `p` left our mesh; adds the P3b penalty if its delivery
  /// deficit is active.
  void prune(const peer_id& p);

  /// A message id was seen for the first time and is being validated.
  void first_seen(const message_id& id, time_point now);

  /// `p` delivered a message already seen.
  void duplicate(const message_id& id, const peer_id& p, time_point now);

  /// The message was accepted: P2 (and P3 in mesh) for `source`, P3 for
  /// peers that delivered it during validation.
  void accepted(const message_id& id, const peer_id& source, time_point now);

  /// The message was rejected: P4 for `source` and for peers that delivered
  /// it during validation; later duplicates are penalised too.
  void rejected(const message_id& id, const peer_id& source, time_point now);

  /// The message was ignored: no credit, no penalty.
  void ignored(const message_id& id, time_point now);

  /// P4 for a message that never got a record (e.g. a bad signature).
  void invalid_message(const peer_id& p);

  /// Returns the weighted topic contribution of `p` (0 if unknown).
  double score(const peer_id& p) const;

  /// `p` disconnected (call `prune` first if it was in the mesh): its P2
  /// credit is dropped, other counters are kept until `forget`.
  void disconnected(const peer_id& p);

  /// Drops all counters of `p`.
  void forget(const peer_id& p);

  /// Decays every counter, refreshes mesh times and expires records.
  void decay(time_point now, double decay_to_zero);

  /// Returns the counters of `p`, if any.
  std::optional<topic_counters> counters(const peer_id& p) const;

  /// Number of delivery records held.
  std::size_t records() const {
    return records_.size();
  }

private:
  enum class status { validating, valid, invalid, ignored };

  struct stats {
    topic_counters c;
    time_point graft_time{};
  };

  struct record {
    status st = status::validating;
    time_point validated{};
    std::vector<peer_id> peers; ///< Delivered while validating.
  };

  stats& of(const peer_id& p);
  record* find_record(const message_id& id);
  record& make_record(const message_id& id, time_point now);
  void mesh_delivery(const peer_id& p);
  void expire_records(time_point now);

  std::optional<topic_score_params> params_;
  duration record_ttl_;
  std::unordered_map<peer_id, stats> peers_;
  std::unordered_map<message_id, record> records_;
  std::deque<std::pair<time_point, message_id>> record_order_;
};

} // namespace canswarm::gossipsub
