#pragma once

// Counters of the gossipsub router (metrics and tests): every refused or
// dropped input is counted here, by reason.

#include <array>
#include <cstdint>

#include "canswarm/gossipsub/types.hpp"

namespace canswarm::gossipsub {

/// Router counters; all monotonic.
struct router_stats {
  std::uint64_t rpcs_received = 0;
  std::uint64_t rpcs_graylisted = 0; ///< Ignored: sender graylisted.
  std::uint64_t messages_graylisted = 0; ///< Rest of an RPC skipped.
  std::uint64_t messages_received = 0; ///< Publish entries handled.
  std::uint64_t messages_delivered = 0; ///< message_event emitted.
  std::uint64_t messages_duplicate = 0; ///< Already seen.
  std::uint64_t messages_unsubscribed = 0; ///< Topic we are not in.
  std::uint64_t messages_self = 0; ///< Claimed to be ours.
  std::uint64_t messages_ignored = 0; ///< Validator said ignore.
  std::uint64_t validation_overflow = 0; ///< Async queue full: ignored.
  std::uint64_t messages_published = 0;
  std::uint64_t messages_queued = 0; ///< Message copies queued to peers.
  std::uint64_t iwant_served = 0;
  std::uint64_t iwant_not_found = 0;
  std::uint64_t iwant_over_retransmit = 0;
  std::uint64_t iwant_ids_sent = 0; ///< Ids we asked for.
  std::uint64_t ihave_ignored = 0; ///< IHAVE entries not processed.
  std::uint64_t prunes_received = 0;
  std::uint64_t grafts_received = 0;
  std::uint64_t px_ignored = 0; ///< PX below accept threshold.
  std::uint64_t subscriptions_ignored = 0; ///< max_known_topics reached.
  std::uint64_t outbound_dropped = 0; ///< Per-peer queue full.
  std::uint64_t events_dropped = 0; ///< Event queue full.
  std::uint64_t frames_sent = 0;
  std::uint64_t heartbeats = 0;
  /// Refusals by reason (index: reject_reason).
  std::array<std::uint64_t, reject_reason_count> rejected{};

  /// Returns the count for `r`.
  std::uint64_t rejected_for(reject_reason r) const {
    return rejected[static_cast<std::size_t>(r)];
  }
};

} // namespace canswarm::gossipsub
