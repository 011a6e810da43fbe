// Router, control messages (spec v1.0 "Message Processing", v1.1 "PRUNE
// Backoff and Peer Exchange", "Spam Protection Measures").

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "canswarm/gossipsub/router.hpp"

namespace canswarm::gossipsub {

namespace {

bool valid_id(const message_id& id) {
  return id.size() > 0 && id.size() <= max_message_id_size;
}

} // namespace

void router::handle_ihave(const peer_id& peer, peer_state& ps,
                          std::vector<control_ihave>& ihaves, time_point now) {
  if (ihaves.empty())
    return;
  if (score(peer) < cfg_->thresholds.gossip_threshold) {
    stats_.ihave_ignored += ihaves.size();
    return;
  }
  std::vector<message_id> want;
  std::unordered_set<message_id> wanted;
  std::size_t over = 0;
  std::size_t bad_ids = 0;
  for (auto& ih : ihaves) {
    if (++ps.ihave_received > cfg_->max_ihave_messages
        || ps.iasked >= cfg_->max_ihave_length) {
      ++over;
      continue;
    }
    auto* t = local_topic(ih.topic);
    if (!t || !t->subscribed())
      continue;
    // Look at no more ids than the per-heartbeat budget allows.
    auto budget = cfg_->max_ihave_length - ps.iasked;
    std::size_t looked = 0;
    for (auto& id : ih.ids) {
      if (looked++ >= cfg_->max_ihave_length) {
        ++over;
        break;
      }
      if (!valid_id(id)) {
        ++bad_ids;
        continue;
      }
      if (want.size() < budget && !seen_.contains(id, now)
          && wanted.insert(id).second)
        want.push_back(std::move(id));
    }
  }
  if (over > 0) {
    stats_.ihave_ignored += over;
    stats_.rejected[static_cast<std::size_t>(reject_reason::ihave_over_limit)]
      += 1;
    emit(input_rejected{peer, reject_reason::ihave_over_limit,
                        fmt::format("IHAVE over max_ihave_messages {} / "
                                    "max_ihave_length {} this heartbeat",
                                    cfg_->max_ihave_messages,
                                    cfg_->max_ihave_length)});
  }
  if (bad_ids > 0)
    reject(peer, reject_reason::invalid_message_id,
           fmt::format("{} IHAVE ids empty or over {} bytes", bad_ids,
                       max_message_id_size),
           false);
  if (want.empty())
    return;
  rng_.shuffle(want);
  ps.iasked += want.size();
  // Track one random id of the request (v1.1 promise tracking).
  promises_.add(want[rng_.below(want.size())], peer,
                now + cfg_->iwant_followup_time);
  stats_.iwant_ids_sent += want.size();
  ps.queue.push_iwant(want);
  touch(peer, ps);
}

void router::handle_iwant(const peer_id& peer, peer_state& ps,
                          const std::vector<control_iwant>& iwants) {
  if (iwants.empty())
    return;
  if (score(peer) < cfg_->thresholds.gossip_threshold)
    return;
  bool over = false;
  std::size_t asked = 0;
  for (const auto& iw : iwants) {
    for (const auto& id : iw.ids) {
      if (ps.iwant_served >= cfg_->max_iwant_per_heartbeat) {
        over = true;
        break;
      }
      ++ps.iwant_served;
      ++asked;
      bool found = false;
      for (auto& [name, t] : topics_) {
        auto [res, m] = t.cache().get_for_peer(id, peer,
                                               cfg_->gossip_retransmission);
        if (res == iwant_lookup::not_found)
          continue;
        found = true;
        if (res == iwant_lookup::over_retransmit) {
          ++stats_.iwant_over_retransmit;
        } else if (queue_message(peer, ps, std::move(m))) {
          ++stats_.iwant_served;
        }
        break;
      }
      if (!found)
        ++stats_.iwant_not_found;
    }
    if (over)
      break;
  }
  touch(peer, ps);
  if (over)
    reject(peer, reject_reason::iwant_over_limit,
           fmt::format("IWANT over max_iwant_per_heartbeat {} ({} honoured "
                       "in this RPC)",
                       cfg_->max_iwant_per_heartbeat, asked),
           true);
}

void router::handle_graft(const peer_id& peer, peer_state& ps,
                          const std::vector<control_graft>& grafts,
                          time_point now) {
  std::unordered_set<std::string_view> done;
  std::size_t unknown = 0;
  for (const auto& g : grafts) {
    if (!done.insert(g.topic).second)
      continue;
    ++stats_.grafts_received;
    auto* t = local_topic(g.topic);
    if (!t || !t->subscribed()) {
      // Spam protection: no state, no PRUNE for unknown topics.
      ++unknown;
      continue;
    }
    if (!ps.topics.contains(g.topic)) {
      reject(peer, reject_reason::graft_not_subscribed,
             fmt::format("GRAFT for topic '{}' the peer never joined", g.topic),
             true);
      continue;
    }
    if (ps.direct) {
      reject(peer, reject_reason::graft_direct_peer,
             fmt::format("GRAFT from explicit peer on '{}'", g.topic), false);
      send_prune(peer, g.topic, false, cfg_->prune_backoff, now);
      continue;
    }
    if (t->in_mesh(peer))
      continue;
    if (auto until = backoff_.expiry(g.topic, peer); until && now < *until) {
      // Re-GRAFT during backoff: P7, twice if within the flood threshold of
      // the PRUNE; refresh the backoff and PRUNE again (no PX).
      double penalty = 1;
      if (now < *until - cfg_->prune_backoff + cfg_->graft_flood_threshold)
        penalty = 2;
      score_.add_penalty(peer, penalty);
      reject(peer, reject_reason::graft_during_backoff,
             fmt::format("GRAFT on '{}' {} ms before the backoff expires",
                         g.topic,
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                           *until - now)
                           .count()),
             false);
      send_prune(peer, g.topic, false, cfg_->prune_backoff, now);
      continue;
    }
    auto s = score(peer);
    if (s < 0) {
      send_prune(peer, g.topic, false, cfg_->prune_backoff, now);
      continue;
    }
    if (t->mesh().size() >= cfg_->d_hi && !ps.outbound) {
      send_prune(peer, g.topic, true, cfg_->prune_backoff, now);
      continue;
    }
    t->graft(peer, now);
    emit(mesh_changed{g.topic, peer, true, mesh_cause::remote_graft});
  }
  if (unknown > 0) {
    stats_
      .rejected[static_cast<std::size_t>(reject_reason::graft_unknown_topic)]
      += unknown - 1;
    reject(peer, reject_reason::graft_unknown_topic,
           fmt::format("{} GRAFTs for topics we are not in (ignored)", unknown),
           false);
  }
}

void router::handle_prune(const peer_id& peer,
                          std::vector<control_prune>& prunes, time_point now) {
  if (prunes.empty())
    return;
  const auto s = score(peer);
  for (auto& pr : prunes) {
    ++stats_.prunes_received;
    auto* t = local_topic(pr.topic);
    if (!t || !t->subscribed())
      continue;
    if (t->prune(peer))
      emit(mesh_changed{pr.topic, peer, false, mesh_cause::remote_prune});
    // Clamp before converting: a remote 2^64-1 must not overflow.
    auto secs = pr.backoff
                  ? std::min<std::uint64_t>(*pr.backoff,
                                            max_prune_backoff_seconds)
                  : static_cast<std::uint64_t>(
                    std::chrono::ceil<std::chrono::seconds>(cfg_->prune_backoff)
                      .count());
    backoff_.set(pr.topic, peer,
                 now + std::chrono::seconds{static_cast<std::int64_t>(secs)});
    if (pr.peers.empty())
      continue;
    if (s < cfg_->thresholds.accept_px_threshold) {
      ++stats_.px_ignored;
      continue;
    }
    if (pr.peers.size() > max_px_peers) {
      reject(peer, reject_reason::px_too_many_peers,
             fmt::format("PRUNE PX with {} peers over max_px_peers {}",
                         pr.peers.size(), max_px_peers),
             false);
      pr.peers.resize(max_px_peers);
    }
    std::erase_if(pr.peers, [&](const peer_info& pi) {
      return !pi.peer_id || !peer_id::from_bytes(*pi.peer_id)
             || *pi.peer_id == self_.to_bytes()
             || (pi.signed_peer_record
                 && pi.signed_peer_record->size() > max_peer_record_size);
    });
    if (!pr.peers.empty())
      emit(px_offered{pr.topic, peer, std::move(pr.peers)});
  }
}

} // namespace canswarm::gossipsub
