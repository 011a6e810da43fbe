// The envelope bus over P2P and NATS: the hybrid bus (bus.hpp).

#include "canswarm/bus/bus.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <fmt/format.h>

#include "canswarm/actors/errors.hpp"
#include "canswarm/actors/message_types.hpp"
#include "canswarm/envelope/codec.hpp"
#include "canswarm/envelope/topic.hpp"
#include "canswarm/log/log.hpp"

#include "bus_state.hpp"

namespace canswarm {

namespace {

using namespace bus_detail;

caf::error bus_error(errc code, std::string text) {
  return wrap_error(make_error(code, std::move(text)), bus_error_category);
}

/// A subject resolved to its thread and verbs (one, or all for `.*`).
struct resolved_subject {
  std::string thread_id;
  std::vector<std::string> verbs;
};

result<resolved_subject> resolve(const std::string& subject) {
  constexpr std::string_view all = ".*";
  if (subject.size() > all.size()
      && subject.compare(subject.size() - all.size(), all.size(), all) == 0) {
    // thread.{escaped}.* : check the prefix by parsing it with a verb.
    auto probe = envelope::parse_nats_subject(
      subject.substr(0, subject.size() - 1) + "need");
    if (!probe)
      return make_error(errc::invalid_argument,
                        fmt::format("subject \"{}\": {}", subject,
                                    probe.error().message));
    resolved_subject r{probe->thread_id, {}};
    for (auto k : envelope::all_kinds)
      r.verbs.push_back(envelope::verb(k));
    return r;
  }
  auto t = envelope::parse_nats_subject(subject);
  if (!t)
    return make_error(errc::invalid_argument,
                      fmt::format("subject \"{}\": {} (expected "
                                  "thread.<thread id>.<verb> or "
                                  "thread.<thread id>.*)",
                                  subject, t.error().message));
  if (!envelope::parse_kind(t->verb))
    return make_error(errc::invalid_argument,
                      fmt::format("subject \"{}\": unknown verb \"{}\"",
                                  subject, t->verb));
  return resolved_subject{t->thread_id, {t->verb}};
}

bool has_subscribers(bus_self self, const std::string& topic) {
  auto& st = self->state;
  return st.subs.count(topic) > 0 || st.topic_subs.count(topic) > 0;
}

void deliver(bus_self self, const std::string& topic,
             const envelope::envelope& env, const bytes& wire,
             const peer_id& from) {
  auto& st = self->state;
  if (auto i = st.subs.find(topic); i != st.subs.end()) {
    auto subject = envelope::nats_subject(env.thread_id, env.kind);
    if (subject)
      for (auto& s : i->second) {
        self->send(s.handler, bus_envelope{*subject, env, from});
        ++st.stats.delivered;
      }
  }
  if (auto i = st.topic_subs.find(topic); i != st.topic_subs.end())
    for (auto& s : i->second) {
      pubsub_message m;
      m.topic = topic;
      m.data = wire;
      m.received_from = from;
      self->send(s, std::move(m));
      ++st.stats.delivered;
    }
}

/// Records `id` as seen; false if it was seen already (a duplicate).
bool first_sight(bus_self self, const bytes& id) {
  auto& st = self->state;
  st.seen.expire(unix_ns());
  if (st.seen.contains(id)) {
    ++st.stats.dedup_hits;
    return false;
  }
  st.seen.insert(id, unix_ns());
  return true;
}

void accept_from_network(bus_self self, const std::string& topic,
                         const bytes& wire, const peer_id& from,
                         bus_transport via) {
  auto& st = self->state;
  // The gate (P2P validation hook, or the bridge's) accepted these bytes
  // already; decoding again is cheap and keeps the gates free of bus state.
  auto env = envelope::decode(wire);
  if (!env) {
    log::warning(bus_component, "undecodable envelope on {} via {}: {}", topic,
                 to_string(via), env.error().describe());
    return;
  }
  if (!first_sight(self, env->id))
    return;
  ++st.stats.received;
  ++(via == bus_transport::p2p ? st.stats.received_p2p
                               : st.stats.received_nats);
  if (st.cfg.observe_latency)
    st.cfg.observe_latency(
      (static_cast<double>(unix_ns()) - static_cast<double>(env->ts_ns)) / 1e9);
  st.clock.observe(env->lamport);
  deliver(self, topic, *env, wire, from);
}

void on_message(bus_self self, pubsub_message& m) {
  accept_from_network(self, m.topic, m.data, m.received_from,
                      bus_transport::p2p);
}

void on_nats_envelope(bus_self self, nats_envelope& m) {
  auto topic = envelope::p2p_topic(m.thread_id, m.verb);
  if (!topic)
    return;
  if (!has_subscribers(self, *topic))
    return;
  accept_from_network(self, *topic, m.wire, peer_id{}, bus_transport::nats);
}

caf::result<std::uint64_t> publish(bus_self self, envelope::envelope& env,
                                   const std::string& subject) {
  auto& st = self->state;
  auto want = envelope::nats_subject(env.thread_id, env.kind);
  if (!want)
    return bus_error(errc::invalid_argument,
                     "envelope has no valid thread/kind: "
                       + want.error().message);
  if (!subject.empty() && subject != *want)
    return bus_error(errc::invalid_argument,
                     fmt::format("subject \"{}\" does not match the "
                                 "envelope's thread and kind ({})",
                                 subject, *want));
  auto now = unix_ns();
  auto d = st.preflight->preflight_validate(env, now);
  if (!d.allowed) {
    ++st.stats.preflight_rejected;
    log::warning(bus_component, "refusing to publish on {}: {}: {}", *want,
                 envelope::to_string(d.code), d.reason);
    return bus_error(errc::invalid_argument,
                     fmt::format("gate: {}: {}", envelope::to_string(d.code),
                                 d.reason));
  }
  {
    // Record it, so an echo (or a second publish) is a replay.
    std::lock_guard<std::mutex> guard{st.cfg.gate->mtx};
    auto r = st.cfg.gate->gate.record_own(env, now);
    if (!r.allowed)
      return bus_error(errc::invalid_argument,
                       fmt::format("gate: {}: {}", envelope::to_string(r.code),
                                   r.reason));
  }
  auto wire = envelope::encode(env);
  if (!wire)
    return bus_error(wire.error().code, wire.error().message);
  auto topic = envelope::p2p_topic(env.thread_id, env.kind);
  st.clock.observe(env.lamport);
  ++st.stats.published;
  st.seen.expire(now);
  st.seen.insert(env.id, now);
  deliver(self, *topic, env, *wire, peer_id{});
  sent_entry e{steady::now(),
               *topic,
               *want,
               st.cfg.primary,
               std::make_shared<const bytes>(std::move(*wire)),
               env.id};
  route(self, std::move(e));
  return std::uint64_t{1};
}

caf::result<std::uint64_t> publish_wire(bus_self self, const std::string& topic,
                                        const bytes& wire) {
  auto env = envelope::decode(wire);
  if (!env)
    return bus_error(errc::invalid_argument,
                     "not a CAN Swarm envelope: " + env.error().describe());
  auto own = envelope::p2p_topic(env->thread_id, env->kind);
  if (!own || *own != topic)
    return bus_error(errc::invalid_argument,
                     fmt::format("topic \"{}\" does not match the envelope's "
                                 "thread and kind ({})",
                                 topic, own ? *own : "none"));
  return publish(self, *env, std::string{});
}

/// Joins `topic` on the transports (first local subscriber).
void join_topic(bus_self self, const std::string& topic) {
  auto& st = self->state;
  if (st.pubsub)
    self
      ->request(st.pubsub, std::chrono::seconds{10},
                pubsub_subscribe_atom::value, topic,
                caf::actor_cast<pubsub_subscriber_actor>(self))
      .then([](std::uint64_t) {},
            [self, topic](caf::error& err) {
              log::error(bus_component, "cannot join {}: {}", topic,
                         self->system().render(err));
            });
  auto t = envelope::parse_p2p_topic(topic);
  if (!t)
    return;
  auto subject = envelope::nats_subject(t->thread_id, t->verb);
  if (!subject || st.nats_subjects.count(*subject) > 0)
    return;
  st.nats_subjects.insert(*subject);
  if (st.bridge)
    self
      ->request(st.bridge, std::chrono::seconds{10}, nats_subscribe_atom::value,
                *subject, caf::actor_cast<nats_envelope_sink_actor>(self))
      .then([](std::uint64_t) {},
            [self, s = *subject](caf::error& err) {
              log::error(bus_component, "cannot subscribe to NATS {}: {}", s,
                         nats::from_caf_error(self->system(), err).message);
            });
}

/// Leaves `topic` on P2P (its last local subscriber left).
void leave_topic(bus_self self, const std::string& topic) {
  auto& st = self->state;
  if (st.pubsub)
    self
      ->request(st.pubsub, std::chrono::seconds{10},
                pubsub_unsubscribe_atom::value, topic,
                caf::actor_cast<pubsub_subscriber_actor>(self))
      .then([](std::uint64_t) {}, [](caf::error&) {});
}

caf::result<std::uint64_t> subscribe(bus_self self, const std::string& subject,
                                     envelope_handler_actor handler) {
  auto& st = self->state;
  auto r = resolve(subject);
  if (!r)
    return bus_error(r.error().code, r.error().message);
  if (st.subscriptions + r->verbs.size() > max_bus_subscriptions)
    return bus_error(errc::too_large,
                     fmt::format("at most {} bus subscriptions "
                                 "(max_bus_subscriptions)",
                                 max_bus_subscriptions));
  std::uint64_t count = 0;
  for (auto& v : r->verbs) {
    auto topic = envelope::p2p_topic(r->thread_id, v);
    if (!topic)
      return bus_error(topic.error().code, topic.error().message);
    if (!has_subscribers(self, *topic))
      join_topic(self, *topic);
    auto& list = st.subs[*topic];
    list.push_back(bus_sub{subject, handler});
    ++st.subscriptions;
    count = std::max<std::uint64_t>(count, list.size());
  }
  self->monitor(handler);
  st.stats.subscriptions = st.subscriptions;
  log::info(bus_component, "subscribed to {}", subject);
  return count;
}

caf::result<std::uint64_t> subscribe_topic(bus_self self,
                                           const std::string& topic,
                                           pubsub_subscriber_actor who) {
  auto& st = self->state;
  if (!envelope::parse_p2p_topic(topic))
    return bus_error(errc::invalid_argument,
                     fmt::format("\"{}\" is not a thread topic "
                                 "(/swarm/thread/<thread id>/<verb>)",
                                 topic));
  if (st.subscriptions + 1 > max_bus_subscriptions)
    return bus_error(errc::too_large,
                     fmt::format("at most {} bus subscriptions "
                                 "(max_bus_subscriptions)",
                                 max_bus_subscriptions));
  if (!has_subscribers(self, topic))
    join_topic(self, topic);
  auto& list = st.topic_subs[topic];
  list.push_back(who);
  ++st.subscriptions;
  self->monitor(who);
  st.stats.subscriptions = st.subscriptions;
  return static_cast<std::uint64_t>(list.size());
}

/// Removes the subscriptions matching `match` (by topic and subscriber).
template<class Match>
void drop_where(bus_self self, Match match) {
  auto& st = self->state;
  std::vector<std::string> emptied;
  for (auto i = st.subs.begin(); i != st.subs.end();) {
    auto& list = i->second;
    auto before = list.size();
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const bus_sub& s) {
                                return match(i->first, s.handler.address());
                              }),
               list.end());
    st.subscriptions -= before - list.size();
    if (list.empty()) {
      emptied.push_back(i->first);
      i = st.subs.erase(i);
    } else {
      ++i;
    }
  }
  for (auto i = st.topic_subs.begin(); i != st.topic_subs.end();) {
    auto& list = i->second;
    auto before = list.size();
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const pubsub_subscriber_actor& s) {
                                return match(i->first, s.address());
                              }),
               list.end());
    st.subscriptions -= before - list.size();
    if (list.empty()) {
      emptied.push_back(i->first);
      i = st.topic_subs.erase(i);
    } else {
      ++i;
    }
  }
  for (auto& topic : emptied)
    if (!has_subscribers(self, topic))
      leave_topic(self, topic);
  st.stats.subscriptions = st.subscriptions;
}

void drop_handler(bus_self self, const caf::actor_addr& who) {
  drop_where(self, [&](const std::string&, const caf::actor_addr& a) {
    return a == who;
  });
}

/// All topics with local subscribers.
std::vector<std::string> local_topics(bus_self self) {
  auto& st = self->state;
  std::set<std::string> out;
  for (auto& [t, _] : st.subs)
    out.insert(t);
  for (auto& [t, _] : st.topic_subs)
    out.insert(t);
  return {out.begin(), out.end()};
}

// -- services
// -------------------------------------------------------------------

/// Picks up a (re)started pub/sub service or NATS bridge and tells it what
/// the bus needs (topics, subjects, connection events).
void attach_services(bus_self self) {
  auto& st = self->state;
  if (st.cfg.pubsub) {
    auto ps = st.cfg.pubsub->get();
    if (ps && ps != st.pubsub) {
      st.pubsub = ps;
      self->monitor(ps);
      st.p2p_healthy = true;
      for (auto& topic : local_topics(self))
        self
          ->request(ps, std::chrono::seconds{10}, pubsub_subscribe_atom::value,
                    topic, caf::actor_cast<pubsub_subscriber_actor>(self))
          .then([](std::uint64_t) {}, [](caf::error&) {});
      log::debug(bus_component, "attached to the pub/sub service");
    }
  }
  if (st.cfg.nats) {
    auto br = st.cfg.nats->get();
    if (br && br != st.bridge) {
      st.bridge = br;
      self->monitor(br);
      self->send(br, nats_events_atom::value,
                 caf::actor_cast<nats_event_sink_actor>(self));
      auto subjects = st.nats_subjects;
      for (auto& subject : subjects)
        self
          ->request(br, std::chrono::seconds{10}, nats_subscribe_atom::value,
                    subject, caf::actor_cast<nats_envelope_sink_actor>(self))
          .then([](std::uint64_t) {},
                [subject](caf::error&) {
                  log::error(bus_component, "cannot subscribe to NATS {}",
                             subject);
                });
      log::debug(bus_component, "attached to the NATS bridge");
    }
  }
}

/// A service we use stopped: route around it until it is back.
void on_service_down(bus_self self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (st.pubsub && msg.source == st.pubsub.address()) {
    st.pubsub = pubsub_actor{};
    set_p2p_health(self, false, "the pub/sub service stopped");
    return;
  }
  if (st.bridge && msg.source == st.bridge.address()) {
    st.bridge = nats_bridge_actor{};
    // An ordered shutdown stops the bridge (the root's last child) before
    // the bus: the node is going away, nothing to fail over for.
    if (msg.reason == caf::exit_reason::user_shutdown) {
      st.nats_link = nats::link_state::closed;
      log::debug(bus_component, "the NATS bridge stopped (shutdown)");
      return;
    }
    set_nats_link(self, nats::link_state::closed, "the NATS bridge stopped");
    return;
  }
  drop_handler(self, msg.source);
}

/// Asks the bridge for its state; no answer within the tick is unhealthy.
void probe_nats(bus_self self) {
  auto& st = self->state;
  if (!st.bridge || st.nats_probe_pending)
    return;
  st.nats_probe_pending = true;
  self->request(st.bridge, st.cfg.tick_interval * 4, nats_health_atom::value)
    .then(
      [self](nats_health& h) {
        self->state.nats_probe_pending = false;
        if (h.state != self->state.nats_link)
          set_nats_link(self, h.state, nats::to_string(h.state));
      },
      [self](caf::error&) {
        self->state.nats_probe_pending = false;
        set_nats_link(self, nats::link_state::reconnecting,
                      "health probe timed out");
      });
}

void on_tick(bus_self self) {
  auto& st = self->state;
  attach_services(self);
  probe_nats(self);
  retry_held(self);
  auto cutoff = steady::now() - st.cfg.replay_window;
  while (!st.recent.empty() && st.recent.front().at < cutoff)
    st.recent.pop_front();
  self->delayed_send(self, st.cfg.tick_interval, bus_tick_atom::value);
}

std::vector<std::pair<std::string, std::uint64_t>>
gate_counts(const envelope::gate_stats& g) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (std::size_t i = 1; i < envelope::reject_reason_count; ++i)
    if (g.rejected[i] > 0)
      out.emplace_back(envelope::to_string(
                         static_cast<envelope::reject_reason>(i)),
                       g.rejected[i]);
  return out;
}

bus_stats snapshot(bus_self self) {
  auto& st = self->state;
  auto out = st.stats;
  out.lamport = st.clock.value();
  out.active = to_string(st.active);
  out.held = st.held.size();
  if (!st.nats)
    out.nats_state = "off";
  else if (!st.bridge)
    out.nats_state = "none";
  else
    out.nats_state = nats::to_string(st.nats_link);
  std::lock_guard<std::mutex> guard{st.cfg.gate->mtx};
  out.rejected = gate_counts(st.cfg.gate->gate.stats());
  return out;
}

/// Completes a snapshot with the bridge's rejection counts.
caf::result<bus_stats> full_stats(bus_self self) {
  auto& st = self->state;
  if (!st.bridge)
    return snapshot(self);
  auto rp = self->make_response_promise<bus_stats>();
  self->request(st.bridge, std::chrono::seconds{2}, nats_health_atom::value)
    .then(
      [self, rp](nats_health& h) mutable {
        auto s = snapshot(self);
        for (auto& [reason, n] : h.rejected_by_reason) {
          // The bridge's gate saw this id before: a duplicate (e.g. a
          // failover re-send), not a rejection.
          if (reason == "replay")
            s.dedup_hits += n;
          else
            s.nats_rejected.emplace_back(reason, n);
        }
        rp.deliver(std::move(s));
      },
      [self, rp](caf::error&) mutable { rp.deliver(snapshot(self)); });
  return rp;
}

bus_actor::behavior_type bus(bus_self self, bus_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.p2p = st.cfg.pubsub != nullptr;
  st.nats = st.cfg.nats != nullptr;
  st.active = st.cfg.primary;
  if (auto m = st.cfg.mode())
    st.stats.mode = *m;
  st.stats.primary = to_string(st.cfg.primary);
  st.seen = envelope::replay_cache{st.cfg.dedup_window, st.cfg.dedup_capacity};
  st.preflight = std::make_unique<envelope::gate_enforcer>(st.cfg.preflight);
  attach_services(self);
  if (st.p2p && !st.pubsub)
    log::warning(bus_component, "no pub/sub service yet: waiting for it");
  if (st.cfg.self_locator)
    st.cfg.self_locator->set(self);
  log::info(bus_component, "mode {}: publishing on {}{}", st.stats.mode,
            st.stats.primary,
            st.p2p && st.nats ? fmt::format(", falling back to {}",
                                            to_string(other(st.cfg.primary)))
                              : std::string{});
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_service_down(self, msg); });
  self->delayed_send(self, st.cfg.tick_interval, bus_tick_atom::value);
  return {
    [self](status_atom) {
      auto s = snapshot(self);
      std::uint64_t rejected = 0;
      for (auto& [reason, n] : s.rejected)
        rejected += n;
      return with_mailbox(
        self,
        component_status{
          "bus", "envelope-bus",
          fmt::format("mode {}, active {}, nats {}, {} published, {} received "
                      "({} dedup hits), {} delivered, {} rejected at P2P "
                      "ingress, {} failovers, {} subscriptions, lamport {}",
                      s.mode, s.active, s.nats_state, s.published, s.received,
                      s.dedup_hits, s.delivered, rejected, s.failovers,
                      s.subscriptions, s.lamport)});
    },
    [self](bus_publish_atom, envelope::envelope& env, std::string& subject) {
      return publish(self, env, subject);
    },
    [self](bus_publish_wire_atom, std::string& topic, bytes& wire) {
      return publish_wire(self, topic, wire);
    },
    [self](bus_subscribe_atom, std::string& subject,
           envelope_handler_actor& handler) {
      return subscribe(self, subject, std::move(handler));
    },
    [self](bus_topic_subscribe_atom, std::string& topic,
           pubsub_subscriber_actor& who) {
      return subscribe_topic(self, topic, std::move(who));
    },
    [self](bus_topic_unsubscribe_atom, std::string& topic,
           pubsub_subscriber_actor& who) {
      auto addr = who.address();
      drop_where(self, [&](const std::string& t, const caf::actor_addr& a) {
        return t == topic && a == addr;
      });
    },
    [self](bus_stats_atom) { return full_stats(self); },
    [self](pubsub_message& m) { on_message(self, m); },
    [self](nats_envelope& m) { on_nats_envelope(self, m); },
    [self](nats_connection_event& ev) {
      if (ev.state != self->state.nats_link)
        set_nats_link(self, ev.state,
                      ev.detail.empty() ? nats::to_string(ev.state)
                                        : ev.detail);
      if (ev.state == nats::link_state::connected)
        on_nats_connected(self);
    },
    [self](bus_tick_atom) { on_tick(self); },
  };
}

} // namespace

const char* to_string(bus_transport t) {
  return t == bus_transport::p2p ? "p2p" : "nats";
}

result<std::string> bus_config::mode() const {
  bool p2p = pubsub != nullptr;
  bool use_nats = nats != nullptr;
  if (!p2p && !use_nats)
    return make_error(errc::invalid_argument, "bus with neither P2P nor NATS");
  if (primary == bus_transport::p2p && !p2p)
    return make_error(errc::invalid_argument,
                      "bus: P2P is the primary but is not enabled");
  if (primary == bus_transport::nats && !use_nats)
    return make_error(errc::invalid_argument,
                      "bus: NATS is the primary but is not enabled");
  if (p2p && use_nats)
    return std::string{primary == bus_transport::p2p ? "p2p-primary"
                                                     : "nats-primary"};
  return std::string{p2p ? "p2p-only" : "nats-only"};
}

std::function<gossipsub::validator(const std::string&)>
envelope_validators(std::shared_ptr<ingress_gate> gate) {
  return [gate](const std::string& topic) -> gossipsub::validator {
    if (topic.rfind(envelope::p2p_topic_root, 0) != 0)
      return {};
    return [gate, topic](const peer_id& source, const gossipsub::message& m) {
      std::lock_guard<std::mutex> guard{gate->mtx};
      auto r = gate->gate.decode_and_validate(m.data, unix_ns());
      if (r.verdict.allowed) {
        // The topic must be the envelope's own: no replays across threads.
        auto own = envelope::p2p_topic(r.env->thread_id, r.env->kind);
        if (own && *own == topic)
          return gossipsub::validation_result::accept;
        log::warning(bus_component,
                     "envelope from {} on {} belongs to {}: rejected",
                     source.to_string(), topic, own ? *own : "no topic");
        return gossipsub::validation_result::reject;
      }
      log::warning(bus_component, "envelope from {} on {} rejected: {}: {}",
                   source.to_string(), topic,
                   envelope::to_string(r.verdict.code), r.verdict.reason);
      return r.verdict.code == envelope::reject_reason::replay
               ? gossipsub::validation_result::ignore
               : gossipsub::validation_result::reject;
    };
  };
}

result<bus_actor> spawn_bus(caf::actor_system& sys, bus_config cfg) {
  if (!cfg.gate)
    return make_error(errc::invalid_argument, "bus without an ingress gate");
  if (auto ok = cfg.preflight.validate(); !ok)
    return ok.error();
  if (auto m = cfg.mode(); !m)
    return m.error();
  if (cfg.dedup_capacity == 0)
    return make_error(errc::invalid_argument, "bus: dedup_capacity is 0");
  return sys.spawn(bus, std::move(cfg));
}

spawn_function bus_spawner(bus_config cfg) {
  return [cfg](caf::actor_system& sys) -> component_actor {
    auto handle = spawn_bus(sys, cfg);
    if (!handle) {
      log::error(bus_component, "cannot start: {}", handle.error().describe());
      return {};
    }
    return caf::actor_cast<component_actor>(*handle);
  };
}

} // namespace canswarm
