#pragma once

// A bounded set of recently seen keys (envelope ids, nonces) with a time
// window: a key is "seen" from its insertion until `window` later. Entries
// leave in insertion order, either when their window has passed or, when
// the cache is full, the oldest first, so memory stays at most `capacity`
// keys however fast peers send.
//
// Times are Unix nanoseconds passed in by the caller. If the wall clock
// steps back, entries simply live longer (still bounded by `capacity`).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>

#include "canswarm/bytes.hpp"

namespace canswarm::envelope {

/// Recently seen keys within a time window, at most `capacity` of them.
class replay_cache {
public:
  /// `capacity` must be at least 1.
  replay_cache(std::chrono::nanoseconds window, std::size_t capacity);

  /// Drops the entries inserted more than `window` before `now_unix_ns`.
  void expire(std::uint64_t now_unix_ns);

  /// Returns whether `key` is held (call `expire` first).
  bool contains(bytes_view key) const;

  /// Records `key` as seen at `now_unix_ns`, evicting the oldest entry when
  /// full. A key already held keeps its original time.
  void insert(bytes_view key, std::uint64_t now_unix_ns);

  /// Returns the number of keys held.
  std::size_t size() const {
    return order_.size();
  }

  /// Returns the most keys held at once.
  std::size_t capacity() const {
    return capacity_;
  }

  /// Returns how many entries were evicted before their window passed (a
  /// replay of those would no longer be caught by this cache).
  std::uint64_t evictions() const {
    return evictions_;
  }

private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s);
    }
  };

  struct entry {
    std::uint64_t seen_at;
    const std::string* key; ///< Points into `keys_` (node-based, stable).
  };

  void pop_front();

  std::chrono::nanoseconds window_;
  std::size_t capacity_;
  std::unordered_set<std::string, string_hash, std::equal_to<>> keys_;
  std::deque<entry> order_;
  std::uint64_t evictions_ = 0;
};

} // namespace canswarm::envelope
