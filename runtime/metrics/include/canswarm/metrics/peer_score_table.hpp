#pragma once

// Bounded bookkeeping behind libp2p_gossipsub_peer_score: which peers get
// their own series and what the aggregate peer="other" series shows.
//
// Peers are ordered by recency of their last score update. The
// `tracked_cap` most recent peers are "tracked" (one series each); the next
// ones, up to `known_cap` peers in total, are "aggregated": their last
// scores are averaged into the single peer="other" series. Updating an
// aggregated peer makes it the most recent one, so it becomes tracked and
// the least recent tracked peer is demoted to the aggregate. Beyond
// `known_cap` the least recent aggregated peer is forgotten. Every
// operation is O(1); memory is O(known_cap). Pure and not thread-safe
// (node_metrics serialises access and mirrors the changes into gauges).

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "canswarm/metrics/label_cap.hpp"

namespace canswarm::metrics {

/// What a score update changed in the set of per-peer series.
struct peer_score_update {
  /// True when the updated peer did not have its own series before.
  bool newly_tracked = false;
  /// A peer that lost its own series (it is now part of the aggregate).
  std::optional<std::string> demoted;
};

/// What forgetting a peer changed in the set of per-peer series.
struct peer_score_removal {
  /// True when the forgotten peer had its own series.
  bool was_tracked = false;
  /// An aggregated peer promoted into the freed slot, with its score.
  std::optional<std::pair<std::string, double>> promoted;
};

/// The most recently updated peers, tracked one by one, and an average of
/// the rest.
class peer_score_table {
public:
  /// Creates an empty table; `known_cap` is raised to `tracked_cap` if lower.
  peer_score_table(std::size_t tracked_cap, std::size_t known_cap);

  /// Records `score` as the latest score of `peer`.
  peer_score_update set(std::string_view peer, double score);

  /// Forgets `peer` (disconnected and no longer scored); no-op if unknown.
  peer_score_removal forget(std::string_view peer);

  /// Returns whether `peer` currently has its own series.
  bool is_tracked(std::string_view peer) const;

  /// Returns the last score of a known peer.
  std::optional<double> score(std::string_view peer) const;

  /// Returns the number of peers with their own series.
  std::size_t tracked_size() const noexcept {
    return tracked_.size();
  }

  /// Returns the number of peers averaged into "other".
  std::size_t aggregated_size() const noexcept {
    return aggregated_.size();
  }

  /// Returns the mean score of the aggregated peers (0 when there are none).
  double aggregated_mean() const noexcept;

private:
  struct entry {
    std::string peer;
    double score = 0;
  };
  using list = std::list<entry>;
  struct slot {
    bool tracked = false;
    list::iterator pos;
  };

  /// Moves the least recent tracked peer into the aggregate if over the cap.
  std::optional<std::string> demote_overflow();

  /// Drops the least recent aggregated peer if more than known_cap peers.
  void forget_overflow();

  /// Removes an aggregated entry from the list, the index and the sum.
  void erase_aggregated(list::iterator pos);

  std::size_t tracked_cap_;
  std::size_t known_cap_;
  list tracked_; // most recent first
  list aggregated_; // most recent first
  std::unordered_map<std::string, slot, string_hash, std::equal_to<>> index_;
  double aggregated_sum_ = 0;
};

} // namespace canswarm::metrics
