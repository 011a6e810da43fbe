#pragma once

// The global part of the gossipsub v1.1 score: P5 application-specific,
// P6 IP colocation, P7 behaviour penalty, the topic cap, decay and the
// retention of disconnected peers' scores ("the score is retained for some
// period of time when a peer disconnects"). The per-topic parts (P1-P4)
// live in topic_score; the router adds them up and passes the sum here.
//
// Score(p) = min(sum of topic contributions, topic_score_cap)
//            + w5*P5 + w6*P6 + w7*P7
// (the cap applies to positive sums only; 0 disables it).
//
// Deviations from spec: at most `max_retained_peers` disconnected peers are
// retained; beyond that the oldest are forgotten early.

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "canswarm/gossipsub/score_params.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm::gossipsub {

/// Global score state of every known peer.
class peer_score {
public:
  explicit peer_score(peer_score_params params);

  /// Returns the parameters.
  const peer_score_params& params() const {
    return params_;
  }

  /// A peer connected from `ip` (empty: unknown, never colocated). A
  /// retained score is restored.
  void add_peer(const peer_id& p, const std::string& ip);

  /// A peer disconnected: its score is retained until now + retain_score.
  void remove_peer(const peer_id& p, time_point now);

  /// Sets the application-specific score P5.
  void set_app_score(const peer_id& p, double value);

  /// Adds `count` to the behaviour penalty counter P7.
  void add_penalty(const peer_id& p, double count = 1.0);

  /// Returns the total score given the sum of `p`'s topic contributions.
  double score(const peer_id& p, double topic_sum) const;

  /// Returns the global (P5-P7) part alone.
  double global_part(const peer_id& p) const;

  /// Decays P7 and returns the peers whose retention expired at `now` (or
  /// were evicted by the bound), so topics forget them too.
  std::vector<peer_id> decay(time_point now);

  /// Returns whether `p` is tracked (connected or retained).
  bool known(const peer_id& p) const {
    return peers_.contains(p);
  }

  /// Returns the P7 counter of `p`.
  double behaviour_penalty(const peer_id& p) const;

  /// Number of connected peers sharing `p`'s IP (0 if unknown).
  std::size_t colocated(const peer_id& p) const;

private:
  struct stats {
    std::string ip;
    double app_score = 0;
    double behaviour_penalty = 0;
    bool connected = false; ///< Set by add_peer.
    time_point expire = time_point::max(); ///< Retention deadline.
  };

  bool counts_ip(const std::string& ip) const;

  peer_score_params params_;
  std::unordered_map<peer_id, stats> peers_;
  std::unordered_map<std::string, std::size_t> ip_peers_;
  std::deque<std::pair<time_point, peer_id>> retained_;
};

} // namespace canswarm::gossipsub
