// Swarm: behaviour, registry requests (peers, identify records, handlers,
// subscribers), delegation of ping / open_stream, spawn functions and the
// listener's connection factory. Dials and the connection life cycle are in
// swarm_dial.cpp, connection deaths and redials in swarm_supervise.cpp.

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/io/broker.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>
#include <fmt/format.h>

#include "canswarm/connection/peer_connection.hpp"
#include "canswarm/log/log.hpp"
#include "canswarm/multistream/codec.hpp"
#include "swarm_impl.hpp"

namespace canswarm {

using namespace detail;

namespace {

/// Converts an update back to an Identify message (empty = not sent).
identify::message to_message(identify_update& u) {
  identify::message m;
  if (!u.agent_version.empty())
    m.agent_version = std::move(u.agent_version);
  if (!u.protocol_version.empty())
    m.protocol_version = std::move(u.protocol_version);
  if (!u.public_key.empty())
    m.public_key = std::move(u.public_key);
  m.listen_addrs = std::move(u.listen_addrs);
  m.protocols = std::move(u.protocols);
  return m;
}

void on_identify(sw_self self, identify_update& u) {
  auto& st = self->state;
  auto [it, inserted] = st.records.try_emplace(u.peer);
  it->second.apply(to_message(u));
  if (!inserted)
    return;
  st.record_order.push_back(u.peer);
  // Evict the oldest records of peers we are no longer connected to.
  for (std::size_t i = 0;
       st.records.size() > max_peer_records && i < st.record_order.size();) {
    auto& p = st.record_order[i];
    if (sw_connection_to(self, p) != nullptr) {
      ++i;
      continue;
    }
    st.records.erase(p);
    st.record_order.erase(st.record_order.begin()
                          + static_cast<std::ptrdiff_t>(i));
  }
}

caf::result<peer_info> info_of(sw_self self, const peer_id& peer) {
  auto& st = self->state;
  auto i = st.records.find(peer);
  if (i == st.records.end())
    return to_caf_error(
      make_error(errc::not_found,
                 fmt::format("no identify record for {}", peer.to_string())));
  auto& r = i->second;
  peer_info info{peer,
                 r.agent_version.value_or(""),
                 r.protocol_version.value_or(""),
                 r.protocols,
                 {}};
  for (const auto& a : r.listen_addrs)
    if (auto addr = multiaddr::from_bytes(a))
      info.listen_addrs.push_back(std::move(*addr));
  return info;
}

caf::result<std::uint64_t> set_handler(sw_self self,
                                       std::vector<std::string>& protocols,
                                       stream_handler_actor& handler) {
  auto& st = self->state;
  for (const auto& p : protocols) {
    if (auto ok = multistream::check_protocol(p); !ok)
      return to_caf_error(ok.error());
    if (p == identify::protocol_id || p == identify::push_protocol_id
        || p == ping::protocol_id)
      return to_caf_error(
        make_error(errc::invalid_argument,
                   fmt::format("{} is served by the connection itself", p)));
  }
  for (const auto& p : protocols) {
    if (!handler) {
      st.handlers.erase(p);
      continue;
    }
    if (st.handlers.count(p) == 0 && st.handlers.size() >= max_handlers)
      return to_caf_error(
        make_error(errc::too_large,
                   fmt::format("{} protocols handled (max_handlers)",
                               max_handlers)));
    st.handlers[p] = handler;
  }
  if (handler)
    self->monitor(handler);
  auto entries = sw_handler_entries(self);
  for (auto& [id, c] : st.conns)
    self->send(c.actor, handlers_atom::value, entries);
  log::debug(sw_component, "{} application protocols handled",
             st.handlers.size());
  return static_cast<std::uint64_t>(st.handlers.size());
}

caf::result<std::uint64_t> disconnect(sw_self self, const peer_id& peer) {
  auto& st = self->state;
  std::uint64_t n = 0;
  for (auto& [id, c] : st.conns)
    if (c.peer == peer) {
      self->send(c.actor, close_atom::value,
                 std::string{"disconnect requested"});
      ++n;
    }
  if (n == 0)
    return to_caf_error(
      make_error(errc::not_found,
                 fmt::format("not connected to {}", peer.to_string())));
  if (st.disconnects.count(peer) == 0
      && st.disconnects.size() >= max_pending_disconnects)
    return n; // Answer at once rather than queue without bound.
  auto rp = self->make_response_promise<std::uint64_t>();
  st.disconnects[peer].push_back(rp);
  return rp;
}

void on_down(sw_self self, const caf::down_msg& msg) {
  auto& st = self->state;
  for (auto& [id, c] : st.conns)
    if (caf::actor_cast<caf::actor_addr>(c.actor) == msg.source) {
      // A connection reports its close before it quits (and is forgotten
      // then), so one still here terminated without closing: killed or
      // crashed (or quit before its admission arrived: a normal exit).
      auto conn = id;
      auto dead = c;
      sw_connection_down(self, conn,
                         make_error(errc::io,
                                    "connection actor terminated: "
                                      + self->system().render(msg.reason)));
      if (msg.reason && msg.reason != caf::exit_reason::normal)
        sw_on_death(self, conn, dead, msg.reason);
      return;
    }
  bool changed = false;
  for (auto i = st.handlers.begin(); i != st.handlers.end();) {
    if (caf::actor_cast<caf::actor_addr>(i->second) == msg.source) {
      i = st.handlers.erase(i);
      changed = true;
    } else {
      ++i;
    }
  }
  if (changed) {
    auto entries = sw_handler_entries(self);
    for (auto& [id, c] : st.conns)
      self->send(c.actor, handlers_atom::value, entries);
  }
  std::erase_if(st.subscribers, [&](const connection_event_actor& s) {
    return caf::actor_cast<caf::actor_addr>(s) == msg.source;
  });
}

void on_exit(sw_self self, caf::exit_msg& msg) {
  auto& st = self->state;
  log::info(sw_component, "closing {} connections", st.conns.size());
  for (auto& [id, c] : st.conns)
    self->send(c.actor, close_atom::value, std::string{"node shutting down"});
  for (auto& [id, d] : st.dials)
    d.rp.deliver(to_caf_error(make_error(errc::refused, "swarm stopped")));
  st.dials.clear();
  self->quit(std::move(msg.reason));
}

std::vector<bytes> binary_listen_addrs(const std::vector<multiaddr>& addrs) {
  std::vector<bytes> result;
  for (const auto& a : addrs)
    result.push_back(a.decapsulate_p2p().to_bytes());
  return result;
}

} // namespace

result<void> swarm_config::validate() const {
  if (!key)
    return make_error(errc::invalid_argument, "swarm without a key");
  if (max_connections < 1 || max_connections > 100000)
    return make_error(errc::invalid_argument,
                      fmt::format("max_connections {} outside 1..100000",
                                  max_connections));
  if (connection_timeout <= caf::timespan::zero())
    return make_error(errc::invalid_argument,
                      "connection_timeout must be positive");
  // The connection core checks the lists the same way; failing here names
  // the problem at start-up instead of on every connection.
  connection::core_config probe;
  probe.key = key;
  probe.security = security;
  probe.muxers = muxers;
  return probe.validate();
}

swarm_actor::behavior_type
swarm(swarm_actor::stateful_pointer<swarm_state> self, swarm_config cfg) {
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium failed to initialise");
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.self_id = peer_id::from_public_key(st.cfg.key->public_key());
  st.listen_addrs = binary_listen_addrs(st.cfg.listen_addrs);
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  self->set_exit_handler([self](caf::exit_msg& msg) { on_exit(self, msg); });
  log::debug(sw_component, "local peer {}, at most {} connections",
             st.self_id.to_string(), st.cfg.max_connections);
  return {
    [self](status_atom) {
      auto& st = self->state;
      auto up = std::count_if(st.conns.begin(), st.conns.end(),
                              [](auto& kv) { return kv.second.up; });
      return with_mailbox(
        self,
        component_status{
          "swarm", "swarm",
          fmt::format("{} connections ({} up), {} dials pending, {} inbound "
                      "refused, {} connection deaths, {} peer restarts",
                      st.conns.size(), up, st.dials.size(), st.refused_inbound,
                      st.deaths, st.restarts)});
    },
    [self](dial_atom, dial_request& req) { return sw_dial(self, req); },
    [self](disconnect_atom, const peer_id& peer) {
      return disconnect(self, peer);
    },
    [self](peers_atom) {
      std::vector<peer_entry> result;
      for (auto& [id, c] : self->state.conns)
        if (c.up)
          result.push_back(peer_entry{c.peer, id, c.remote_addr, c.dir});
      return result;
    },
    [self](peer_info_atom, const peer_id& peer) { return info_of(self, peer); },
    [self](kill_peer_atom, const peer_id& peer) {
      return sw_kill_peer(self, peer);
    },
    [self](peer_conns_atom) { return sw_peer_conns(self); },
    [self](ping_atom, const peer_id& peer) -> caf::result<caf::timespan> {
      auto* c = sw_connection_to(self, peer);
      if (c == nullptr)
        return to_caf_error(
          make_error(errc::not_found,
                     fmt::format("not connected to {}", peer.to_string())));
      return self->delegate(c->actor, ping_atom::value);
    },
    [self](open_stream_atom, const peer_id& peer,
           std::vector<std::string>& protocols, caf::timespan timeout,
           stream_handler_actor owner) -> caf::result<stream_ref> {
      auto* c = sw_connection_to(self, peer);
      if (c == nullptr)
        return to_caf_error(
          make_error(errc::not_found,
                     fmt::format("not connected to {}", peer.to_string())));
      if (!owner)
        owner = caf::actor_cast<stream_handler_actor>(self->current_sender());
      if (timeout <= caf::timespan::zero())
        timeout = self->state.cfg.connection_timeout;
      return self->delegate(c->actor, open_stream_atom::value,
                            std::move(protocols), timeout, owner);
    },
    [self](set_handler_atom, std::vector<std::string>& protocols,
           stream_handler_actor& handler) {
      return set_handler(self, protocols, handler);
    },
    [self](subscribe_atom, connection_event_actor& sub) {
      auto& st = self->state;
      if (!sub || st.subscribers.size() >= max_subscribers)
        return;
      self->monitor(sub);
      st.subscribers.push_back(std::move(sub));
    },
    [self](listen_addrs_atom, std::vector<multiaddr>& addrs) {
      auto& st = self->state;
      st.cfg.listen_addrs = std::move(addrs);
      st.listen_addrs = binary_listen_addrs(st.cfg.listen_addrs);
      for (auto& [id, c] : st.conns)
        self->send(c.actor, listen_addrs_atom::value, st.listen_addrs);
    },
    [self](admit_atom, admission_request& req) { return sw_admit(self, req); },
    [self](connection_up& up) { sw_on_up(self, up); },
    [self](connection_down& down) {
      sw_connection_down(self, down.conn, down.reason);
    },
    [self](identify_update& u) { on_identify(self, u); },
    [self](dial_outcome& out) { sw_on_dial_outcome(self, out); },
    [self](dial_timeout_atom, request_id req) {
      sw_on_dial_timeout(self, req);
    },
    [self](redial_atom, const peer_id& peer) { sw_on_redial(self, peer); },
  };
}

result<swarm_actor> spawn_swarm(caf::actor_system& sys, swarm_config cfg) {
  if (auto ok = cfg.validate(); !ok)
    return ok.error();
  auto locator = cfg.locator;
  auto handle = sys.spawn(swarm, std::move(cfg));
  if (locator)
    locator->set(handle);
  return handle;
}

spawn_function swarm_spawner(swarm_config cfg) {
  return [cfg](caf::actor_system& sys) -> component_actor {
    auto handle = spawn_swarm(sys, cfg);
    if (!handle) {
      log::error(sw_component, "cannot start: {}", handle.error().describe());
      return {};
    }
    return caf::actor_cast<component_actor>(*handle);
  };
}

connection_factory
inbound_connection_factory(std::shared_ptr<swarm_locator> locator,
                           std::shared_ptr<const identity::private_key> key,
                           caf::timespan connection_timeout,
                           duration write_stall,
                           stream_byte_counter count_bytes) {
  return [locator, key, connection_timeout, write_stall,
          count_bytes](caf::io::broker* self, caf::io::connection_handle hdl,
                       const accepted_connection& info) {
    auto swarm = locator ? locator->get() : swarm_actor{};
    if (!swarm) {
      log::warning(sw_component,
                   "no swarm running: closing connection from "
                   "{}:{}",
                   info.remote_host, info.remote_port);
      self->close(hdl);
      return;
    }
    peer_connection_config cfg;
    cfg.dir = connection::direction::inbound;
    cfg.swarm = caf::actor_cast<caf::actor>(swarm);
    cfg.key = key;
    auto proto = info.remote_host.find(':') == std::string::npos ? "ip4"
                                                                 : "ip6";
    if (auto addr = multiaddr::parse(fmt::format("/{}/{}/tcp/{}", proto,
                                                 info.remote_host,
                                                 info.remote_port)))
      cfg.remote_addr = std::move(*addr);
    cfg.deadline = std::chrono::steady_clock::now() + connection_timeout;
    cfg.write_stall_limit = write_stall;
    cfg.count_bytes = count_bytes;
    self->fork(peer_connection, hdl, std::move(cfg));
  };
}

} // namespace canswarm
