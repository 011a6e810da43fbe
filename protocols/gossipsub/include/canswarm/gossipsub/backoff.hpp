#pragma once

// The PRUNE backoff table (gossipsub v1.1 "PRUNE Backoff and Peer
// Exchange"): after a PRUNE in either direction, neither side may GRAFT the
// other on that topic until the backoff expires. Entries survive
// unsubscribing and reconnecting (they are global router state, not part of
// a topic mesh) and expire on their own.
//
// Deviations from spec: at most `max_backoff_entries` entries; when full a
// new backoff is not recorded (counted) rather than evicting live ones.

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

#include "canswarm/identity/peer_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm::gossipsub {

/// Backoff expiry per (topic, peer).
class backoff_table {
public:
  /// Extends the backoff of (`topic`, `peer`) to at least `until`. Returns
  /// false if the table is full and the entry is new.
  bool set(const std::string& topic, const peer_id& peer, time_point until);

  /// Returns the backoff expiry, if one is recorded.
  std::optional<time_point> expiry(const std::string& topic,
                                   const peer_id& peer) const;

  /// Returns whether a backoff is active at `now` (until + `slack` > now).
  bool active(const std::string& topic, const peer_id& peer, time_point now,
              duration slack = duration::zero()) const;

  /// Drops entries that expired (with `slack`) before `now`.
  void expire(time_point now, duration slack);

  /// Number of entries.
  std::size_t size() const {
    return entries_.size();
  }

  /// New backoffs not recorded because the table was full.
  std::size_t refused() const {
    return refused_;
  }

private:
  struct key {
    std::string topic;
    peer_id peer;
    friend bool operator==(const key&, const key&) = default;
  };

  struct key_hash {
    std::size_t operator()(const key& k) const noexcept {
      auto h = std::hash<std::string>{}(k.topic);
      return h
             ^ (std::hash<peer_id>{}(k.peer) + 0x9e3779b97f4a7c15ULL + (h << 6)
                + (h >> 2));
    }
  };

  std::unordered_map<key, time_point, key_hash> entries_;
  std::size_t refused_ = 0;
};

} // namespace canswarm::gossipsub
