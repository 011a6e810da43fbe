// Swarm: dials (queue, workers, deadlines) and the connection life cycle
// (admission, up, down, events).

#include <unistd.h>

#include <chrono>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <fmt/format.h>

#include "canswarm/connection/dialer.hpp"
#include "canswarm/connection/peer_connection.hpp"
#include "canswarm/log/log.hpp"
#include "swarm_impl.hpp"

namespace canswarm::detail {

namespace {

std::string join(const std::vector<multiaddr>& addrs) {
  std::string text;
  for (const auto& a : addrs) {
    if (!text.empty())
      text += ", ";
    text += a.to_string();
  }
  return text;
}

void start_dial(sw_self self, request_id req) {
  auto& st = self->state;
  auto& d = st.dials.at(req);
  d.started = true;
  ++st.active_dials;
  log::debug(sw_component, "dial {}: connecting to {}", req.value,
             join(d.req.addrs));
  self->system().spawn(dial_worker, caf::actor_cast<caf::actor>(self), req,
                       d.req.addrs, d.deadline);
}

} // namespace

std::vector<handler_entry> sw_handler_entries(sw_self self) {
  std::vector<handler_entry> result;
  for (const auto& [protocol, handler] : self->state.handlers)
    result.push_back({protocol, caf::actor_cast<caf::actor>(handler)});
  return result;
}

void sw_emit(sw_self self, conn_id id, const swarm_connection& c, bool up,
             std::string reason) {
  connection_event ev{id, c.peer, c.remote_addr, c.dir, up, std::move(reason)};
  for (const auto& s : self->state.subscribers)
    self->send(s, ev);
}

swarm_connection* sw_connection_to(sw_self self, const peer_id& peer) {
  for (auto& [id, c] : self->state.conns)
    if (c.up && c.peer == peer)
      return &c;
  return nullptr;
}

void sw_fail_dial(sw_self self, request_id req, const error& reason) {
  auto& st = self->state;
  auto i = st.dials.find(req);
  if (i == st.dials.end())
    return;
  ++st.dials_failed;
  log::info(sw_component, "dial {} to {} failed: {}", req.value,
            join(i->second.req.addrs), reason.describe());
  i->second.rp.deliver(to_caf_error(reason));
  st.dials.erase(i);
}

void sw_start_dials(sw_self self) {
  auto& st = self->state;
  while (st.active_dials < max_concurrent_dials && !st.dial_queue.empty()) {
    auto req = st.dial_queue.front();
    st.dial_queue.pop_front();
    if (st.dials.count(req) > 0)
      start_dial(self, req);
  }
}

void sw_connection_down(sw_self self, conn_id id, const error& reason) {
  auto& st = self->state;
  auto i = st.conns.find(id);
  if (i == st.conns.end())
    return;
  auto c = std::move(i->second);
  st.conns.erase(i);
  self->demonitor(c.actor.address());
  if (c.dial.value != 0)
    sw_fail_dial(self, c.dial, reason);
  // A connection that failed before its upgrade finished is reported with
  // an empty peer id (handshake failures, refusals).
  sw_emit(self, id, c, false, reason.describe());
  if (!c.up)
    return;
  auto w = st.disconnects.find(c.peer);
  if (w != st.disconnects.end() && sw_connection_to(self, c.peer) == nullptr) {
    for (auto& rp : w->second)
      rp.deliver(std::uint64_t{1});
    st.disconnects.erase(w);
  }
}

caf::result<peer_id> sw_dial(sw_self self, dial_request& req) {
  auto& st = self->state;
  if (req.addrs.empty() || req.addrs.size() > max_dial_addrs)
    return to_caf_error(
      make_error(errc::invalid_argument,
                 fmt::format("a dial needs 1 to {} addresses, got {}",
                             max_dial_addrs, req.addrs.size())));
  for (const auto& addr : req.addrs) {
    if (auto t = tcp_target_of(addr); !t)
      return to_caf_error(t.error());
    auto named = addr.peer_id_bytes();
    if (!named)
      continue;
    auto p = peer_id::from_bytes(*named);
    if (!p)
      return to_caf_error(p.error());
    if (req.expected.to_bytes().empty())
      req.expected = *p;
    else if (req.expected != *p)
      return to_caf_error(
        make_error(errc::invalid_argument,
                   fmt::format("address {} names peer {}, the dial expects {}",
                               addr.to_string(), p->to_string(),
                               req.expected.to_string())));
  }
  if (req.expected == st.self_id)
    return to_caf_error(
      make_error(errc::invalid_argument, "cannot dial ourselves"));
  if (!req.expected.to_bytes().empty())
    if (sw_connection_to(self, req.expected) != nullptr)
      return req.expected;
  if (st.conns.size() >= st.cfg.max_connections)
    return to_caf_error(
      make_error(errc::refused, fmt::format("connection limit {} reached",
                                            st.cfg.max_connections)));
  if (st.active_dials >= max_concurrent_dials
      && st.dial_queue.size() >= max_queued_dials)
    return to_caf_error(
      make_error(errc::refused,
                 fmt::
                   format("{} dials running and {} queued (max_queued_dials)",
                          st.active_dials, st.dial_queue.size())));
  auto timeout = req.timeout > caf::timespan::zero()
                   ? req.timeout
                   : st.cfg.connection_timeout;
  request_id id{++st.next_request};
  auto rp = self->make_response_promise<peer_id>();
  st.dials.emplace(id, pending_dial{rp, std::move(req),
                                    std::chrono::steady_clock::now() + timeout,
                                    false, conn_id{}});
  self->delayed_send(self, timeout, dial_timeout_atom::value, id);
  st.dial_queue.push_back(id);
  sw_start_dials(self);
  return rp;
}

void sw_on_dial_outcome(sw_self self, dial_outcome& out) {
  auto& st = self->state;
  --st.active_dials;
  auto i = st.dials.find(out.req);
  if (i == st.dials.end()) {
    // The dial timed out meanwhile.
    if (out.fd >= 0)
      ::close(out.fd);
  } else if (out.fd < 0) {
    sw_fail_dial(self, out.req, out.failure);
  } else if (st.conns.size() >= st.cfg.max_connections) {
    ::close(out.fd);
    sw_fail_dial(self, out.req,
                 make_error(errc::refused,
                            fmt::format("connection limit {} reached",
                                        st.cfg.max_connections)));
  } else {
    conn_id id{++st.next_conn};
    peer_connection_config pc;
    pc.dir = connection::direction::outbound;
    pc.conn = id;
    pc.swarm = caf::actor_cast<caf::actor>(self);
    pc.key = st.cfg.key;
    pc.expected = i->second.req.expected;
    pc.remote_addr = out.remote_addr;
    pc.deadline = i->second.deadline;
    pc.handlers = sw_handler_entries(self);
    pc.listen_addrs = st.listen_addrs;
    pc.security = st.cfg.security;
    pc.muxers = st.cfg.muxers;
    pc.count_bytes = st.cfg.count_bytes;
    auto actor = spawn_outbound_connection(self->system(), out.fd, pc);
    self->monitor(actor);
    st.conns[id] = swarm_connection{actor,
                                    peer_id{},
                                    out.remote_addr,
                                    connection::direction::outbound,
                                    out.req,
                                    false};
    i->second.conn = id;
  }
  sw_start_dials(self);
}

void sw_on_dial_timeout(sw_self self, request_id req) {
  auto& st = self->state;
  auto i = st.dials.find(req);
  if (i == st.dials.end())
    return;
  auto& d = i->second;
  if (!d.started)
    std::erase(st.dial_queue, req);
  if (d.conn.value != 0) {
    if (auto c = st.conns.find(d.conn); c != st.conns.end()) {
      c->second.dial = request_id{};
      self->send(c->second.actor, close_atom::value,
                 std::string{"dial timed out"});
    }
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
    d.req.timeout > caf::timespan::zero() ? d.req.timeout
                                          : st.cfg.connection_timeout);
  sw_fail_dial(self, req,
               make_error(errc::timeout,
                          fmt::format("timed out after {} ms ({})", ms.count(),
                                      d.conn.value != 0
                                        ? "connected, upgrade unfinished"
                                        : "not connected")));
}

admission sw_admit(sw_self self, admission_request& req) {
  auto& st = self->state;
  if (st.conns.size() >= st.cfg.max_connections) {
    ++st.refused_inbound;
    auto reason = fmt::format("connection limit {} reached "
                              "(P2P_MAX_CONNECTIONS; {} inbound refused "
                              "so far)",
                              st.cfg.max_connections, st.refused_inbound);
    log::info(sw_component, "refusing inbound connection from {}: {}",
              req.remote_addr.to_string(), reason);
    return admission{false, conn_id{}, reason, {}, {}, {}, {}};
  }
  conn_id id{++st.next_conn};
  auto actor = caf::actor_cast<peer_connection_actor>(self->current_sender());
  self->monitor(actor);
  st.conns[id] = swarm_connection{actor,   peer_id{},    req.remote_addr,
                                  req.dir, request_id{}, false};
  return admission{true,
                   id,
                   "",
                   sw_handler_entries(self),
                   st.listen_addrs,
                   st.cfg.security,
                   st.cfg.muxers};
}

void sw_on_up(sw_self self, connection_up& up) {
  auto& st = self->state;
  auto i = st.conns.find(up.conn);
  if (i == st.conns.end())
    return;
  auto& c = i->second;
  c.up = true;
  c.peer = up.peer;
  // Connected again, however: a peer given up is no longer "failed".
  if (auto s = st.supervised.find(up.peer); s != st.supervised.end())
    s->second.gave_up = false;
  sw_emit(self, up.conn, c, true, "");
  if (c.dial.value == 0)
    return;
  if (auto d = st.dials.find(c.dial); d != st.dials.end()) {
    ++st.dials_ok;
    d->second.rp.deliver(up.peer);
    st.dials.erase(d);
  }
  c.dial = request_id{};
}

} // namespace canswarm::detail
