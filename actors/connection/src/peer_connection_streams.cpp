// Peer connection broker: core events -> messages to the swarm, requesters
// and stream owners; queued stream writes.

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/io/broker.hpp>
#include <caf/stateful_actor.hpp>
#include <fmt/format.h>

#include "canswarm/log/log.hpp"
#include "peer_connection_impl.hpp"

namespace canswarm::detail {

namespace {

using namespace connection;

identify_update to_update(const peer_id& peer, identified& ev) {
  auto& m = ev.message;
  identify_update u;
  u.peer = peer;
  u.push = ev.push;
  u.agent_version = m.agent_version.value_or("");
  u.protocol_version = m.protocol_version.value_or("");
  u.public_key = m.public_key.value_or(bytes{});
  u.listen_addrs = std::move(m.listen_addrs);
  u.protocols = std::move(m.protocols);
  u.observed_addr = m.observed_addr.value_or(bytes{});
  return u;
}

stream_ref make_ref(pc_self self, stream_id id, std::string protocol) {
  auto& st = self->state;
  return stream_ref{caf::actor_cast<caf::actor>(self),
                    stream_key{st.cfg.conn, id}, st.peer.value_or(peer_id{}),
                    std::move(protocol)};
}

void on_established(pc_self self, established& ev) {
  auto& st = self->state;
  st.peer = ev.peer;
  if (ev.muxer == connection::muxer_kind::mplex) {
    // No flow control in mplex: read with tokens (see mplex_read_tokens).
    st.read_tokens = true;
    self->trigger(st.hdl, mplex_read_tokens);
  }
  log::info(pc_component, "connection {} up ({} + {})", pc_label(self),
            connection::to_string(ev.security),
            connection::to_string(ev.muxer));
  if (auto swarm = caf::actor_cast<swarm_actor>(st.cfg.swarm))
    self->send(swarm, connection_up{st.cfg.conn, ev.peer});
}

void on_accepted(pc_self self, stream_accepted& ev) {
  auto& st = self->state;
  auto i = st.handlers.find(ev.protocol);
  if (i == st.handlers.end() || !i->second
      || st.streams.size() >= max_bridged_streams) {
    log::debug_protocol(pc_component, "{}: no handler for inbound {} stream {}",
                        pc_label(self), ev.protocol, ev.id.value);
    st.core->reset_stream(ev.id);
    return;
  }
  pc_bridge(self, ev.id, i->second, ev.protocol);
  self->send(i->second, stream_opened{make_ref(self, ev.id, ev.protocol)});
}

void on_ready(pc_self self, stream_ready& ev) {
  auto& st = self->state;
  auto i = st.opens.find(ev.request);
  if (i == st.opens.end()) {
    st.core->reset_stream(ev.id);
    return;
  }
  auto req = std::move(i->second);
  st.opens.erase(i);
  pc_bridge(self, ev.id, req.owner, ev.protocol);
  log::debug_protocol(pc_component, "{}: opened {} stream {}", pc_label(self),
                      ev.protocol, ev.id.value);
  req.rp.deliver(make_ref(self, ev.id, ev.protocol));
}

template<class F>
void to_owner(pc_self self, stream_id id, F make_msg) {
  auto& st = self->state;
  auto i = st.streams.find(id);
  if (i != st.streams.end())
    self->send(i->second.owner, make_msg(stream_key{st.cfg.conn, id}));
}

} // namespace

void pc_on_event(pc_self self, core_event& ev) {
  auto& st = self->state;
  if (auto* x = std::get_if<established>(&ev)) {
    on_established(self, *x);
  } else if (auto* x = std::get_if<identified>(&ev)) {
    log::debug(pc_component, "{}: identify{}: agent '{}', {} protocols",
               pc_label(self), x->push ? " push" : "",
               x->message.agent_version.value_or(""),
               x->message.protocols.size());
    if (auto swarm = caf::actor_cast<swarm_actor>(st.cfg.swarm))
      self->send(swarm, to_update(*st.peer, *x));
  } else if (auto* x = std::get_if<identify_failed>(&ev)) {
    log::warning(pc_component, "{}: identify failed: {}", pc_label(self),
                 x->reason.describe());
  } else if (auto* x = std::get_if<ping_done>(&ev)) {
    auto i = st.pings.find(x->request);
    if (i == st.pings.end())
      return;
    if (x->rtt)
      i->second.deliver(std::chrono::duration_cast<caf::timespan>(*x->rtt));
    else
      i->second.deliver(to_caf_error(x->failure));
    st.pings.erase(i);
  } else if (auto* x = std::get_if<stream_accepted>(&ev)) {
    on_accepted(self, *x);
  } else if (auto* x = std::get_if<stream_ready>(&ev)) {
    on_ready(self, *x);
  } else if (auto* x = std::get_if<stream_failed>(&ev)) {
    auto i = st.opens.find(x->request);
    if (i == st.opens.end())
      return;
    i->second.rp.deliver(to_caf_error(x->reason));
    st.opens.erase(i);
  } else if (auto* x = std::get_if<connection::stream_data>(&ev)) {
    auto i = st.streams.find(x->id);
    if (i == st.streams.end()) {
      st.core->consume(x->id, x->data.size(), pc_now());
      return;
    }
    auto& s = i->second;
    s.delivered += x->data.size();
    if (st.cfg.count_bytes)
      st.cfg.count_bytes(s.protocol, true, x->data.size());
    if (s.inbox.empty()) {
      s.inbox = std::move(x->data);
      st.inbox_ids.push_back(x->id);
    } else {
      append(s.inbox, x->data);
    }
    if (s.inbox.size() >= max_coalesced_data)
      pc_flush_inbox(self, x->id);
    pc_credit(self, x->id);
  } else if (auto* x = std::get_if<stream_remote_closed>(&ev)) {
    pc_flush_inbox(self, x->id);
    to_owner(self, x->id, [](stream_key k) { return stream_closed{k}; });
  } else if (auto* x = std::get_if<connection::stream_reset>(&ev)) {
    pc_drop_stream(self, x->id, x->reason, true);
  } else if (auto* x = std::get_if<stream_writable>(&ev)) {
    pc_retry_writes(self, x->id);
  } else if (auto* x = std::get_if<closed>(&ev)) {
    pc_finish(self, std::move(x->reason));
  } else if (auto* x = std::get_if<note>(&ev)) {
    log::debug_protocol(pc_component, "{}: {}", pc_label(self), x->text);
  }
}

void pc_retry_writes(pc_self self, stream_id id) {
  auto& st = self->state;
  auto i = st.streams.find(id);
  if (i == st.streams.end() || !st.core)
    return;
  auto& s = i->second;
  auto now = pc_now();
  while (!s.writes.empty()) {
    auto& w = s.writes.front();
    result<std::size_t> n = std::size_t{0};
    if (w.offset == 0) {
      auto total = w.data.size();
      n = st.core->write(id, std::move(w.data), now);
      if (n && *n > 0 && st.cfg.count_bytes)
        st.cfg.count_bytes(s.protocol, false, *n);
      // A short write leaves `data` intact (see yamux::session::write).
      if (n && *n == total) {
        w.rp.deliver(static_cast<std::uint64_t>(total));
        s.writes.pop_front();
        continue;
      }
    } else {
      auto rest = bytes_view{w.data}.subspan(w.offset);
      auto left = rest.size();
      n = st.core->write(id, rest, now);
      if (n && *n > 0 && st.cfg.count_bytes)
        st.cfg.count_bytes(s.protocol, false, *n);
      if (n && *n == left) {
        w.rp.deliver(static_cast<std::uint64_t>(w.data.size()));
        s.writes.pop_front();
        continue;
      }
    }
    if (!n) {
      auto err = to_caf_error(n.error());
      for (auto& x : s.writes)
        x.rp.deliver(err);
      s.writes.clear();
      return;
    }
    w.offset += *n;
    return; // Wait for stream_writable.
  }
  if (s.close_after_writes) {
    s.close_after_writes = false;
    st.core->close_stream(id);
  }
}

void pc_drop_stream(pc_self self, stream_id id, const std::string& reason,
                    bool notify) {
  auto& st = self->state;
  auto i = st.streams.find(id);
  if (i == st.streams.end())
    return;
  pc_flush_inbox(self, id);
  auto s = std::move(i->second);
  st.streams.erase(i);
  auto err = to_caf_error(make_error(errc::io, "stream reset: " + reason));
  for (auto& w : s.writes)
    w.rp.deliver(err);
  auto addr = caf::actor_cast<caf::actor_addr>(s.owner);
  if (auto o = st.owners.find(addr); o != st.owners.end() && --o->second == 0) {
    self->demonitor(addr);
    st.owners.erase(o);
  }
  if (notify && s.owner)
    self->send(s.owner,
               canswarm::stream_reset{stream_key{st.cfg.conn, id}, reason});
}

void pc_flush_inbox(pc_self self, stream_id id) {
  auto& st = self->state;
  auto i = st.streams.find(id);
  if (i == st.streams.end() || i->second.inbox.empty())
    return;
  auto& s = i->second;
  self->send(s.owner, canswarm::stream_data{stream_key{st.cfg.conn, id},
                                            std::move(s.inbox)});
  s.inbox = bytes{};
}

void pc_credit(pc_self self, stream_id id) {
  auto& st = self->state;
  auto i = st.streams.find(id);
  if (i == st.streams.end() || !st.core) {
    pc_read_backpressure(self);
    return;
  }
  auto& s = i->second;
  auto target = std::min(s.delivered, s.acked + max_credit_ahead);
  if (target > s.credited) {
    st.core->consume(id, target - s.credited, pc_now());
    s.credited = target;
  }
  pc_read_backpressure(self);
}

void pc_bridge(pc_self self, stream_id id, stream_handler_actor owner,
               std::string protocol) {
  auto& st = self->state;
  auto addr = caf::actor_cast<caf::actor_addr>(owner);
  if (st.owners[addr]++ == 0)
    self->monitor(owner);
  bridged_stream s;
  s.owner = std::move(owner);
  s.protocol = std::move(protocol);
  st.streams[id] = std::move(s);
}

} // namespace canswarm::detail
