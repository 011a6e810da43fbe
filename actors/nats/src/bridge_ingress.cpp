// NATS bridge: subscriptions and the ingress check of every message.
//
// Order of the checks (the first failure is the reason):
//   1. the subject is a thread subject thread.{thread}.{verb}  bad_subject
//   2. the bytes decode as an envelope            malformed, unknown_kind,
//                                                 too_large (as the gate)
//   3. the envelope's thread id and kind are the  subject_mismatch
//      subject's (thread and verb)
//   4. the gate's ingress rules (gate.hpp)        the gate's reason
// The thread is checked before the gate records the envelope's id, so a
// copy published on the wrong subject cannot make the real one a replay.

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include "bridge_impl.hpp"
#include "canswarm/envelope/codec.hpp"
#include "canswarm/envelope/topic.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/nats/subject.hpp"

namespace canswarm::detail {

namespace {

/// Hands messages from a nats.c thread to the bridge, within max_backlog.
nats::message_handler make_handler(nb_self self, std::uint64_t id) {
  caf::weak_actor_ptr weak = self->ctrl();
  auto shared = self->state.shared;
  return [weak, shared, id](nats::message msg) {
    if (shared->backlog.fetch_add(1) >= shared->max_backlog) {
      shared->backlog.fetch_sub(1);
      shared->dropped.fetch_add(1);
      return; // JetStream: unacked, redelivered after the ack wait
    }
    auto strong = caf::actor_cast<caf::strong_actor_ptr>(weak);
    if (!strong) {
      shared->backlog.fetch_sub(1);
      return;
    }
    caf::anon_send(caf::actor_cast<nats_bridge_actor>(strong),
                   nats_inbound{id, std::move(msg)});
  };
}

const char* decode_reason(errc code) {
  switch (code) {
    case errc::unsupported: return "unknown_kind";
    case errc::too_large: return "too_large";
    default: return "malformed";
  }
}

void reject(nb_self self, const nats::message& msg, const char* reason,
            const std::string& detail) {
  auto& st = self->state;
  ++st.health.rejected;
  ++st.health.rejected_by_reason[reason];
  // A replay is mostly the same envelope again (a failover re-send, a
  // re-publish): counted, logged at DEBUG, not a warning.
  if (std::string_view{reason} == "replay")
    log::debug(nats_log, "duplicate on {}: {}", msg.subject(), detail);
  else
    log::warning(nats_log, "rejected message on {}: {} ({})", msg.subject(),
                 reason, detail);
  if (msg.from_jetstream())
    if (auto ok = msg.term(); !ok)
      log::debug(nats_log, "{}", ok.error().message);
}

/// Runs checks 2-4; returns the reason and detail of a rejection.
std::optional<std::pair<const char*, std::string>>
check_envelope(nb_self self, bytes_view wire, const std::string& thread,
               const std::string& verb) {
  auto env = envelope::decode(wire);
  if (!env)
    return std::pair{decode_reason(env.error().code), env.error().message};
  if (env->thread_id != thread)
    return std::pair{"subject_mismatch",
                     fmt::format("envelope of thread \"{}\" on a subject of "
                                 "thread \"{}\"",
                                 env->thread_id, thread)};
  if (envelope::verb(env->kind) != verb)
    return std::pair{"subject_mismatch",
                     fmt::format("{} envelope on a subject of verb \"{}\"",
                                 envelope::to_string(env->kind), verb)};
  auto d = self->state.gate->ingress_validate(*env, unix_now_ns());
  if (!d.allowed)
    return std::pair{envelope::to_string(d.code), d.reason};
  return std::nullopt;
}

} // namespace

caf::result<std::uint64_t> nb_subscribe(nb_self self, std::string& pattern,
                                        nats_envelope_sink_actor sink) {
  auto& st = self->state;
  auto err = [](error e) { return nats::to_caf_error(e); };
  if (!sink)
    return err(make_error(errc::invalid_argument, "nats subscribe: no sink"));
  if (auto ok = nats::check_pattern(pattern); !ok)
    return err(make_error(errc::invalid_argument,
                          "nats subscribe: " + ok.error().message));
  auto same = std::find_if(st.subs.begin(), st.subs.end(), [&](auto& kv) {
    return kv.second.pattern == pattern;
  });
  if (same != st.subs.end()) {
    auto& s = same->second;
    if (s.sinks.size() >= max_nats_sinks_per_subscription)
      return err(make_error(errc::refused,
                            fmt::format("nats subscribe to {}: {} sinks "
                                        "(max_nats_sinks_per_subscription)",
                                        pattern, s.sinks.size())));
    self->monitor(sink);
    s.sinks.push_back(std::move(sink));
    return s.id;
  }
  if (st.subs.size() >= max_nats_subscriptions)
    return err(
      make_error(errc::refused, fmt::format("nats subscribe to {}: {} patterns "
                                            "(max_nats_subscriptions)",
                                            pattern, st.subs.size())));
  auto id = st.next_sub++;
  result<nats::subscription> sub = make_error(errc::io, "");
  if (st.cfg.jetstream) {
    bool covered = false;
    for (auto& s : st.cfg.stream.subjects)
      covered = covered || nats::covers(s, pattern);
    if (!covered)
      return err(make_error(errc::invalid_argument,
                            fmt::format("nats subscribe: {} is outside "
                                        "stream {}",
                                        pattern, st.cfg.stream.name)));
    nats::consumer_settings cs;
    cs.stream = st.cfg.stream.name;
    cs.durable = nats::durable_name(st.cfg.durable_prefix, pattern);
    cs.ack_wait = st.cfg.ack_wait;
    cs.max_ack_pending = st.cfg.max_ack_pending;
    sub = st.conn->js_subscribe(pattern, cs, make_handler(self, id));
  } else {
    sub = st.conn->subscribe(pattern, make_handler(self, id));
  }
  if (!sub) {
    st.health.last_error = sub.error().message;
    log::error(nats_log, "{}", sub.error().message);
    return err(sub.error());
  }
  self->monitor(sink);
  nats_bridge_subscription entry;
  entry.id = id;
  entry.pattern = pattern;
  entry.sinks.push_back(std::move(sink));
  entry.sub = std::move(*sub);
  st.subs.emplace(id, std::move(entry));
  log::info(nats_log, "subscribed to {}{}", pattern,
            st.cfg.jetstream ? " (durable consumer)" : "");
  return id;
}

void nb_on_inbound(nb_self self, nats_inbound& x) {
  auto& st = self->state;
  st.shared->backlog.fetch_sub(1);
  ++st.health.received;
  auto it = st.subs.find(x.sub);
  if (it == st.subs.end() || !x.msg.valid())
    return; // unsubscribed meanwhile (JetStream redelivers)
  std::string subject{x.msg.subject()};
  auto topic = envelope::parse_nats_subject(subject);
  if (!topic) {
    reject(self, x.msg, "bad_subject", topic.error().message);
    return;
  }
  auto data = x.msg.data();
  if (st.cfg.ingress == nats_ingress_check::gate) {
    if (auto why = check_envelope(self, data, topic->thread_id, topic->verb)) {
      reject(self, x.msg, why->first, why->second);
      return;
    }
  }
  nats_envelope out{bytes{data.begin(), data.end()}, topic->thread_id,
                    topic->verb, subject, std::string{nats_transport_tag}};
  for (auto& sink : it->second.sinks)
    self->send(sink, out);
  ++st.health.delivered;
  if (x.msg.from_jetstream())
    if (auto ok = x.msg.ack(); !ok)
      log::warning(nats_log, "{}", ok.error().message);
}

void nb_remove_sink(nb_self self, const caf::actor_addr& addr) {
  auto& subs = self->state.subs;
  for (auto it = subs.begin(); it != subs.end();) {
    auto& sinks = it->second.sinks;
    sinks.erase(std::remove_if(sinks.begin(), sinks.end(),
                               [&](const nats_envelope_sink_actor& s) {
                                 return s.address() == addr;
                               }),
                sinks.end());
    if (sinks.empty()) {
      log::info(nats_log, "unsubscribed from {} (no sink left)",
                it->second.pattern);
      it = subs.erase(it); // detaches; a durable consumer stays
    } else {
      ++it;
    }
  }
}

} // namespace canswarm::detail
