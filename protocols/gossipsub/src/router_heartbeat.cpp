// Router, periodic work: the heartbeat (spec v1.0 "Heartbeat" with the v1.1
// maintenance rules) and score decay.

#include <fmt/format.h>

#include "canswarm/gossipsub/router.hpp"

namespace canswarm::gossipsub {

void router::handle_timeout(time_point now) {
  if (now >= next_heartbeat_)
    heartbeat(now);
  if (cfg_->scoring && now >= next_decay_) {
    decay(now);
    next_decay_ = now + cfg_->score.decay_interval;
  }
}

time_point router::poll_timeout() const {
  return cfg_->scoring ? std::min(next_heartbeat_, next_decay_)
                       : next_heartbeat_;
}

void router::heartbeat(time_point now) {
  ++tick_;
  ++stats_.heartbeats;
  next_heartbeat_ = now + cfg_->heartbeat_interval;
  for (auto& [p, ps] : peers_) {
    ps.ihave_received = 0;
    ps.iasked = 0;
    ps.iwant_served = 0;
    if (ps.overflowed) {
      // A peer that does not read its stream loses messages; one P7 per
      // heartbeat lets the mesh route around it.
      ps.overflowed = false;
      reject(p, reject_reason::outbound_queue_full,
             fmt::format("{} messages queued, {} dropped so far",
                         ps.queue.pending_messages(), ps.queue.dropped()),
             true);
    }
  }
  // Broken IWANT promises: P7 per broken promise.
  for (const auto& [p, n] : promises_.broken(now)) {
    if (!peers_.contains(p))
      continue;
    score_.add_penalty(p, static_cast<double>(n));
    stats_.rejected[static_cast<std::size_t>(reject_reason::broken_promise)]
      += n;
    emit(input_rejected{p, reject_reason::broken_promise,
                        fmt::format("{} IHAVE'd messages never delivered after "
                                    "IWANT",
                                    n)});
  }
  snapshot_scores();
  std::vector<std::string> expired;
  for (auto& [topic, t] : topics_) {
    if (t.fanout_expired(now)) {
      expired.push_back(topic);
      continue;
    }
    auto plan = t.heartbeat(candidates(topic, now, true), rng_, tick_, now);
    for (const auto& p : plan.graft) {
      auto& ps = peers_.at(p);
      ps.queue.push_graft(topic);
      touch(p, ps);
      emit(mesh_changed{topic, p, true, mesh_cause::heartbeat});
    }
    for (const auto& p : plan.prune_negative) {
      send_prune(p, topic, false, cfg_->prune_backoff, now);
      emit(mesh_changed{topic, p, false, mesh_cause::negative_score});
    }
    for (const auto& p : plan.prune_excess) {
      send_prune(p, topic, true, cfg_->prune_backoff, now);
      emit(mesh_changed{topic, p, false, mesh_cause::oversubscribed});
    }
    for (const auto& p : plan.gossip) {
      auto& ps = peers_.at(p);
      if (!ps.queue.push_ihave(topic, plan.gossip_ids)) {
        ++stats_.outbound_dropped;
        ps.overflowed = true;
      }
      touch(p, ps);
    }
  }
  for (const auto& topic : expired)
    topics_.erase(topic);
  backoff_.expire(now, cfg_->heartbeat_interval);
  seen_.expire(now);
}

void router::decay(time_point now) {
  for (auto& [topic, t] : topics_)
    t.score().decay(now, cfg_->score.decay_to_zero);
  for (const auto& p : score_.decay(now))
    for (auto& [topic, t] : topics_)
      t.score().forget(p);
}

void router::snapshot_scores() {
  // One score per peer and heartbeat (as go caches them): mesh decisions
  // use it, and band changes are reported.
  const auto& th = cfg_->thresholds;
  for (auto& [p, ps] : peers_) {
    auto s = score(p);
    ps.heartbeat_score = s;
    if (!cfg_->scoring)
      continue;
    auto band = s < th.graylist_threshold  ? score_band::graylisted
                : s < th.publish_threshold ? score_band::below_publish
                : s < th.gossip_threshold  ? score_band::below_gossip
                : s < 0                    ? score_band::negative
                                           : score_band::non_negative;
    if (ps.band == band)
      continue;
    emit(score_changed{p, s, band, ps.band});
    if (band == score_band::graylisted)
      emit(peer_graylisted{p, s});
    ps.band = band;
  }
}

} // namespace canswarm::gossipsub
