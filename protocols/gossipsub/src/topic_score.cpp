#include "canswarm/gossipsub/topic_score.hpp"

#include <algorithm>

#include "canswarm/gossipsub/limits.hpp"

namespace canswarm::gossipsub {

namespace {

void decay_counter(double& v, double factor, double to_zero) {
  v *= factor;
  if (v < to_zero)
    v = 0;
}

} // namespace

topic_score::topic_score(std::optional<topic_score_params> params,
                         duration record_ttl)
    : params_(std::move(params)), record_ttl_(record_ttl) {}

topic_score::stats& topic_score::of(const peer_id& p) {
  return peers_[p];
}

void topic_score::graft(const peer_id& p, time_point now) {
  if (!params_)
    return;
  auto& s = of(p);
  s.c.in_mesh = true;
  s.c.mesh_time = duration::zero();
  s.c.mesh_deliveries_active = false;
  s.graft_time = now;
}

void topic_score::prune(const peer_id& p) {
  if (!params_)
    return;
  auto i = peers_.find(p);
  if (i == peers_.end())
    return;
  auto& c = i->second.c;
  auto threshold = params_->mesh_message_deliveries_threshold;
  if (c.mesh_deliveries_active && c.mesh_message_deliveries < threshold) {
    auto deficit = threshold - c.mesh_message_deliveries;
    c.mesh_failure_penalty += deficit * deficit;
  }
  c.in_mesh = false;
  c.mesh_deliveries_active = false;
}

topic_score::record* topic_score::find_record(const message_id& id) {
  auto i = records_.find(id);
  return i == records_.end() ? nullptr : &i->second;
}

topic_score::record& topic_score::make_record(const message_id& id,
                                              time_point now) {
  if (auto* r = find_record(id))
    return *r;
  expire_records(now);
  while (records_.size() >= max_delivery_records && !record_order_.empty()) {
    records_.erase(record_order_.front().second);
    record_order_.pop_front();
  }
  record_order_.emplace_back(now + record_ttl_, id);
  return records_[id];
}

void topic_score::expire_records(time_point now) {
  while (!record_order_.empty() && record_order_.front().first <= now) {
    records_.erase(record_order_.front().second);
    record_order_.pop_front();
  }
}

void topic_score::first_seen(const message_id& id, time_point now) {
  if (params_)
    make_record(id, now);
}

void topic_score::mesh_delivery(const peer_id& p) {
  auto i = peers_.find(p);
  if (i == peers_.end() || !i->second.c.in_mesh)
    return;
  auto& v = i->second.c.mesh_message_deliveries;
  v = std::min(v + 1, params_->mesh_message_deliveries_cap);
}

void topic_score::duplicate(const message_id& id, const peer_id& p,
                            time_point now) {
  if (!params_)
    return;
  auto* r = find_record(id);
  if (!r)
    return;
  switch (r->st) {
    case status::validating:
      if (std::find(r->peers.begin(), r->peers.end(), p) == r->peers.end())
        r->peers.push_back(p);
      break;
    case status::valid:
      if (now - r->validated <= params_->mesh_message_deliveries_window)
        mesh_delivery(p);
      break;
    case status::invalid: invalid_message(p); break;
    case status::ignored: break;
  }
}

void topic_score::accepted(const message_id& id, const peer_id& source,
                           time_point now) {
  if (!params_)
    return;
  auto& r = make_record(id, now);
  r.st = status::valid;
  r.validated = now;
  auto& fmd = of(source).c.first_message_deliveries;
  fmd = std::min(fmd + 1, params_->first_message_deliveries_cap);
  mesh_delivery(source);
  for (const auto& p : r.peers)
    mesh_delivery(p);
  r.peers.clear();
}

void topic_score::rejected(const message_id& id, const peer_id& source,
                           time_point now) {
  if (!params_)
    return;
  auto& r = make_record(id, now);
  r.st = status::invalid;
  invalid_message(source);
  for (const auto& p : r.peers)
    invalid_message(p);
  r.peers.clear();
}

void topic_score::ignored(const message_id& id, time_point now) {
  if (!params_)
    return;
  auto& r = make_record(id, now);
  r.st = status::ignored;
  r.peers.clear();
}

void topic_score::invalid_message(const peer_id& p) {
  if (params_)
    of(p).c.invalid_message_deliveries += 1;
}

double topic_score::score(const peer_id& p) const {
  if (!params_)
    return 0;
  auto i = peers_.find(p);
  if (i == peers_.end())
    return 0;
  const auto& c = i->second.c;
  const auto& w = *params_;
  double s = 0;
  if (c.in_mesh) {
    auto p1 = static_cast<double>(c.mesh_time / w.time_in_mesh_quantum);
    s += std::min(p1, w.time_in_mesh_cap) * w.time_in_mesh_weight;
  }
  s += c.first_message_deliveries * w.first_message_deliveries_weight;
  if (c.mesh_deliveries_active
      && c.mesh_message_deliveries < w.mesh_message_deliveries_threshold) {
    auto deficit = w.mesh_message_deliveries_threshold
                   - c.mesh_message_deliveries;
    s += deficit * deficit * w.mesh_message_deliveries_weight;
  }
  s += c.mesh_failure_penalty * w.mesh_failure_penalty_weight;
  s += c.invalid_message_deliveries * c.invalid_message_deliveries
       * w.invalid_message_deliveries_weight;
  return s * w.topic_weight;
}

void topic_score::disconnected(const peer_id& p) {
  if (auto i = peers_.find(p); i != peers_.end()) {
    // A reconnect must not keep first-delivery credit (as go does).
    i->second.c.first_message_deliveries = 0;
    i->second.c.in_mesh = false;
    i->second.c.mesh_deliveries_active = false;
  }
}

void topic_score::forget(const peer_id& p) {
  peers_.erase(p);
}

void topic_score::decay(time_point now, double to_zero) {
  if (!params_)
    return;
  const auto& w = *params_;
  for (auto& [p, s] : peers_) {
    auto& c = s.c;
    decay_counter(c.first_message_deliveries, w.first_message_deliveries_decay,
                  to_zero);
    decay_counter(c.mesh_message_deliveries, w.mesh_message_deliveries_decay,
                  to_zero);
    decay_counter(c.mesh_failure_penalty, w.mesh_failure_penalty_decay,
                  to_zero);
    decay_counter(c.invalid_message_deliveries,
                  w.invalid_message_deliveries_decay, to_zero);
    if (c.in_mesh) {
      c.mesh_time = now - s.graft_time;
      if (c.mesh_time > w.mesh_message_deliveries_activation)
        c.mesh_deliveries_active = true;
    }
  }
  expire_records(now);
}

std::optional<topic_counters> topic_score::counters(const peer_id& p) const {
  if (auto i = peers_.find(p); i != peers_.end())
    return i->second.c;
  return std::nullopt;
}

} // namespace canswarm::gossipsub
