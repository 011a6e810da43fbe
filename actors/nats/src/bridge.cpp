// NATS bridge: configuration, behaviour, connection-state events, health,
// spawn functions. Publishing is in bridge_publish.cpp, subscriptions and
// the ingress check in bridge_ingress.cpp.

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>
#include <fmt/format.h>

#include "bridge_impl.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/nats/subject.hpp"

namespace canswarm {

using namespace detail;

namespace {

/// Sends to the bridge if it still exists (called on nats.c threads).
template<class T>
void send_to(const caf::weak_actor_ptr& weak, T&& x) {
  if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(weak))
    caf::anon_send(caf::actor_cast<nats_bridge_actor>(strong),
                   std::forward<T>(x));
}

nats::callbacks make_callbacks(nb_self self) {
  caf::weak_actor_ptr weak = self->ctrl();
  nats::callbacks cbs;
  cbs.on_state = [weak](nats::link_state s, std::string detail) {
    send_to(weak, nats_state_change{s, std::move(detail)});
  };
  cbs.on_publish_ack = [weak](std::uint64_t tag,
                              result<nats::publish_ack> ack) {
    nats_ack_result x;
    x.seq = tag;
    x.ok = ack.ok();
    if (ack.ok()) {
      x.stream_seq = ack->sequence;
      x.duplicate = ack->duplicate;
    } else {
      x.code = static_cast<std::uint8_t>(ack.error().code);
      x.text = ack.error().message;
    }
    send_to(weak, std::move(x));
  };
  return cbs;
}

/// Creates (or updates) the stream; logs and remembers failures.
void ensure_stream(nb_self self) {
  auto& st = self->state;
  if (!st.cfg.jetstream || !st.conn)
    return;
  auto info = st.conn->ensure_stream(st.cfg.stream);
  st.stream_ready = info.ok();
  if (!info) {
    st.health.last_error = info.error().message;
    log::error(nats_log, "{}", info.error().message);
    return;
  }
  log::info(nats_log, "jetstream stream {} ready ({} messages)", info->name,
            info->messages);
}

void broadcast(nb_self self, const nats_connection_event& ev) {
  for (auto& sink : self->state.event_sinks)
    self->send(sink, ev);
}

void on_state_change(nb_self self, nats_state_change& x) {
  auto& st = self->state;
  auto prev = st.health.state;
  if (prev == x.state)
    return;
  st.health.state = x.state;
  if (!x.detail.empty())
    st.health.last_error = x.detail;
  switch (x.state) {
    case nats::link_state::reconnecting:
      ++st.health.disconnects;
      log::warning(nats_log, "disconnected from NATS ({}), reconnecting",
                   x.detail.empty() ? "connection lost" : x.detail);
      break;
    case nats::link_state::connected:
      if (prev == nats::link_state::reconnecting)
        ++st.health.reconnects;
      // nats.c sent its reconnect buffer before reporting the reconnect.
      st.buffered = 0;
      log::info(nats_log, "connected to {}", st.conn->connected_url());
      ensure_stream(self);
      break;
    case nats::link_state::closed:
      st.buffered = 0;
      nb_fail_in_flight(self, "nats connection closed");
      log::error(nats_log, "NATS connection closed ({})",
                 x.detail.empty() ? "closed" : x.detail);
      break;
    case nats::link_state::connecting: break;
  }
  broadcast(self,
            nats_connection_event{x.state, x.detail, st.health.reconnects});
}

void add_event_sink(nb_self self, nats_event_sink_actor sink) {
  auto& st = self->state;
  if (!sink || st.event_sinks.size() >= max_nats_event_sinks) {
    log::warning(nats_log,
                 "event subscription refused ({} subscribers, max "
                 "{})",
                 st.event_sinks.size(), max_nats_event_sinks);
    return;
  }
  self->monitor(sink);
  st.event_sinks.push_back(sink);
  self->send(sink, nats_connection_event{st.health.state, st.health.last_error,
                                         st.health.reconnects});
}

nats_health health_of(nb_self self) {
  auto& st = self->state;
  auto h = st.health;
  h.url = st.conn ? st.conn->connected_url() : std::string{};
  h.jetstream = st.cfg.jetstream;
  h.dropped = st.shared->dropped.load();
  h.in_flight = st.in_flight.size() + st.buffered;
  h.subscriptions = st.subs.size();
  return h;
}

component_status status_of(nb_self self) {
  auto h = health_of(self);
  return with_mailbox(
    self,
    component_status{
      nats_bridge_state::name, "nats-bridge",
      fmt::format("{} {}{}, {} subscriptions, {} in flight, published {}, "
                  "received {}, delivered {}, rejected {}, dropped {}",
                  nats::to_string(h.state), h.url.empty() ? "-" : h.url,
                  h.jetstream ? " (jetstream)" : "", h.subscriptions,
                  h.in_flight, h.published, h.received, h.delivered, h.rejected,
                  h.dropped)});
}

} // namespace

namespace detail {

std::uint64_t unix_now_ns() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
    duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count());
}

} // namespace detail

nats_bridge_state::~nats_bridge_state() {
  for (auto& [seq, p] : in_flight)
    p.rp.deliver(nats::to_caf_error(
      make_error(errc::io, "nats publish: the bridge stopped before the ack "
                           "of "
                             + p.subject)));
}

result<void> nats_bridge_config::validate() const {
  auto bad = [](std::string what) {
    return make_error(errc::invalid_argument, std::move(what));
  };
  if (auto ok = client.validate(); !ok)
    return ok;
  if (auto ok = stream.validate(); !ok)
    return ok;
  if (auto ok = nats::check_name("nats durable prefix", durable_prefix); !ok)
    return ok;
  if (publish_timeout <= caf::timespan::zero())
    return bad("nats publish timeout must be > 0");
  if (ack_wait.count() <= 0 || max_ack_pending < 1)
    return bad("nats consumer ack wait and max ack pending must be > 0");
  if (max_in_flight == 0 || max_in_flight > max_nats_in_flight)
    return bad(fmt::format("nats max in flight {}: expected 1..{}",
                           max_in_flight, max_nats_in_flight));
  if (max_backlog == 0 || max_backlog > max_nats_backlog)
    return bad(fmt::format("nats max backlog {}: expected 1..{}", max_backlog,
                           max_nats_backlog));
  return gate.validate();
}

nats_bridge_config make_nats_bridge_config(const config::settings& s) {
  nats_bridge_config cfg;
  cfg.client.urls = s.nats_urls;
  cfg.client.retry_on_failed_connect = true;
  // The bus delivers its own envelopes locally when it publishes them.
  cfg.client.no_echo = true;
  // Quicker return after a server restart: the bus publishes on P2P
  // meanwhile and switches back once connected.
  cfg.client.reconnect_wait = std::chrono::milliseconds{500};
  cfg.jetstream = s.nats_jetstream;
  cfg.stream.name = s.nats_stream;
  return cfg;
}

nats_bridge_actor::behavior_type
nats_bridge(nats_bridge_actor::stateful_pointer<nats_bridge_state> self,
            nats_bridge_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.shared = std::make_shared<nats_bridge_shared>();
  st.shared->max_backlog = st.cfg.max_backlog;
  st.gate = std::make_unique<envelope::gate_enforcer>(st.cfg.gate);
  auto conn = nats::connection::connect(st.cfg.client, make_callbacks(self));
  if (!conn) {
    log::error(nats_log, "{}", conn.error().message);
    self->quit(nats::to_caf_error(conn.error()));
    return nats_bridge_actor::behavior_type::make_empty_behavior();
  }
  st.conn = std::move(*conn);
  st.health.state = st.conn->state();
  if (st.health.state == nats::link_state::connected) {
    log::info(nats_log, "connected to {}{}", st.conn->connected_url(),
              st.cfg.jetstream ? " (jetstream)" : "");
    ensure_stream(self);
  } else {
    log::warning(nats_log, "no NATS server answered yet ({}), retrying",
                 fmt::join(st.cfg.client.urls, ","));
  }
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& sinks = self->state.event_sinks;
    sinks.erase(std::remove_if(sinks.begin(), sinks.end(),
                               [&](const nats_event_sink_actor& s) {
                                 return s.address() == msg.source;
                               }),
                sinks.end());
    nb_remove_sink(self, msg.source);
  });
  return {
    [self](status_atom) { return status_of(self); },
    [self](nats_publish_atom, bytes& wire, std::string& subject, bytes& id) {
      return nb_publish(self, wire, subject, id);
    },
    [self](nats_subscribe_atom, std::string& pattern,
           nats_envelope_sink_actor sink) {
      return nb_subscribe(self, pattern, std::move(sink));
    },
    [self](nats_health_atom) { return health_of(self); },
    [self](nats_events_atom, nats_event_sink_actor sink) {
      add_event_sink(self, std::move(sink));
    },
    [self](nats_inbound& x) { nb_on_inbound(self, x); },
    [self](nats_state_change& x) { on_state_change(self, x); },
    [self](nats_ack_result& x) { nb_on_ack(self, x); },
    [self](nats_pub_timeout_atom, std::uint64_t seq) {
      nb_on_publish_timeout(self, seq);
    },
  };
}

result<nats_bridge_actor> spawn_nats_bridge(caf::actor_system& sys,
                                            nats_bridge_config cfg) {
  if (auto ok = cfg.validate(); !ok)
    return ok.error();
  return sys.spawn(nats_bridge, std::move(cfg));
}

spawn_function nats_bridge_spawner(nats_bridge_config cfg) {
  return [cfg](caf::actor_system& sys) -> component_actor {
    auto hdl = spawn_nats_bridge(sys, cfg);
    if (!hdl) {
      log::error(nats_log, "{}", hdl.error().message);
      return {};
    }
    return caf::actor_cast<component_actor>(*hdl);
  };
}

} // namespace canswarm
