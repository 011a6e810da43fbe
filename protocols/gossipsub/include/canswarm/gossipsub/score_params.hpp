#pragma once

// Peer score parameters and thresholds of gossipsub v1.1 ("Peer Scoring",
// "Overview of New Parameters"), with validation of the spec's constraints.
//
// The spec gives no numeric defaults for scoring ("Guidelines for Tuning the
// Scoring Function: TBD"); the defaults below are canswarm's, chosen so that
//  - a handful of invalid messages or protocol violations graylist a peer
//    (P4 and P7 weigh -10 and are squared, graylist is -80),
//  - honest traffic earns a modest positive score (P1 up to +36 after an
//    hour in the mesh, P2 up to +100),
//  - P3/P3b (mesh delivery rate) are off: their threshold depends on the
//    topic's expected message rate and must be tuned per network.
// Thresholds follow the common go/rust values (-10/-50/-80, accept PX 10).

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "canswarm/error.hpp"
#include "canswarm/time.hpp"

namespace canswarm::gossipsub {

using namespace std::chrono_literals;

/// Per-topic score parameters (P1-P4).
struct topic_score_params {
  /// Weight of this topic's contribution to the total score (>= 0).
  double topic_weight = 1.0;

  // P1: time in mesh = mesh time / quantum, capped.
  double time_in_mesh_weight = 0.01; ///< >= 0.
  duration time_in_mesh_quantum = 1s; ///< > 0.
  double time_in_mesh_cap = 3600; ///< > 0 when the weight is set.

  // P2: first message deliveries (counter, decaying, capped on increment).
  double first_message_deliveries_weight = 1.0; ///< >= 0.
  double first_message_deliveries_decay = 0.9; ///< In (0, 1).
  double first_message_deliveries_cap = 100; ///< > 0.

  // P3: mesh message delivery deficit squared (off by default).
  double mesh_message_deliveries_weight = 0.0; ///< <= 0.
  double mesh_message_deliveries_decay = 0.9; ///< In (0, 1).
  double mesh_message_deliveries_threshold = 1; ///< > 0 when weighted.
  double mesh_message_deliveries_cap = 10; ///< >= threshold.
  duration mesh_message_deliveries_window = 10ms; ///< Near-first window.
  duration mesh_message_deliveries_activation = 10s; ///< Grace in mesh.

  // P3b: sticky mesh failure penalty (off by default, follows P3).
  double mesh_failure_penalty_weight = 0.0; ///< <= 0.
  double mesh_failure_penalty_decay = 0.9; ///< In (0, 1).

  // P4: invalid messages, squared.
  double invalid_message_deliveries_weight = -10.0; ///< <= 0.
  double invalid_message_deliveries_decay = 0.99; ///< In (0, 1).

  /// Checks the spec's constraints; the error names the field.
  result<void> validate() const;
};

/// Score thresholds (spec "Score Thresholds").
struct peer_score_thresholds {
  double gossip_threshold = -10; ///< <= 0: no gossip to/from below it.
  double publish_threshold = -50; ///< <= gossip: no own messages below.
  double graylist_threshold = -80; ///< < publish: RPCs ignored below.
  double accept_px_threshold = 10; ///< >= 0: PX accepted from above.
  double opportunistic_graft_threshold = 5; ///< >= 0: median trigger.

  /// Checks the ordering constraints.
  result<void> validate() const;
};

/// Global score parameters (P5-P7, topic aggregation, decay).
struct peer_score_params {
  /// Parameters of specific topics.
  std::unordered_map<std::string, topic_score_params> topics;

  /// Parameters of every topic not in `topics`; nullopt: such topics do
  /// not contribute to the score (the spec's "not configured").
  std::optional<topic_score_params> default_topic = topic_score_params{};

  /// Cap on the (positive) sum of topic contributions; 0 means no cap.
  double topic_score_cap = 100;

  /// P5: weight of the application-specific score (>= 0).
  double app_specific_weight = 1.0;

  /// P6: IP colocation: (peers on one IP - threshold)^2 above threshold.
  double ip_colocation_factor_weight = -10.0; ///< <= 0.
  double ip_colocation_factor_threshold = 10.0; ///< >= 1 when weighted.
  std::unordered_set<std::string> ip_colocation_whitelist;

  /// P7: behaviour penalty: (counter - threshold)^2 above threshold.
  double behaviour_penalty_weight = -10.0; ///< <= 0.
  double behaviour_penalty_threshold = 0.0; ///< >= 0.
  double behaviour_penalty_decay = 0.99; ///< In (0, 1).

  /// How often counters decay.
  duration decay_interval = 1s;
  /// Decayed counters below this are zero.
  double decay_to_zero = 0.01;
  /// How long the score of a disconnected peer is kept.
  duration retain_score = 1h;

  /// Returns the parameters of `topic`, or null if it is not scored.
  const topic_score_params* for_topic(const std::string& topic) const;

  /// Checks the constraints of every part; the error names the field.
  result<void> validate() const;
};

} // namespace canswarm::gossipsub
