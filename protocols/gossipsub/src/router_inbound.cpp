// Router, inbound path: graylist check, RPC decoding, subscriptions and the
// message pipeline (spec v1.0 "Message Processing" with the v1.1 extended
// validators and score hooks).

#include <fmt/format.h>

#include "canswarm/gossipsub/router.hpp"
#include "canswarm/gossipsub/signing.hpp"

namespace canswarm::gossipsub {

result<void> router::handle_rpc(const peer_id& peer, bytes_view body,
                                time_point now) {
  auto it = peers_.find(peer);
  if (it == peers_.end())
    return make_error(errc::not_found, fmt::format("RPC from unknown peer {}",
                                                   peer.to_string()));
  ++stats_.rpcs_received;
  auto& ps = it->second;
  // Graylisted peers' RPCs are ignored before decoding (v1.1 thresholds).
  if (!ps.direct && cfg_->scoring
      && score(peer) < cfg_->thresholds.graylist_threshold) {
    ++stats_.rpcs_graylisted;
    return {};
  }
  auto decoded = decode_rpc(body, cfg_->max_transmit_size);
  if (!decoded) {
    auto reason = decoded.error().code == errc::too_large
                    ? reject_reason::rpc_too_large
                    : reject_reason::malformed_rpc;
    reject(peer, reason, decoded.error().message, true);
    return decoded.error();
  }
  auto& r = *decoded;
  handle_subscriptions(peer, ps, r.subscriptions);
  for (std::size_t i = 0; i < r.publish.size(); ++i) {
    // Once invalid messages push the sender below the graylist threshold,
    // the rest of its RPC is not verified (bounds the CPU a spammer gets).
    if (handle_message(peer, std::move(r.publish[i]), now) && !ps.direct
        && cfg_->scoring && score(peer) < cfg_->thresholds.graylist_threshold) {
      stats_.messages_graylisted += r.publish.size() - i - 1;
      return {};
    }
  }
  // Floodsub peers speak no control; handling messages may not remove the
  // peer, so `ps` is still valid here.
  if (r.control && is_gossipsub(ps.proto)) {
    handle_ihave(peer, ps, r.control->ihave, now);
    handle_iwant(peer, ps, r.control->iwant);
    handle_graft(peer, ps, r.control->graft, now);
    handle_prune(peer, r.control->prune, now);
  }
  return {};
}

void router::report_invalid_frame(const peer_id& peer, const error& err,
                                  time_point now) {
  if (!peers_.contains(peer))
    return;
  auto reason = err.code == errc::too_large ? reject_reason::rpc_too_large
                                            : reject_reason::malformed_rpc;
  reject(peer, reason, err.message, true);
}

void router::handle_subscriptions(const peer_id& peer, peer_state& ps,
                                  std::vector<sub_opts>& subs) {
  std::size_t truncated = 0;
  std::size_t invalid = 0;
  if (subs.size() > max_subscriptions_per_rpc) {
    truncated = subs.size() - max_subscriptions_per_rpc;
    subs.resize(max_subscriptions_per_rpc);
  }
  for (auto& s : subs) {
    if (s.topic.empty() || s.topic.size() > max_topic_size) {
      ++invalid;
      continue;
    }
    if (s.subscribe) {
      if (ps.topics.contains(s.topic))
        continue;
      if (ps.topics.size() >= max_topics_per_peer) {
        ++truncated;
        continue;
      }
      auto tp = topic_peers_.find(s.topic);
      if (tp == topic_peers_.end()) {
        if (topic_peers_.size() >= max_known_topics
            && !topics_.contains(s.topic)) {
          ++stats_.subscriptions_ignored;
          continue;
        }
        tp = topic_peers_.try_emplace(s.topic).first;
      }
      tp->second.insert(peer);
      ps.topics.insert(std::move(s.topic));
    } else {
      auto pos = ps.topics.find(s.topic);
      if (pos == ps.topics.end())
        continue;
      ps.topics.erase(pos);
      if (auto tp = topic_peers_.find(s.topic); tp != topic_peers_.end()) {
        tp->second.erase(peer);
        if (tp->second.empty())
          topic_peers_.erase(tp);
      }
      if (auto* t = local_topic(s.topic)) {
        bool was = t->in_mesh(peer);
        t->peer_left(peer, false);
        if (was)
          emit(mesh_changed{s.topic, peer, false, mesh_cause::peer_gone});
      }
    }
  }
  if (invalid > 0) {
    stats_.rejected[static_cast<std::size_t>(reject_reason::invalid_topic)]
      += invalid - 1;
    reject(peer, reject_reason::invalid_topic,
           fmt::format("{} subscriptions with an empty or over-{}-byte topic",
                       invalid, max_topic_size),
           false);
  }
  if (truncated > 0) {
    stats_
      .rejected[static_cast<std::size_t>(reject_reason::too_many_subscriptions)]
      += truncated - 1;
    reject(peer, reject_reason::too_many_subscriptions,
           fmt::format("{} subscriptions ignored over max_topics_per_peer {} "
                       "/ max_subscriptions_per_rpc {}",
                       truncated, max_topics_per_peer,
                       max_subscriptions_per_rpc),
           true);
  }
}

bool router::handle_message(const peer_id& source, message&& m,
                            time_point now) {
  ++stats_.messages_received;
  if (m.topic.empty()) {
    reject(source, reject_reason::missing_topic, "message without topic", true);
    return true;
  }
  auto* t = local_topic(m.topic);
  if (!t || !t->subscribed()) {
    ++stats_.messages_unsubscribed;
    return false;
  }
  auto invalid = [&](reject_reason r) {
    t->score().invalid_message(source);
    reject(source, r, fmt::format("message on topic '{}'", m.topic), false);
    return true;
  };
  if (m.data.size() > cfg_->max_message_size)
    return invalid(reject_reason::message_too_large);
  auto policy = cfg_->policy_for(m.topic);
  if (auto r = check_fields(m, policy))
    return invalid(*r);
  auto id = cfg_->id_fn ? cfg_->id_fn(m) : default_message_id(m);
  if (seen_.contains(id, now)) {
    ++stats_.messages_duplicate;
    ++t->counts().duplicates;
    t->score().duplicate(id, source, now);
    return false;
  }
  if (m.from && *m.from == self_.to_bytes()) {
    ++stats_.messages_self;
    seen_.insert(id, now);
    return false;
  }
  // Signatures are checked before the id is marked seen, so a forged copy
  // cannot shadow the genuine message.
  if (policy == signing_policy::strict_sign)
    if (auto r = verify_signature(m, scratch_))
      return invalid(*r);
  seen_.insert(id, now);
  promises_.fulfilled(id);
  t->score().first_seen(id, now);
  pending p{make_cached(std::move(id), std::move(m)), source};
  const auto& topic = p.msg->msg->topic;
  if (auto v = validators_.find(topic); v != validators_.end()) {
    auto verdict = v->second(source, *p.msg->msg);
    finish_validation(p, verdict, now);
    return verdict == validation_result::reject;
  }
  if (async_topics_.contains(topic)) {
    if (validating_.size() >= max_pending_validations) {
      ++stats_.validation_overflow;
      t->score().ignored(p.msg->id, now);
      return false;
    }
    emit(validation_request{topic, p.msg->id, source, p.msg->msg});
    auto key = p.msg->id;
    validating_.emplace(std::move(key), std::move(p));
    return false;
  }
  finish_validation(p, validation_result::accept, now);
  return false;
}

void router::set_validator(const std::string& topic, validator fn) {
  if (fn)
    validators_[topic] = std::move(fn);
  else
    validators_.erase(topic);
}

void router::set_async_validation(const std::string& topic, bool async) {
  if (async)
    async_topics_.insert(topic);
  else
    async_topics_.erase(topic);
}

result<void> router::report_validation(const message_id& id,
                                       validation_result r, time_point now) {
  auto i = validating_.find(id);
  if (i == validating_.end())
    return make_error(errc::not_found,
                      fmt::format("no message {} awaits validation",
                                  id.to_hex()));
  auto p = std::move(i->second);
  validating_.erase(i);
  finish_validation(p, r, now);
  return {};
}

void router::finish_validation(const pending& p, validation_result r,
                               time_point now) {
  auto* t = local_topic(p.msg->msg->topic);
  if (!t)
    return; // We left the topic meanwhile.
  switch (r) {
    case validation_result::accept:
      t->score().accepted(p.msg->id, p.source, now);
      t->cache().put(p.msg);
      ++stats_.messages_delivered;
      ++t->counts().delivered;
      emit(message_event{p.msg->msg->topic, p.msg->id, p.source, p.msg->msg});
      forward(p.msg, &p.source);
      break;
    case validation_result::reject:
      t->score().rejected(p.msg->id, p.source, now);
      reject(p.source, reject_reason::validator_rejected,
             fmt::format("message {} on topic '{}'", p.msg->id.to_hex(),
                         p.msg->msg->topic),
             false);
      break;
    case validation_result::ignore:
      t->score().ignored(p.msg->id, now);
      ++stats_.messages_ignored;
      break;
  }
}

std::size_t router::forward(const std::shared_ptr<const cached_message>& m,
                            const peer_id* source) {
  const auto& topic = m->msg->topic;
  auto tp = topic_peers_.find(topic);
  if (tp == topic_peers_.end())
    return 0;
  const auto* t = local_topic(topic);
  const auto* origin = m->msg->from ? &*m->msg->from : nullptr;
  std::size_t n = 0;
  for (const auto& p : tp->second) {
    if ((source && p == *source) || (origin && p.to_bytes() == *origin))
      continue;
    auto& ps = peers_.at(p);
    bool target = ps.direct || (t && t->in_mesh(p))
                  || (ps.proto == protocol::floodsub
                      && score(p) >= cfg_->thresholds.publish_threshold);
    if (!target)
      continue;
    if (queue_message(p, ps, m))
      ++n;
  }
  return n;
}

} // namespace canswarm::gossipsub
