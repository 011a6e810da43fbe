#include "canswarm/gossipsub/config.hpp"

#include <fmt/format.h>

namespace canswarm::gossipsub {

namespace {

error bad(std::string message) {
  return make_error(errc::invalid_argument, std::move(message));
}

double seconds(duration d) {
  return std::chrono::duration<double>(d).count();
}

} // namespace

signing_policy config::policy_for(const std::string& topic) const {
  if (auto i = topic_signing.find(topic); i != topic_signing.end())
    return i->second;
  return signing;
}

result<void> config::validate() const {
  bool no_mesh = d == 0 && d_lo == 0 && d_hi == 0 && d_out == 0;
  if (!no_mesh) {
    if (d_lo == 0 || d_lo > d || d > d_hi)
      return bad(fmt::format("mesh degrees must satisfy 1 <= d_lo <= d <= "
                             "d_hi (got d_lo {}, d {}, d_hi {}); use "
                             "d = d_lo = d_hi = d_out = 0 for a bootstrapper",
                             d_lo, d, d_hi));
    if (d_out >= d_lo || d_out > d / 2)
      return bad(fmt::format("d_out must be < d_lo and <= d/2 (got d_out {}, "
                             "d_lo {}, d {})",
                             d_out, d_lo, d));
  }
  if (d_score > d)
    return bad(fmt::format("d_score must be <= d (got {} > {})", d_score, d));
  if (heartbeat_interval <= duration::zero())
    return bad(fmt::format("heartbeat_interval must be > 0 (got {} s)",
                           seconds(heartbeat_interval)));
  if (heartbeat_initial_delay < duration::zero())
    return bad("heartbeat_initial_delay must be >= 0");
  if (fanout_ttl <= duration::zero())
    return bad("fanout_ttl must be > 0");
  if (mcache_len == 0 || mcache_gossip > mcache_len)
    return bad(fmt::format("mcache windows must satisfy 1 <= mcache_len and "
                           "mcache_gossip <= mcache_len (got {} / {})",
                           mcache_len, mcache_gossip));
  if (seen_ttl <= duration::zero())
    return bad("seen_ttl must be > 0");
  if (seen_capacity == 0 || seen_capacity > max_seen_capacity)
    return bad(fmt::format("seen_capacity must be in [1, {}] (got {})",
                           max_seen_capacity, seen_capacity));
  auto max_backoff = std::chrono::seconds{max_prune_backoff_seconds};
  if (prune_backoff <= duration::zero() || prune_backoff > max_backoff)
    return bad(fmt::format("prune_backoff must be in (0, {} s] (got {} s)",
                           max_prune_backoff_seconds, seconds(prune_backoff)));
  if (unsubscribe_backoff <= duration::zero()
      || unsubscribe_backoff > max_backoff)
    return bad(fmt::format("unsubscribe_backoff must be in (0, {} s]",
                           max_prune_backoff_seconds));
  if (graft_flood_threshold < duration::zero())
    return bad("graft_flood_threshold must be >= 0");
  if (!(gossip_factor >= 0.0 && gossip_factor <= 1.0))
    return bad(
      fmt::format("gossip_factor must be in [0, 1] (got {})", gossip_factor));
  if (max_ihave_length == 0 || max_ihave_length > max_ihave_length_limit)
    return bad(fmt::format("max_ihave_length must be in [1, {}] (got {})",
                           max_ihave_length_limit, max_ihave_length));
  if (max_ihave_messages == 0)
    return bad("max_ihave_messages must be >= 1");
  if (max_iwant_per_heartbeat == 0
      || max_iwant_per_heartbeat > max_iwant_per_heartbeat_limit)
    return bad(fmt::format("max_iwant_per_heartbeat must be in [1, {}] "
                           "(got {})",
                           max_iwant_per_heartbeat_limit,
                           max_iwant_per_heartbeat));
  if (gossip_retransmission == 0)
    return bad("gossip_retransmission must be >= 1");
  if (iwant_followup_time <= duration::zero())
    return bad("iwant_followup_time must be > 0");
  if (opportunistic_graft_ticks == 0)
    return bad("opportunistic_graft_ticks must be >= 1");
  if (prune_peers > max_px_peers)
    return bad(fmt::format("prune_peers must be <= {} (got {})", max_px_peers,
                           prune_peers));
  if (max_transmit_size < 1024 || max_transmit_size > max_transmit_size_limit)
    return bad(fmt::format("max_transmit_size must be in [1024, {}] (got {})",
                           max_transmit_size_limit, max_transmit_size));
  if (max_message_size == 0 || max_message_size > max_transmit_size)
    return bad(fmt::format("max_message_size must be in [1, "
                           "max_transmit_size {}] (got {})",
                           max_transmit_size, max_message_size));
  for (const auto& [topic, policy] : topic_signing)
    if (topic.empty() || topic.size() > max_topic_size)
      return bad(fmt::format("topic_signing has a topic of {} bytes (must "
                             "be 1..{})",
                             topic.size(), max_topic_size));
  if (scoring) {
    if (auto ok = score.validate(); !ok)
      return ok;
    if (auto ok = thresholds.validate(); !ok)
      return ok;
  }
  return {};
}

config config::bootstrapper() {
  config c;
  c.d = c.d_lo = c.d_hi = c.d_out = c.d_score = 0;
  c.do_px = true;
  return c;
}

} // namespace canswarm::gossipsub
