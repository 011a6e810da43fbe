#include "canswarm/gossipsub/peer_score.hpp"

#include "canswarm/gossipsub/limits.hpp"

namespace canswarm::gossipsub {

peer_score::peer_score(peer_score_params params) : params_(std::move(params)) {}

bool peer_score::counts_ip(const std::string& ip) const {
  return !ip.empty() && !params_.ip_colocation_whitelist.contains(ip);
}

void peer_score::add_peer(const peer_id& p, const std::string& ip) {
  auto& s = peers_[p];
  if (s.connected)
    return;
  s.connected = true;
  s.ip = ip;
  if (counts_ip(ip))
    ++ip_peers_[ip];
}

void peer_score::remove_peer(const peer_id& p, time_point now) {
  auto i = peers_.find(p);
  if (i == peers_.end() || !i->second.connected)
    return;
  auto& s = i->second;
  s.connected = false;
  if (counts_ip(s.ip)) {
    auto c = ip_peers_.find(s.ip);
    if (c != ip_peers_.end() && --c->second == 0)
      ip_peers_.erase(c);
  }
  s.expire = now + params_.retain_score;
  retained_.emplace_back(s.expire, p);
  // Bound: forget the oldest retained peer early (reported by decay()).
  while (retained_.size() > max_retained_peers) {
    auto [when, old] = std::move(retained_.front());
    retained_.pop_front();
    auto j = peers_.find(old);
    if (j != peers_.end() && !j->second.connected && j->second.expire == when)
      j->second.expire = time_point::min();
  }
}

void peer_score::set_app_score(const peer_id& p, double value) {
  peers_[p].app_score = value;
}

void peer_score::add_penalty(const peer_id& p, double count) {
  if (auto i = peers_.find(p); i != peers_.end())
    i->second.behaviour_penalty += count;
}

double peer_score::global_part(const peer_id& p) const {
  auto i = peers_.find(p);
  if (i == peers_.end())
    return 0;
  const auto& s = i->second;
  double v = s.app_score * params_.app_specific_weight;
  if (s.connected && counts_ip(s.ip)) {
    auto c = ip_peers_.find(s.ip);
    auto n = c == ip_peers_.end() ? 0.0 : static_cast<double>(c->second);
    if (n > params_.ip_colocation_factor_threshold) {
      auto surplus = n - params_.ip_colocation_factor_threshold;
      v += surplus * surplus * params_.ip_colocation_factor_weight;
    }
  }
  if (s.behaviour_penalty > params_.behaviour_penalty_threshold) {
    auto excess = s.behaviour_penalty - params_.behaviour_penalty_threshold;
    v += excess * excess * params_.behaviour_penalty_weight;
  }
  return v;
}

double peer_score::score(const peer_id& p, double topic_sum) const {
  if (params_.topic_score_cap > 0 && topic_sum > params_.topic_score_cap)
    topic_sum = params_.topic_score_cap;
  return topic_sum + global_part(p);
}

std::vector<peer_id> peer_score::decay(time_point now) {
  for (auto& [p, s] : peers_) {
    s.behaviour_penalty *= params_.behaviour_penalty_decay;
    if (s.behaviour_penalty < params_.decay_to_zero)
      s.behaviour_penalty = 0;
  }
  std::vector<peer_id> forgotten;
  for (auto i = peers_.begin(); i != peers_.end();) {
    if (!i->second.connected && i->second.expire <= now) {
      forgotten.push_back(i->first);
      i = peers_.erase(i);
    } else {
      ++i;
    }
  }
  while (!retained_.empty() && retained_.front().first <= now)
    retained_.pop_front();
  return forgotten;
}

double peer_score::behaviour_penalty(const peer_id& p) const {
  auto i = peers_.find(p);
  return i == peers_.end() ? 0 : i->second.behaviour_penalty;
}

std::size_t peer_score::colocated(const peer_id& p) const {
  auto i = peers_.find(p);
  if (i == peers_.end() || !counts_ip(i->second.ip))
    return 0;
  auto c = ip_peers_.find(i->second.ip);
  return c == ip_peers_.end() ? 0 : c->second;
}

} // namespace canswarm::gossipsub
