// The envelope bus over P2P (bus.hpp).

#include "canswarm/bus/bus.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <fmt/format.h>

#include "canswarm/actors/errors.hpp"
#include "canswarm/actors/message_types.hpp"
#include "canswarm/envelope/codec.hpp"
#include "canswarm/envelope/lamport_clock.hpp"
#include "canswarm/envelope/topic.hpp"
#include "canswarm/log/log.hpp"

namespace canswarm {

namespace {

constexpr std::string_view bus_component = "bus";

std::uint64_t unix_ns() {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
}

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

/// One local subscription.
struct bus_sub {
  std::string subject; ///< As given (may be a wildcard).
  envelope_handler_actor handler;
};

struct bus_state {
  static inline const char* name = "bus";
  bus_config cfg;
  pubsub_actor pubsub;
  std::unique_ptr<envelope::gate_enforcer> preflight;
  envelope::lamport_clock clock;
  /// P2P topic -> local subscriptions.
  std::map<std::string, std::vector<bus_sub>> subs;
  std::size_t subscriptions = 0;
  bus_stats stats;
};

using bus_self = bus_actor::stateful_pointer<bus_state>;

void deliver(bus_self self, const std::string& topic,
             const envelope::envelope& env, const peer_id& from) {
  auto& st = self->state;
  auto i = st.subs.find(topic);
  if (i == st.subs.end())
    return;
  auto subject = envelope::nats_subject(env.thread_id, env.kind);
  if (!subject)
    return;
  for (auto& s : i->second) {
    self->send(s.handler, bus_envelope{*subject, env, from});
    ++st.stats.delivered;
  }
}

void on_message(bus_self self, pubsub_message& m) {
  auto& st = self->state;
  // The gate already accepted these bytes in the validation hook; decoding
  // again is cheap and keeps the hook free of actor state.
  auto env = envelope::decode(m.data);
  if (!env) {
    log::warning(bus_component, "undecodable envelope on {} from {}: {}",
                 m.topic, m.received_from.to_string(), env.error().describe());
    return;
  }
  ++st.stats.received;
  st.clock.observe(env->lamport);
  deliver(self, m.topic, *env, m.received_from);
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
    auto r = st.cfg.gate->gate.ingress_validate(env, now);
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
  deliver(self, *topic, env, peer_id{});
  if (!st.pubsub)
    return std::uint64_t{0};
  auto rp = self->make_response_promise<std::uint64_t>();
  self
    ->request(st.pubsub, std::chrono::seconds{10}, pubsub_publish_atom::value,
              *topic, std::move(*wire))
    .then(
      [self, rp](std::uint64_t peers) mutable {
        self->state.stats.publish_peers += peers;
        rp.deliver(peers);
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
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
    auto& list = st.subs[*topic];
    if (list.empty() && st.pubsub)
      self
        ->request(st.pubsub, std::chrono::seconds{10},
                  pubsub_subscribe_atom::value, *topic,
                  caf::actor_cast<pubsub_subscriber_actor>(self))
        .then([](std::uint64_t) {},
              [self, t = *topic](caf::error& err) {
                log::error(bus_component, "cannot join {}: {}", t,
                           self->system().render(err));
              });
    list.push_back(bus_sub{subject, handler});
    ++st.subscriptions;
    count = std::max<std::uint64_t>(count, list.size());
  }
  self->monitor(handler);
  st.stats.subscriptions = st.subscriptions;
  log::info(bus_component, "subscribed to {}", subject);
  return count;
}

void drop_handler(bus_self self, const caf::actor_addr& who) {
  auto& st = self->state;
  for (auto i = st.subs.begin(); i != st.subs.end();) {
    auto& list = i->second;
    auto before = list.size();
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const bus_sub& s) {
                                return s.handler.address() == who;
                              }),
               list.end());
    st.subscriptions -= before - list.size();
    if (list.empty()) {
      if (st.pubsub)
        self
          ->request(st.pubsub, std::chrono::seconds{10},
                    pubsub_unsubscribe_atom::value, i->first,
                    caf::actor_cast<pubsub_subscriber_actor>(self))
          .then([](std::uint64_t) {}, [](caf::error&) {});
      i = st.subs.erase(i);
    } else {
      ++i;
    }
  }
  st.stats.subscriptions = st.subscriptions;
}

bus_stats snapshot(bus_self self) {
  auto& st = self->state;
  auto out = st.stats;
  out.lamport = st.clock.value();
  std::lock_guard<std::mutex> guard{st.cfg.gate->mtx};
  auto& g = st.cfg.gate->gate.stats();
  for (std::size_t i = 1; i < envelope::reject_reason_count; ++i)
    if (g.rejected[i] > 0)
      out.rejected.emplace_back(envelope::to_string(
                                  static_cast<envelope::reject_reason>(i)),
                                g.rejected[i]);
  return out;
}

bus_actor::behavior_type bus(bus_self self, bus_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.preflight = std::make_unique<envelope::gate_enforcer>(st.cfg.preflight);
  if (st.cfg.pubsub)
    st.pubsub = st.cfg.pubsub->get();
  if (!st.pubsub)
    log::warning(bus_component, "no pub/sub service: envelopes stay local");
  self->set_down_handler(
    [self](caf::down_msg& msg) { drop_handler(self, msg.source); });
  return {
    [self](status_atom) {
      auto s = snapshot(self);
      std::uint64_t rejected = 0;
      for (auto& [reason, n] : s.rejected)
        rejected += n;
      return component_status{
        "bus", "envelope-bus",
        fmt::format("primary {}, {} published, {} received, {} delivered, "
                    "{} rejected at ingress, {} subscriptions, lamport {}",
                    s.primary, s.published, s.received, s.delivered, rejected,
                    s.subscriptions, s.lamport)};
    },
    [self](bus_publish_atom, envelope::envelope& env, std::string& subject) {
      return publish(self, env, subject);
    },
    [self](bus_subscribe_atom, std::string& subject,
           envelope_handler_actor& handler) {
      return subscribe(self, subject, std::move(handler));
    },
    [self](bus_stats_atom) { return snapshot(self); },
    [self](pubsub_message& m) { on_message(self, m); },
  };
}

} // namespace

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
