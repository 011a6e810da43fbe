// Router: construction, peers, subscriptions, publishing, output and the
// helpers shared by the inbound/control/heartbeat parts.

#include "canswarm/gossipsub/router.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "canswarm/gossipsub/signing.hpp"

namespace canswarm::gossipsub {

namespace {

result<void> check_topic(const std::string& topic) {
  if (topic.empty() || topic.size() > max_topic_size)
    return make_error(errc::invalid_argument,
                      fmt::format("topic must be 1..{} bytes, got {}",
                                  max_topic_size, topic.size()));
  return {};
}

} // namespace

const char* to_string(score_band b) {
  switch (b) {
    case score_band::non_negative: return "non_negative";
    case score_band::negative: return "negative";
    case score_band::below_gossip: return "below_gossip";
    case score_band::below_publish: return "below_publish";
    case score_band::graylisted: return "graylisted";
  }
  return "?";
}

result<router> router::make(config cfg, identity::private_key key,
                            std::uint64_t seed, std::uint64_t initial_seqno,
                            time_point now) {
  if (auto ok = cfg.validate(); !ok)
    return ok.error();
  return router{std::make_shared<const config>(std::move(cfg)), std::move(key),
                seed, initial_seqno, now};
}

router::router(std::shared_ptr<const config> cfg, identity::private_key key,
               std::uint64_t seed, std::uint64_t initial_seqno, time_point now)
    : cfg_(std::move(cfg)),
      key_(std::move(key)),
      self_(peer_id::from_public_key(key_.public_key())),
      rng_(seed),
      seqno_(initial_seqno),
      direct_(cfg_->direct_peers.begin(), cfg_->direct_peers.end()),
      score_(cfg_->score),
      seen_(cfg_->seen_ttl, cfg_->seen_capacity),
      next_heartbeat_(now + cfg_->heartbeat_initial_delay),
      next_decay_(now + cfg_->score.decay_interval) {}

// -- helpers ------------------------------------------------------------------

void router::emit(event e) {
  if (events_.size() >= max_pending_events) {
    ++stats_.events_dropped;
    return;
  }
  events_.push_back(std::move(e));
}

void router::touch(const peer_id& peer, peer_state& ps) {
  if (!ps.dirty && ps.writable) {
    ps.dirty = true;
    dirty_.push_back(peer);
  }
}

bool router::queue_message(const peer_id& peer, peer_state& ps,
                           std::shared_ptr<const cached_message> m) {
  if (ps.queue.push_message(std::move(m))) {
    ++stats_.messages_queued;
    touch(peer, ps);
    return true;
  }
  ++stats_.outbound_dropped;
  ps.overflowed = true;
  return false;
}

void router::reject(const peer_id& peer, reject_reason r, std::string detail,
                    bool penalise) {
  ++stats_.rejected[static_cast<std::size_t>(r)];
  if (penalise)
    score_.add_penalty(peer);
  emit(input_rejected{peer, r, std::move(detail)});
}

topic_mesh* router::local_topic(const std::string& topic) {
  auto i = topics_.find(topic);
  return i == topics_.end() ? nullptr : &i->second;
}

std::vector<mesh_candidate> router::candidates(const std::string& topic,
                                               time_point now,
                                               bool snapshot) const {
  std::vector<mesh_candidate> out;
  auto tp = topic_peers_.find(topic);
  if (tp == topic_peers_.end())
    return out;
  out.reserve(tp->second.size());
  for (const auto& p : tp->second) {
    auto ps = peers_.find(p);
    if (ps == peers_.end())
      continue;
    out.push_back(
      mesh_candidate{&ps->first,
                     snapshot ? ps->second.heartbeat_score : score(p),
                     ps->second.outbound,
                     backoff_.active(topic, p, now, cfg_->heartbeat_interval),
                     is_gossipsub(ps->second.proto), ps->second.direct});
  }
  return out;
}

void router::send_prune(const peer_id& peer, const std::string& topic, bool px,
                        duration backoff, time_point now) {
  backoff_.set(topic, peer, now + backoff);
  auto ps = peers_.find(peer);
  if (ps == peers_.end() || !is_gossipsub(ps->second.proto))
    return;
  control_prune prune{topic, {}, std::nullopt};
  if (ps->second.proto == protocol::meshsub_v11) {
    prune.backoff = static_cast<std::uint64_t>(
      std::chrono::ceil<std::chrono::seconds>(backoff).count());
    if (px && cfg_->do_px) {
      std::vector<const peer_id*> offer;
      if (auto tp = topic_peers_.find(topic); tp != topic_peers_.end())
        for (const auto& p : tp->second) {
          auto q = peers_.find(p);
          if (p != peer && q != peers_.end() && is_gossipsub(q->second.proto)
              && score(p) >= 0)
            offer.push_back(&q->first);
        }
      rng_.shuffle(offer);
      for (std::size_t i = 0; i < offer.size() && i < cfg_->prune_peers; ++i)
        prune.peers.push_back(peer_info{offer[i]->to_bytes(), std::nullopt});
    }
  }
  ps->second.queue.push_prune(std::move(prune));
  touch(peer, ps->second);
}

double router::score(const peer_id& peer) const {
  if (!cfg_->scoring)
    return 0;
  double topic_sum = 0;
  for (const auto& [name, t] : topics_)
    topic_sum += t.score().score(peer);
  return score_.score(peer, topic_sum);
}

// -- peers --------------------------------------------------------------------

result<void> router::add_peer(const peer_id& peer, protocol proto,
                              bool outbound, std::string ip, time_point now) {
  if (peer == self_)
    return make_error(errc::invalid_argument, "cannot add ourselves as peer");
  if (peers_.contains(peer))
    return make_error(errc::invalid_argument,
                      fmt::format("peer {} is already added",
                                  peer.to_string()));
  score_.add_peer(peer, ip);
  auto [it, added] = peers_.try_emplace(peer, proto, outbound, std::move(ip),
                                        direct_.contains(peer),
                                        cfg_->max_transmit_size);
  // Hello: our subscriptions.
  for (const auto& [name, t] : topics_)
    if (t.subscribed())
      it->second.queue.push_subscription(name, true);
  if (!it->second.queue.empty())
    touch(peer, it->second);
  return {};
}

void router::remove_peer(const peer_id& peer, time_point now) {
  auto ps = peers_.find(peer);
  if (ps == peers_.end())
    return;
  for (const auto& topic : ps->second.topics) {
    auto tp = topic_peers_.find(topic);
    if (tp != topic_peers_.end()) {
      tp->second.erase(peer);
      if (tp->second.empty())
        topic_peers_.erase(tp);
    }
  }
  for (auto& [name, t] : topics_) {
    bool was = t.in_mesh(peer);
    t.peer_left(peer, true);
    if (was)
      emit(mesh_changed{name, peer, false, mesh_cause::peer_gone});
  }
  score_.remove_peer(peer, now);
  promises_.forget(peer);
  peers_.erase(ps);
}

void router::set_writable(const peer_id& peer, bool writable) {
  auto ps = peers_.find(peer);
  if (ps == peers_.end())
    return;
  ps->second.writable = writable;
  if (writable && !ps->second.queue.empty())
    touch(peer, ps->second);
}

void router::set_app_score(const peer_id& peer, double value) {
  score_.set_app_score(peer, value);
}

// -- subscriptions ------------------------------------------------------------

result<void> router::subscribe(const std::string& topic, time_point now) {
  if (auto ok = check_topic(topic); !ok)
    return ok;
  auto* t = local_topic(topic);
  if (t && t->subscribed())
    return {};
  if (!t) {
    if (topics_.size() >= max_local_topics)
      return make_error(errc::too_large, fmt::format("already {} local topics "
                                                     "(max_local_topics)",
                                                     max_local_topics));
    t = &topics_.try_emplace(topic, topic, cfg_, true).first->second;
  }
  for (const auto& p : t->join(candidates(topic, now), rng_, now)) {
    auto& ps = peers_.at(p);
    ps.queue.push_graft(topic);
    touch(p, ps);
    emit(mesh_changed{topic, p, true, mesh_cause::joined});
  }
  for (auto& [p, ps] : peers_) {
    ps.queue.push_subscription(topic, true);
    touch(p, ps);
  }
  return {};
}

result<void> router::unsubscribe(const std::string& topic, time_point now) {
  auto* t = local_topic(topic);
  if (!t || !t->subscribed())
    return {};
  for (const auto& p : t->leave()) {
    send_prune(p, topic, false, cfg_->unsubscribe_backoff, now);
    emit(mesh_changed{topic, p, false, mesh_cause::left});
  }
  topics_.erase(topic);
  for (auto& [p, ps] : peers_) {
    ps.queue.push_subscription(topic, false);
    touch(p, ps);
  }
  return {};
}

// -- publishing ---------------------------------------------------------------

result<publish_result> router::publish(const std::string& topic, bytes data,
                                       time_point now) {
  if (auto ok = check_topic(topic); !ok)
    return ok.error();
  if (data.size() > cfg_->max_message_size)
    return make_error(errc::too_large,
                      fmt::format("message of {} bytes over max_message_size "
                                  "{}",
                                  data.size(), cfg_->max_message_size));
  auto m = cfg_->policy_for(topic) == signing_policy::strict_sign
             ? make_signed_message(key_, self_, topic, std::move(data),
                                   ++seqno_)
             : make_unsigned_message(topic, std::move(data));
  auto id = cfg_->id_fn ? cfg_->id_fn(m) : default_message_id(m);
  if (seen_.contains(id, now))
    return make_error(errc::refused,
                      fmt::format("message id {} was already seen (same "
                                  "content under a content id?)",
                                  id.to_hex()));
  auto cm = make_cached(id, std::move(m));
  if (field_size(cm->encoded->size()) > cfg_->max_transmit_size)
    return make_error(errc::too_large,
                      fmt::format("encoded message of {} bytes does not fit "
                                  "max_transmit_size {}",
                                  cm->encoded->size(),
                                  cfg_->max_transmit_size));
  seen_.insert(id, now);
  ++stats_.messages_published;
  auto* t = local_topic(topic);
  std::vector<const peer_id*> targets;
  auto tp = topic_peers_.find(topic);
  auto add_if = [&](const peer_id& p, auto pred) {
    auto ps = peers_.find(p);
    if (ps != peers_.end() && pred(ps->second))
      targets.push_back(&ps->first);
  };
  const double publish_threshold = cfg_->thresholds.publish_threshold;
  if (tp != topic_peers_.end()) {
    if (cfg_->flood_publish) {
      for (const auto& p : tp->second)
        add_if(p, [&](const peer_state& ps) {
          return ps.direct || score(p) >= publish_threshold;
        });
    } else {
      if (!t) {
        if (topics_.size() >= max_local_topics)
          return make_error(errc::too_large, "max_local_topics reached");
        t = &topics_.try_emplace(topic, topic, cfg_, false).first->second;
      }
      const auto& via = t->subscribed()
                          ? t->mesh()
                          : t->publish_fanout(candidates(topic, now), rng_,
                                              now);
      for (const auto& p : tp->second)
        add_if(p, [&](const peer_state& ps) {
          return ps.direct || via.contains(p)
                 || (ps.proto == protocol::floodsub
                     && score(p) >= publish_threshold);
        });
    }
  }
  if (t)
    t->cache().put(cm);
  std::size_t queued = 0;
  for (const auto* p : targets)
    if (queue_message(*p, peers_.at(*p), cm))
      ++queued;
  std::size_t known = tp == topic_peers_.end() ? 0 : tp->second.size();
  std::size_t expected = cfg_->flood_publish ? known : std::min(known, cfg_->d);
  return publish_result{cm->id, queued, expected};
}

// -- output -------------------------------------------------------------------

std::optional<transmit> router::poll_transmit() {
  while (!dirty_.empty()) {
    auto peer = std::move(dirty_.front());
    dirty_.pop_front();
    auto ps = peers_.find(peer);
    if (ps == peers_.end())
      continue;
    auto& st = ps->second;
    st.dirty = false;
    if (!st.writable)
      continue;
    auto frame = st.queue.pop_frame();
    if (!frame)
      continue;
    if (!st.queue.empty())
      touch(peer, st);
    ++stats_.frames_sent;
    return transmit{std::move(peer), std::move(*frame)};
  }
  return std::nullopt;
}

std::optional<event> router::poll_event() {
  if (events_.empty())
    return std::nullopt;
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

// -- introspection ------------------------------------------------------------

std::vector<peer_id> router::mesh_peers(const std::string& topic) const {
  auto i = topics_.find(topic);
  if (i == topics_.end())
    return {};
  return {i->second.mesh().begin(), i->second.mesh().end()};
}

std::vector<peer_id> router::fanout_peers(const std::string& topic) const {
  auto i = topics_.find(topic);
  if (i == topics_.end())
    return {};
  return {i->second.fanout().begin(), i->second.fanout().end()};
}

std::size_t router::topic_peer_count(const std::string& topic) const {
  auto i = topic_peers_.find(topic);
  return i == topic_peers_.end() ? 0 : i->second.size();
}

std::vector<peer_id> router::topic_peers(const std::string& topic) const {
  std::vector<peer_id> result;
  if (topic.empty()) {
    for (const auto& [peer, ps] : peers_)
      result.push_back(peer);
    return result;
  }
  if (auto i = topic_peers_.find(topic); i != topic_peers_.end())
    result.assign(i->second.begin(), i->second.end());
  return result;
}

std::size_t router::peer_topic_count(const peer_id& peer) const {
  auto i = peers_.find(peer);
  return i == peers_.end() ? 0 : i->second.topics.size();
}

const topic_mesh* router::topic_state(const std::string& topic) const {
  auto i = topics_.find(topic);
  return i == topics_.end() ? nullptr : &i->second;
}

const outbound_queue* router::queue_of(const peer_id& peer) const {
  auto i = peers_.find(peer);
  return i == peers_.end() ? nullptr : &i->second.queue;
}

} // namespace canswarm::gossipsub
