#include "canswarm/gossipsub/topic_mesh.hpp"

#include <algorithm>

#include "canswarm/gossipsub/limits.hpp"

namespace canswarm::gossipsub {

namespace {

std::optional<topic_score_params> score_params_of(const config& cfg,
                                                  const std::string& topic) {
  if (!cfg.scoring)
    return std::nullopt;
  if (const auto* p = cfg.score.for_topic(topic))
    return *p;
  return std::nullopt;
}

bool mesh_eligible(const mesh_candidate& c) {
  return c.gossipsub && !c.direct;
}

} // namespace

topic_mesh::topic_mesh(std::string topic, std::shared_ptr<const config> cfg,
                       bool subscribed)
    : topic_(std::move(topic)),
      cfg_(std::move(cfg)),
      subscribed_(subscribed),
      cache_(cfg_->mcache_len, cfg_->mcache_gossip, max_mcache_entries),
      score_(score_params_of(*cfg_, topic_), cfg_->seen_ttl) {}

std::vector<peer_id> topic_mesh::fill(std::vector<mesh_candidate>& candidates,
                                      std::size_t want, rng& r, time_point now,
                                      bool outbound_only) {
  std::vector<const mesh_candidate*> eligible;
  for (const auto& c : candidates)
    if (mesh_eligible(c) && !c.backoff && c.score >= 0
        && (!outbound_only || c.outbound) && !mesh_.contains(*c.peer))
      eligible.push_back(&c);
  r.shuffle(eligible);
  std::vector<peer_id> out;
  for (std::size_t i = 0; i < eligible.size() && out.size() < want; ++i) {
    graft(*eligible[i]->peer, now);
    out.push_back(*eligible[i]->peer);
  }
  return out;
}

std::vector<peer_id> topic_mesh::join(std::vector<mesh_candidate> candidates,
                                      rng& r, time_point now) {
  subscribed_ = true;
  std::vector<peer_id> grafted;
  for (const auto& c : candidates)
    if (fanout_.contains(*c.peer) && mesh_eligible(c) && !c.backoff
        && c.score >= 0 && mesh_.size() < cfg_->d) {
      graft(*c.peer, now);
      grafted.push_back(*c.peer);
    }
  fanout_.clear();
  if (mesh_.size() < cfg_->d) {
    auto more = fill(candidates, cfg_->d - mesh_.size(), r, now, false);
    grafted.insert(grafted.end(), more.begin(), more.end());
  }
  return grafted;
}

std::vector<peer_id> topic_mesh::leave() {
  std::vector<peer_id> out{mesh_.begin(), mesh_.end()};
  for (const auto& p : out)
    score_.prune(p);
  mesh_.clear();
  subscribed_ = false;
  return out;
}

bool topic_mesh::graft(const peer_id& p, time_point now) {
  if (!mesh_.insert(p).second)
    return false;
  score_.graft(p, now);
  return true;
}

bool topic_mesh::prune(const peer_id& p) {
  if (mesh_.erase(p) == 0)
    return false;
  score_.prune(p);
  return true;
}

void topic_mesh::peer_left(const peer_id& p, bool disconnected) {
  prune(p);
  fanout_.erase(p);
  if (disconnected)
    score_.disconnected(p);
}

const std::unordered_set<peer_id>&
topic_mesh::publish_fanout(const std::vector<mesh_candidate>& candidates,
                           rng& r, time_point now) {
  last_publish_ = now;
  if (fanout_.empty()) {
    std::vector<const mesh_candidate*> eligible;
    for (const auto& c : candidates)
      if (mesh_eligible(c) && c.score >= cfg_->thresholds.publish_threshold)
        eligible.push_back(&c);
    r.shuffle(eligible);
    for (std::size_t i = 0; i < eligible.size() && fanout_.size() < cfg_->d;
         ++i)
      fanout_.insert(*eligible[i]->peer);
  }
  return fanout_;
}

bool topic_mesh::fanout_expired(time_point now) const {
  return !subscribed_ && last_publish_ + cfg_->fanout_ttl < now;
}

mesh_plan topic_mesh::heartbeat(std::vector<mesh_candidate> candidates, rng& r,
                                std::uint64_t tick, time_point now) {
  mesh_plan plan;
  if (subscribed_)
    maintain_mesh(candidates, r, tick, now, plan);
  else
    maintain_fanout(candidates, r);
  select_gossip(candidates, r, plan);
  cache_.shift();
  return plan;
}

void topic_mesh::maintain_mesh(std::vector<mesh_candidate>& candidates, rng& r,
                               std::uint64_t tick, time_point now,
                               mesh_plan& plan) {
  const auto& cfg = *cfg_;
  // Negative-score peers leave every mesh (v1.1 "Heartbeat Maintenance").
  std::vector<const mesh_candidate*> members;
  for (const auto& c : candidates) {
    if (!mesh_.contains(*c.peer))
      continue;
    if (c.score < 0 || !mesh_eligible(c)) {
      prune(*c.peer);
      plan.prune_negative.push_back(*c.peer);
    } else {
      members.push_back(&c);
    }
  }
  if (members.size() != mesh_.size()) {
    // Mesh peers the caller no longer lists (left the topic): drop them.
    std::unordered_set<const peer_id*> listed;
    for (const auto* m : members)
      listed.insert(m->peer);
    std::erase_if(mesh_, [&](const peer_id& p) {
      return std::none_of(listed.begin(), listed.end(),
                          [&](const peer_id* q) { return *q == p; });
    });
  }
  // Undersubscribed: graft up to D.
  if (mesh_.size() < cfg.d_lo) {
    auto g = fill(candidates, cfg.d - mesh_.size(), r, now, false);
    plan.graft.insert(plan.graft.end(), g.begin(), g.end());
  }
  // Oversubscribed: keep the best D_score, random others up to D, with at
  // least D_out outbound peers among the survivors.
  if (mesh_.size() > cfg.d_hi) {
    r.shuffle(members);
    std::stable_sort(members.begin(), members.end(),
                     [](const auto* a, const auto* b) {
                       return a->score > b->score;
                     });
    std::vector<const mesh_candidate*> rest(members.begin()
                                              + static_cast<std::ptrdiff_t>(
                                                cfg.d_score),
                                            members.end());
    r.shuffle(rest);
    std::copy(rest.begin(), rest.end(),
              members.begin() + static_cast<std::ptrdiff_t>(cfg.d_score));
    auto keep = static_cast<std::ptrdiff_t>(cfg.d);
    auto outbound = static_cast<std::size_t>(
      std::count_if(members.begin(), members.begin() + keep,
                    [](const auto* c) { return c->outbound; }));
    if (outbound < cfg.d_out) {
      // Move outbound peers from beyond the cut to the front of the list.
      auto need = cfg.d_out - outbound;
      for (auto i = keep;
           i < static_cast<std::ptrdiff_t>(members.size()) && need > 0; ++i)
        if (members[i]->outbound) {
          std::rotate(members.begin(), members.begin() + i,
                      members.begin() + i + 1);
          --need;
        }
    }
    for (auto i = keep; i < static_cast<std::ptrdiff_t>(members.size()); ++i) {
      prune(*members[i]->peer);
      plan.prune_excess.push_back(*members[i]->peer);
    }
  }
  // Outbound quota when the mesh is otherwise big enough.
  if (mesh_.size() >= cfg.d_lo && cfg.d_out > 0) {
    std::size_t outbound = 0;
    for (const auto& c : candidates)
      if (c.outbound && mesh_.contains(*c.peer))
        ++outbound;
    if (outbound < cfg.d_out) {
      auto g = fill(candidates, cfg.d_out - outbound, r, now, true);
      plan.graft.insert(plan.graft.end(), g.begin(), g.end());
    }
  }
  // Opportunistic grafting when the median mesh score is low.
  if (cfg.scoring && tick % cfg.opportunistic_graft_ticks == 0
      && mesh_.size() > 1) {
    std::vector<double> scores;
    for (const auto& c : candidates)
      if (mesh_.contains(*c.peer))
        scores.push_back(c.score);
    std::sort(scores.begin(), scores.end());
    if (!scores.empty()) {
      auto median = scores[scores.size() / 2];
      if (median < cfg.thresholds.opportunistic_graft_threshold) {
        std::vector<const mesh_candidate*> better;
        for (const auto& c : candidates)
          if (mesh_eligible(c) && !c.backoff && c.score > median
              && !mesh_.contains(*c.peer))
            better.push_back(&c);
        r.shuffle(better);
        for (std::size_t i = 0;
             i < better.size() && i < cfg.opportunistic_graft_peers; ++i) {
          graft(*better[i]->peer, now);
          plan.graft.push_back(*better[i]->peer);
        }
      }
    }
  }
}

void topic_mesh::maintain_fanout(std::vector<mesh_candidate>& candidates,
                                 rng& r) {
  const auto& cfg = *cfg_;
  std::vector<const mesh_candidate*> eligible;
  for (const auto& c : candidates) {
    bool ok = mesh_eligible(c) && c.score >= cfg.thresholds.publish_threshold;
    if (fanout_.contains(*c.peer)) {
      if (!ok)
        fanout_.erase(*c.peer);
    } else if (ok) {
      eligible.push_back(&c);
    }
  }
  r.shuffle(eligible);
  for (std::size_t i = 0; i < eligible.size() && fanout_.size() < cfg.d; ++i)
    fanout_.insert(*eligible[i]->peer);
}

void topic_mesh::select_gossip(std::vector<mesh_candidate>& candidates, rng& r,
                               mesh_plan& plan) {
  const auto& cfg = *cfg_;
  auto ids = cache_.gossip_ids();
  if (ids.empty())
    return;
  std::vector<const mesh_candidate*> eligible;
  for (const auto& c : candidates)
    if (mesh_eligible(c) && !mesh_.contains(*c.peer)
        && !fanout_.contains(*c.peer)
        && c.score >= cfg.thresholds.gossip_threshold)
      eligible.push_back(&c);
  auto target = std::max(cfg.d_lazy, static_cast<std::size_t>(
                                       cfg.gossip_factor
                                       * static_cast<double>(eligible.size())));
  r.shuffle(eligible);
  for (std::size_t i = 0; i < eligible.size() && i < target; ++i)
    plan.gossip.push_back(*eligible[i]->peer);
  if (plan.gossip.empty())
    return;
  if (ids.size() > cfg.max_ihave_length) {
    r.shuffle(ids);
    ids.resize(cfg.max_ihave_length);
  }
  plan.gossip_ids = std::move(ids);
}

} // namespace canswarm::gossipsub
