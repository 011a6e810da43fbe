#pragma once

// The message cache (spec v1.0 "Message Cache"): recent messages in
// `mcache_len` history windows, one per heartbeat; IHAVE advertises the ids
// of the newest `mcache_gossip` windows and IWANT is served from all. One
// cache per topic (it lives with the topic's mesh). Per message and peer it
// counts IWANT serves so a peer cannot make us retransmit a message more
// than `gossip_retransmission` times (v1.1 "Spam Protection Measures").
//
// Deviations from spec: at most `max_mcache_entries` messages are cached;
// when full, the oldest window loses messages first.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/gossipsub/types.hpp"
#include "canswarm/identity/peer_id.hpp"

namespace canswarm::gossipsub {

/// A message accepted by the router, shared (never copied) between the
/// cache, the outbound queues of every peer and the delivery event.
struct cached_message {
  message_id id;
  std::shared_ptr<const message> msg;
  std::shared_ptr<const bytes> encoded; ///< The Message protobuf.
};

/// Builds a cached_message, encoding `m` once.
std::shared_ptr<const cached_message> make_cached(message_id id, message m);

/// Outcome of an IWANT lookup.
enum class iwant_lookup {
  served, ///< Found; the serve was counted.
  not_found, ///< Not (or no longer) cached.
  over_retransmit ///< The peer already got it `max` times.
};

/// Per-topic message cache.
class message_cache {
public:
  /// `history_length` windows kept, `history_gossip` advertised.
  message_cache(std::size_t history_length, std::size_t history_gossip,
                std::size_t capacity);

  /// Adds `m` to the newest window; false if its id is already cached.
  bool put(std::shared_ptr<const cached_message> m);

  /// Returns the cached message with `id`, or null.
  std::shared_ptr<const cached_message> get(const message_id& id) const;

  /// IWANT lookup for `peer`: serves at most `max` times per id and peer.
  std::pair<iwant_lookup, std::shared_ptr<const cached_message>>
  get_for_peer(const message_id& id, const peer_id& peer, std::size_t max);

  /// Ids in the newest `history_gossip` windows, newest first.
  std::vector<message_id> gossip_ids() const;

  /// Starts a new window, dropping the oldest beyond `history_length`.
  void shift();

  /// Number of cached messages.
  std::size_t size() const {
    return entries_.size();
  }

private:
  struct entry {
    std::shared_ptr<const cached_message> msg;
    std::vector<std::pair<peer_id, std::uint32_t>> serves;
  };

  void evict_oldest();

  std::size_t history_length_;
  std::size_t history_gossip_;
  std::size_t capacity_;
  std::unordered_map<message_id, entry> entries_;
  std::deque<std::deque<message_id>> windows_; ///< front() is the newest.
};

} // namespace canswarm::gossipsub
