#pragma once

// IWANT follow-up promises (gossipsub v1.1 "Spam Protection Measures"): for
// every IHAVE that made us send an IWANT, one random requested id is
// tracked; if the message does not arrive (from anyone) within
// iwant_followup_time, the advertising peer broke its promise and gets a
// P7 behaviour penalty.

#include <cstddef>
#include <unordered_map>
#include <utility>
#include <vector>

#include "canswarm/gossipsub/types.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/time.hpp"

namespace canswarm::gossipsub {

/// Outstanding IWANT promises.
class gossip_promises {
public:
  /// `peer` promised `id` by `deadline`. Returns false (not tracked) when
  /// `max_gossip_promises` are outstanding.
  bool add(const message_id& id, const peer_id& peer, time_point deadline);

  /// The message `id` arrived: every promise for it is kept.
  void fulfilled(const message_id& id);

  /// Removes expired promises and returns the number broken per peer.
  std::unordered_map<peer_id, std::size_t> broken(time_point now);

  /// Drops the promises of a disconnected peer.
  void forget(const peer_id& peer);

  /// Number of outstanding promises.
  std::size_t size() const {
    return size_;
  }

private:
  std::unordered_map<message_id, std::vector<std::pair<peer_id, time_point>>>
    promises_;
  std::size_t size_ = 0;
};

} // namespace canswarm::gossipsub
