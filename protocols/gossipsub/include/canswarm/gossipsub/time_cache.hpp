#pragma once

// A set whose entries expire a fixed time after insertion: the `seen` cache
// of message ids (spec v1.0 "Message Cache": "a timed least-recently-used
// cache of message IDs"). Expiry is first-in first-out because the TTL is
// constant and `now` never goes backwards; a capacity bound evicts the
// oldest entries early (counted).

#include <cstddef>
#include <deque>
#include <unordered_set>
#include <utility>

#include "canswarm/time.hpp"

namespace canswarm::gossipsub {

/// Set of keys that expire `ttl` after insertion.
template<class Key, class Hash = std::hash<Key>>
class time_cache {
public:
  time_cache(duration ttl, std::size_t capacity)
      : ttl_(ttl), capacity_(capacity) {}

  /// Returns whether `key` is present and unexpired at `now`.
  bool contains(const Key& key, time_point now) {
    expire(now);
    return keys_.contains(key);
  }

  /// Inserts `key`; false if it was already present.
  bool insert(const Key& key, time_point now) {
    expire(now);
    auto [it, added] = keys_.insert(key);
    if (!added)
      return false;
    order_.emplace_back(now + ttl_, &*it);
    if (keys_.size() > capacity_) {
      keys_.erase(*order_.front().second);
      order_.pop_front();
      ++evicted_;
    }
    return true;
  }

  /// Drops entries expired at `now`.
  void expire(time_point now) {
    while (!order_.empty() && order_.front().first <= now) {
      keys_.erase(*order_.front().second);
      order_.pop_front();
    }
  }

  /// Number of entries (some may be expired until the next call).
  std::size_t size() const {
    return keys_.size();
  }

  /// Entries dropped before their TTL because of the capacity bound.
  std::size_t evicted() const {
    return evicted_;
  }

private:
  duration ttl_;
  std::size_t capacity_;
  std::unordered_set<Key, Hash> keys_;
  // Element pointers of an unordered_set stay valid across rehashing.
  std::deque<std::pair<time_point, const Key*>> order_;
  std::size_t evicted_ = 0;
};

} // namespace canswarm::gossipsub
