// The pub/sub actor (pubsub.hpp): the gossipsub router driven over the
// swarm's streams.

#include "canswarm/pubsub/pubsub.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <fmt/format.h>

#include "canswarm/actors/errors.hpp"
#include "canswarm/actors/message_types.hpp"
#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/gossipsub/router.hpp"
#include "canswarm/log/log.hpp"
#include "topic_actor.hpp"

namespace canswarm {

namespace {

constexpr std::string_view ps_component = "pubsub";

/// Time to negotiate our outbound pub/sub stream on a new connection.
constexpr auto open_timeout = std::chrono::seconds{10};

/// Outbound streams re-opened for one peer before it is dropped instead (a
/// peer that keeps resetting our stream).
constexpr std::uint64_t max_reopens_per_peer = 16;

time_point ps_now() {
  return std::chrono::steady_clock::now();
}

/// Our side of one pub/sub peer.
struct ps_peer {
  /// Outbound stream (we write RPCs here), once negotiated.
  caf::actor out_conn;
  std::optional<stream_key> out;
  bool opening = false;
  /// Inbound stream (the peer writes RPCs here) and its frame reader.
  caf::actor in_conn;
  std::optional<stream_key> in;
  std::optional<gossipsub::frame_reader> reader;
  /// From the connection event (P6 and D_out).
  bool outbound = false;
  std::string ip;
  bool in_router = false;
  std::size_t in_flight = 0;
  /// Live connections to the peer (from connection events).
  std::set<conn_id> conns;
  /// Outbound streams re-opened after their connection closed.
  std::uint64_t reopens = 0;
};

/// A local topic: its actor (see pubsub.hpp), subscribers and the
/// validations its actor has not answered yet.
struct ps_topic {
  detail::topic_actor_handle actor;
  gossipsub::validator hook; ///< Empty: none (the router accepts at once).
  std::vector<pubsub_subscriber_actor> subscribers;
  std::unordered_set<gossipsub::message_id> pending;
  std::uint64_t restarts = 0;
  std::uint64_t overflow = 0;
  std::uint64_t dropped_at_failure = 0;
};

struct pubsub_state {
  static inline const char* name = "pubsub";
  pubsub_config cfg;
  swarm_actor swarm;
  std::optional<gossipsub::router> router;
  std::unordered_map<peer_id, ps_peer> peers;
  std::map<stream_key, peer_id> inbound;
  std::map<std::string, ps_topic> topics;
  std::map<caf::actor_addr, std::string> topic_actors; ///< Actor -> topic.
  std::size_t subscriptions = 0;
  time_point scheduled = no_deadline;
  std::uint64_t frames_dropped = 0; ///< Output for peers without a stream.
  std::uint64_t delivered = 0;
  /// Own publishes per topic: expected and reached peers, summed (at most
  /// max_pubsub_propagation_topics topics).
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> propagation;
};

using ps_self = pubsub_actor::stateful_pointer<pubsub_state>;

std::string ip_of(const multiaddr& addr) {
  // "/ip4/1.2.3.4/tcp/1" -> "1.2.3.4".
  auto text = addr.to_string();
  if (text.rfind("/ip4/", 0) != 0 && text.rfind("/ip6/", 0) != 0)
    return {};
  auto end = text.find('/', 5);
  return text.substr(5, end == std::string::npos ? end : end - 5);
}

void flush(ps_self self);
void schedule(ps_self self);
void lose_outbound(ps_self self, const peer_id& peer, const std::string& why);

void add_to_router(ps_self self, const peer_id& peer, ps_peer& p,
                   std::string_view protocol_id) {
  auto& st = self->state;
  if (p.in_router)
    return;
  auto proto = gossipsub::parse_protocol(protocol_id);
  if (!proto)
    return;
  if (auto ok = st.router->add_peer(peer, *proto, p.outbound, p.ip, ps_now());
      !ok) {
    log::warning(ps_component, "cannot add peer {}: {}", peer.to_string(),
                 ok.error().describe());
    return;
  }
  p.in_router = true;
  // Until our outbound stream is open the router queues (bounded) what it
  // has for the peer, e.g. our subscriptions.
  if (!p.out)
    st.router->set_writable(peer, false);
  log::debug(ps_component, "peer {} speaks {}", peer.to_string(), protocol_id);
}

void drop_peer(ps_self self, const peer_id& peer, std::string_view why) {
  auto& st = self->state;
  auto i = st.peers.find(peer);
  if (i == st.peers.end())
    return;
  auto& p = i->second;
  if (p.in)
    st.inbound.erase(*p.in);
  if (p.in_router)
    st.router->remove_peer(peer, ps_now());
  log::debug(ps_component, "peer {} left pub/sub: {}", peer.to_string(), why);
  st.peers.erase(i);
}

void open_outbound(ps_self self, const peer_id& peer) {
  auto& st = self->state;
  auto& p = st.peers[peer];
  if (p.out || p.opening || !st.swarm)
    return;
  p.opening = true;
  self
    ->request(st.swarm, std::chrono::seconds{15}, open_stream_atom::value, peer,
              st.cfg.protocols, caf::timespan{open_timeout},
              caf::actor_cast<stream_handler_actor>(self))
    .then(
      [self, peer](stream_ref& ref) {
        auto& st = self->state;
        auto i = st.peers.find(peer);
        if (i == st.peers.end()) {
          // The peer went away meanwhile.
          self->send(caf::actor_cast<peer_connection_actor>(ref.connection),
                     stream_reset_atom::value, ref.key.id);
          return;
        }
        auto& p = i->second;
        p.opening = false;
        p.out = ref.key;
        p.out_conn = ref.connection;
        p.conns.insert(ref.key.conn);
        if (p.in_router)
          st.router->set_writable(peer, true);
        else
          add_to_router(self, peer, p, ref.protocol);
        flush(self);
        schedule(self);
      },
      [self, peer](caf::error& err) {
        auto& st = self->state;
        if (auto i = st.peers.find(peer); i != st.peers.end())
          i->second.opening = false;
        log::debug(ps_component, "no pub/sub stream to {}: {}",
                   peer.to_string(), self->system().render(err));
      });
}

/// Our outbound stream to `peer` is gone but other connections to it live:
/// open a new one on one of them. The peer stays in the router (mesh,
/// score); its output queues (bounded) until the new stream is open.
void reopen_outbound(ps_self self, const peer_id& peer, std::string_view why) {
  auto& st = self->state;
  auto& p = st.peers[peer];
  p.out.reset();
  p.out_conn = nullptr;
  p.in_flight = 0;
  if (p.in_router)
    st.router->set_writable(peer, false);
  ++p.reopens;
  log::debug(ps_component, "re-opening the pub/sub stream to {} ({})",
             peer.to_string(), why);
  open_outbound(self, peer);
}

/// Our outbound stream to `peer` failed: re-open it on another live
/// connection, or drop the peer when there is none.
void lose_outbound(ps_self self, const peer_id& peer, const std::string& why) {
  auto& st = self->state;
  auto i = st.peers.find(peer);
  if (i == st.peers.end())
    return;
  auto& p = i->second;
  auto dead = p.out ? std::optional<conn_id>{p.out->conn} : std::nullopt;
  bool other = std::any_of(p.conns.begin(), p.conns.end(),
                           [&](const conn_id& c) { return c != dead; });
  if (other && p.reopens < max_reopens_per_peer)
    reopen_outbound(self, peer, why);
  else
    drop_peer(self, peer, why);
}

void deliver(ps_self self, const gossipsub::message_event& ev) {
  auto& st = self->state;
  ++st.delivered;
  auto i = st.topics.find(ev.topic);
  // A validated topic's actor delivered it when it accepted it.
  if (i == st.topics.end() || i->second.hook || !i->second.actor)
    return;
  self->send(i->second.actor,
             detail::to_pubsub_message(ev.topic, *ev.msg, ev.source));
}

/// The topic actor answered (or failed to answer) a validation.
void finish_validation(ps_self self, const std::string& topic,
                       const gossipsub::message_id& id,
                       gossipsub::validation_result r, bool failed) {
  auto& st = self->state;
  auto i = st.topics.find(topic);
  if (i == st.topics.end() || i->second.pending.erase(id) == 0)
    return; // Already reported (restart or leave).
  if (failed)
    ++i->second.dropped_at_failure;
  if (auto ok = st.router->report_validation(id, r, ps_now()); !ok)
    log::debug(ps_component, "validation on {}: {}", topic,
               ok.error().describe());
  flush(self);
  schedule(self);
}

void validate(ps_self self, gossipsub::validation_request& req) {
  auto& st = self->state;
  auto ignore = [&] {
    if (auto ok = st.router
                    ->report_validation(req.id,
                                        gossipsub::validation_result::ignore,
                                        ps_now());
        !ok)
      log::debug(ps_component, "validation on {}: {}", req.topic,
                 ok.error().describe());
  };
  auto i = st.topics.find(req.topic);
  if (i == st.topics.end() || !i->second.actor) {
    ignore();
    return;
  }
  auto& t = i->second;
  if (t.pending.size() >= max_pubsub_pending_validations) {
    ++t.overflow;
    log::debug(ps_component,
               "{} validations pending on {} "
               "(max_pubsub_pending_validations): message ignored",
               t.pending.size(), req.topic);
    ignore();
    return;
  }
  t.pending.insert(req.id);
  self
    ->request(t.actor, caf::infinite,
              detail::topic_validate{req.id, req.source, req.msg})
    .then(
      [self, topic = req.topic, id = req.id](std::int32_t verdict) {
        auto r = verdict >= 0 && verdict <= 2
                   ? static_cast<gossipsub::validation_result>(verdict)
                   : gossipsub::validation_result::ignore;
        finish_validation(self, topic, id, r, false);
      },
      [self, topic = req.topic, id = req.id](caf::error&) {
        // The topic actor failed before answering.
        finish_validation(self, topic, id, gossipsub::validation_result::ignore,
                          true);
      });
}

void drain_events(ps_self self) {
  auto& st = self->state;
  while (auto ev = st.router->poll_event()) {
    if (auto* m = std::get_if<gossipsub::message_event>(&*ev)) {
      deliver(self, *m);
    } else if (auto* v = std::get_if<gossipsub::validation_request>(&*ev)) {
      validate(self, *v);
    } else if (auto* r = std::get_if<gossipsub::input_rejected>(&*ev)) {
      log::warning(ps_component, "refused input from {}: {}: {}",
                   r->peer.to_string(), gossipsub::to_string(r->reason),
                   r->detail);
    } else if (auto* g = std::get_if<gossipsub::peer_graylisted>(&*ev)) {
      log::warning(ps_component, "peer {} graylisted (score {:.1f})",
                   g->peer.to_string(), g->score);
    } else if (auto* c = std::get_if<gossipsub::mesh_changed>(&*ev)) {
      log::debug(ps_component, "mesh {}: {} {}", c->topic,
                 c->joined ? "+" : "-", c->peer.to_string());
    }
  }
}

void flush(ps_self self) {
  auto& st = self->state;
  drain_events(self);
  while (auto t = st.router->poll_transmit()) {
    auto i = st.peers.find(t->peer);
    if (i == st.peers.end() || !i->second.out) {
      ++st.frames_dropped;
      continue;
    }
    auto& p = i->second;
    auto peer = t->peer;
    auto key = *p.out;
    ++p.in_flight;
    if (p.in_flight >= max_pubsub_writes_in_flight)
      st.router->set_writable(peer, false);
    self
      ->request(caf::actor_cast<peer_connection_actor>(p.out_conn),
                caf::infinite, stream_write_atom::value, key.id,
                std::move(t->frame))
      .then(
        [self, peer, key](std::uint64_t) {
          auto& st = self->state;
          auto i = st.peers.find(peer);
          if (i == st.peers.end() || i->second.out != key)
            return; // A stream replaced since.
          auto& p = i->second;
          if (p.in_flight-- == max_pubsub_writes_in_flight)
            st.router->set_writable(peer, true);
          flush(self);
        },
        [self, peer, key](caf::error& err) {
          auto& st = self->state;
          auto i = st.peers.find(peer);
          if (i == st.peers.end() || i->second.out != key)
            return;
          lose_outbound(self, peer,
                        "write failed: " + self->system().render(err));
        });
  }
}

void schedule(ps_self self) {
  auto& st = self->state;
  auto t = st.router->poll_timeout();
  if (t >= st.scheduled)
    return;
  st.scheduled = t;
  auto delay = std::max(t - ps_now(), duration::zero());
  self->delayed_send(self, std::chrono::ceil<std::chrono::microseconds>(delay),
                     pubsub_tick_atom::value);
}

void on_tick(ps_self self) {
  auto& st = self->state;
  auto now = ps_now();
  if (now < st.scheduled)
    return; // A stale tick: a later one is pending.
  st.scheduled = no_deadline;
  st.router->handle_timeout(now);
  flush(self);
  schedule(self);
}

void on_inbound_data(ps_self self, stream_data& x) {
  auto& st = self->state;
  auto conn = caf::actor_cast<peer_connection_actor>(self->current_sender());
  auto n = static_cast<std::uint64_t>(x.data.size());
  auto i = st.inbound.find(x.key);
  if (i == st.inbound.end()) {
    self->send(conn, stream_ack_atom::value, x.key.id, n);
    return;
  }
  auto peer = i->second;
  auto& p = st.peers[peer];
  auto now = ps_now();
  auto fail = [&](const error& err) {
    st.router->report_invalid_frame(peer, err, now);
    log::warning(ps_component, "resetting the pub/sub stream of {}: {}",
                 peer.to_string(), err.describe());
    self->send(conn, stream_reset_atom::value, x.key.id);
    st.inbound.erase(i);
    p.in.reset();
    p.reader.reset();
  };
  if (auto ok = p.reader->push(x.data); !ok) {
    fail(ok.error());
  } else {
    for (;;) {
      auto body = p.reader->next();
      if (!body) {
        fail(body.error());
        break;
      }
      if (!*body)
        break;
      if (auto ok = st.router->handle_rpc(peer, **body, now); !ok)
        log::debug(ps_component, "RPC from {}: {}", peer.to_string(),
                   ok.error().describe());
    }
  }
  self->send(conn, stream_ack_atom::value, x.key.id, n);
  flush(self);
  schedule(self);
}

void on_inbound_opened(ps_self self, stream_opened& x) {
  auto& st = self->state;
  auto& ref = x.ref;
  auto& p = st.peers[ref.peer];
  if (p.in) {
    // A newer inbound stream replaces the older one (spec: one per peer).
    self->send(caf::actor_cast<peer_connection_actor>(p.in_conn),
               stream_reset_atom::value, p.in->id);
    st.inbound.erase(*p.in);
  }
  p.in = ref.key;
  p.in_conn = ref.connection;
  p.conns.insert(ref.key.conn);
  p.reader.emplace(st.router->cfg().max_transmit_size);
  st.inbound[ref.key] = ref.peer;
  add_to_router(self, ref.peer, p, ref.protocol);
  open_outbound(self, ref.peer);
  flush(self);
  schedule(self);
}

void on_stream_gone(ps_self self, const stream_key& key, std::string_view why) {
  auto& st = self->state;
  if (auto i = st.inbound.find(key); i != st.inbound.end()) {
    auto& p = st.peers[i->second];
    p.in.reset();
    p.reader.reset();
    st.inbound.erase(i);
    return;
  }
  for (auto& [peer, p] : st.peers)
    if (p.out && *p.out == key) {
      auto who = peer;
      lose_outbound(self, who, std::string{why});
      flush(self);
      return;
    }
}

void on_connection(ps_self self, connection_event& ev) {
  auto& st = self->state;
  if (ev.peer.to_bytes().empty())
    return;
  if (ev.up) {
    auto& p = st.peers[ev.peer];
    if (p.conns.empty()) {
      p.outbound = ev.dir == connection::direction::outbound;
      p.ip = ip_of(ev.remote_addr);
    }
    p.conns.insert(ev.conn);
    open_outbound(self, ev.peer);
    return;
  }
  auto i = st.peers.find(ev.peer);
  if (i == st.peers.end())
    return;
  auto& p = i->second;
  p.conns.erase(ev.conn);
  auto why = "connection closed: " + ev.reason;
  if (p.in && p.in->conn == ev.conn) {
    // The peer re-opens its stream on a surviving connection.
    st.inbound.erase(*p.in);
    p.in.reset();
    p.reader.reset();
  }
  bool carried = p.out && p.out->conn == ev.conn;
  if (p.conns.empty()) {
    if (carried || (!p.out && !p.opening))
      drop_peer(self, ev.peer, why);
  } else if (carried || (!p.out && !p.opening && p.in_router)) {
    // Another connection survives (or an earlier re-open failed).
    reopen_outbound(self, ev.peer, why);
  }
  flush(self);
}

void spawn_topic_actor(ps_self self, const std::string& topic, ps_topic& t) {
  auto& st = self->state;
  t.actor = detail::spawn_topic_actor(self->system(), topic, t.hook,
                                      t.subscribers,
                                      caf::actor_cast<caf::actor>(self));
  self->monitor(t.actor);
  st.topic_actors[t.actor.address()] = topic;
}

/// Reports every validation pending with `t`'s actor as ignore.
void drop_pending(ps_self self, ps_topic& t, bool failed) {
  auto& st = self->state;
  auto now = ps_now();
  for (auto& id : t.pending)
    if (auto ok = st.router
                    ->report_validation(id,
                                        gossipsub::validation_result::ignore,
                                        now);
        !ok)
      log::debug(ps_component, "dropping a validation: {}",
                 ok.error().describe());
  if (failed)
    t.dropped_at_failure += t.pending.size();
  t.pending.clear();
}

/// The topic actor of `topic` terminated while the topic is joined.
void restart_topic(ps_self self, const std::string& topic,
                   const caf::error& reason) {
  auto& st = self->state;
  auto i = st.topics.find(topic);
  if (i == st.topics.end())
    return;
  auto& t = i->second;
  auto dropped = t.pending.size();
  drop_pending(self, t, true);
  ++t.restarts;
  spawn_topic_actor(self, topic, t);
  log::warning(ps_component,
               "topic actor of {} failed ({}); restarted with {} subscribers "
               "(restart {}), {} pending validations ignored",
               topic, self->system().render(reason), t.subscribers.size(),
               t.restarts, dropped);
  flush(self);
  schedule(self);
}

std::uint64_t add_subscriber(ps_self self, const std::string& topic,
                             pubsub_subscriber_actor sub) {
  auto& st = self->state;
  auto& t = st.topics.at(topic);
  auto& list = t.subscribers;
  if (std::find(list.begin(), list.end(), sub) == list.end()) {
    list.push_back(sub);
    ++st.subscriptions;
    self->monitor(sub);
    self->send(t.actor, detail::topic_add_atom::value, sub);
  }
  return list.size();
}

std::uint64_t remove_subscriber(ps_self self, const std::string& topic,
                                const caf::actor_addr& sub) {
  auto& st = self->state;
  auto i = st.topics.find(topic);
  if (i == st.topics.end())
    return 0;
  auto& t = i->second;
  auto& list = t.subscribers;
  auto before = list.size();
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const auto& s) { return s.address() == sub; }),
             list.end());
  if (before == list.size())
    return list.size();
  st.subscriptions -= before - list.size();
  auto left = list.size();
  if (left > 0) {
    self->send(t.actor, detail::topic_remove_atom::value, sub);
    return left;
  }
  // The last one: leave the topic and stop its actor.
  drop_pending(self, t, false);
  st.topic_actors.erase(t.actor.address());
  self->demonitor(t.actor.address());
  self->send_exit(t.actor, caf::exit_reason::user_shutdown);
  st.router->set_async_validation(topic, false);
  st.topics.erase(i);
  st.propagation.erase(topic);
  if (auto ok = st.router->unsubscribe(topic, ps_now()); !ok)
    log::warning(ps_component, "leaving {}: {}", topic, ok.error().describe());
  else
    log::info(ps_component, "left topic {}", topic);
  flush(self);
  schedule(self);
  return left;
}

std::vector<pubsub_stream_info> stream_infos(const pubsub_state& st) {
  std::vector<pubsub_stream_info> out;
  for (auto& [peer, p] : st.peers) {
    pubsub_stream_info x;
    x.peer = peer;
    x.out_connection = p.out ? p.out_conn : caf::actor{};
    x.out_conn = p.out ? p.out->conn.value : 0;
    x.in_conn = p.in ? p.in->conn.value : 0;
    x.connections = p.conns.size();
    x.reopens = p.reopens;
    x.in_router = p.in_router;
    out.push_back(std::move(x));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.peer < b.peer; });
  return out;
}

std::vector<pubsub_topic_info> topic_infos(const pubsub_state& st) {
  std::vector<pubsub_topic_info> out;
  for (auto& [topic, t] : st.topics) {
    pubsub_topic_info x;
    x.topic = topic;
    x.actor = caf::actor_cast<caf::actor>(t.actor);
    x.actor_id = t.actor ? t.actor.id() : 0;
    x.restarts = t.restarts;
    x.subscribers = t.subscribers.size();
    x.mesh_peers = st.router->mesh_peers(topic);
    x.fanout_peers = st.router->fanout_peers(topic);
    x.pending_validations = t.pending.size();
    x.validated = static_cast<bool>(t.hook);
    x.validation_overflow = t.overflow;
    x.dropped_at_failure = t.dropped_at_failure;
    out.push_back(std::move(x));
  }
  return out;
}

pubsub_report make_report(const pubsub_state& st) {
  pubsub_report out;
  const auto& rs = st.router->stats();
  for (auto& [topic, t] : st.topics)
    out.topics.push_back(topic);
  out.published = rs.messages_published;
  out.received = rs.messages_received;
  out.delivered = rs.messages_delivered;
  out.duplicates = rs.messages_duplicate;
  out.ignored = rs.messages_ignored;
  out.graylisted = rs.rpcs_graylisted;
  out.outbound_dropped = rs.outbound_dropped;
  for (std::size_t i = 0; i < gossipsub::reject_reason_count; ++i)
    if (rs.rejected[i] > 0)
      out.rejected.emplace_back(gossipsub::to_string(
                                  static_cast<gossipsub::reject_reason>(i)),
                                rs.rejected[i]);
  std::vector<std::pair<std::string, std::vector<peer_id>>> meshes;
  for (auto& topic : out.topics)
    meshes.emplace_back(topic, st.router->mesh_peers(topic));
  for (auto& peer : st.router->topic_peers(std::string{})) {
    pubsub_peer_score x;
    x.peer = peer;
    x.score = st.router->score(peer);
    for (auto& [topic, mesh] : meshes)
      if (std::find(mesh.begin(), mesh.end(), peer) != mesh.end())
        x.mesh_topics.push_back(topic);
    out.peers.push_back(std::move(x));
  }
  for (auto& [topic, mesh] : meshes) {
    pubsub_topic_counters c;
    c.topic = topic;
    c.joined = true;
    c.mesh = mesh.size();
    if (const auto* t = st.router->topic_state(topic)) {
      c.delivered = t->counts().delivered;
      c.duplicates = t->counts().duplicates;
    }
    out.topic_counters.push_back(std::move(c));
  }
  for (auto& [topic, prop] : st.propagation) {
    auto i = std::find_if(out.topic_counters.begin(), out.topic_counters.end(),
                          [&](const auto& c) { return c.topic == topic; });
    if (i == out.topic_counters.end()) {
      out.topic_counters.emplace_back();
      i = std::prev(out.topic_counters.end());
      i->topic = topic;
    }
    i->publish_expected = prop.first;
    i->publish_reached = prop.second;
  }
  return out;
}

pubsub_actor::behavior_type pubsub(ps_self self, pubsub_config cfg,
                                   gossipsub::router router) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.router.emplace(std::move(router));
  st.swarm = st.cfg.swarm
               ? st.cfg.swarm
               : (st.cfg.locator ? st.cfg.locator->get() : swarm_actor{});
  if (st.swarm) {
    self->send(st.swarm, subscribe_atom::value,
               caf::actor_cast<connection_event_actor>(self));
    self
      ->request(st.swarm, std::chrono::seconds{10}, set_handler_atom::value,
                st.cfg.protocols, caf::actor_cast<stream_handler_actor>(self))
      .then([](std::uint64_t) {},
            [self](caf::error& err) {
              log::error(ps_component, "cannot register with the swarm: {}",
                         self->system().render(err));
              self->quit(err);
            });
  }
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    if (auto i = st.topic_actors.find(msg.source); i != st.topic_actors.end()) {
      auto topic = i->second;
      st.topic_actors.erase(i);
      restart_topic(self, topic, msg.reason);
      return;
    }
    std::vector<std::string> topics;
    for (auto& [topic, t] : st.topics)
      topics.push_back(topic);
    for (auto& topic : topics)
      remove_subscriber(self, topic, msg.source);
  });
  schedule(self);
  log::info(ps_component,
            "gossipsub running as {} (D={}, D_lo={}, D_hi={}, "
            "heartbeat {} ms)",
            st.router->local_peer_id().to_string(), st.router->cfg().d,
            st.router->cfg().d_lo, st.router->cfg().d_hi,
            std::chrono::duration_cast<std::chrono::milliseconds>(
              st.router->cfg().heartbeat_interval)
              .count());
  return {
    [self](status_atom) {
      auto& st = self->state;
      std::uint64_t restarts = 0;
      for (auto& [topic, t] : st.topics)
        restarts += t.restarts;
      return with_mailbox(
        self,
        component_status{
          "pubsub", "gossipsub",
          fmt::format("{} peers, {} topics, {} subscriptions, {} delivered, {} "
                      "frames dropped, {} topic actor restarts",
                      st.peers.size(), st.topics.size(), st.subscriptions,
                      st.delivered, st.frames_dropped, restarts)});
    },
    [self](pubsub_subscribe_atom, std::string& topic,
           pubsub_subscriber_actor& sub) -> caf::result<std::uint64_t> {
      auto& st = self->state;
      if (topic.empty())
        return wrap_error(make_error(errc::invalid_argument, "empty topic"),
                          pubsub_error_category);
      if (st.subscriptions >= max_pubsub_subscriptions)
        return wrap_error(make_error(errc::too_large,
                                     fmt::
                                       format("at most {} local subscriptions "
                                              "(max_pubsub_subscriptions)",
                                              max_pubsub_subscriptions)),
                          pubsub_error_category);
      if (!st.topics.contains(topic)) {
        gossipsub::validator hook;
        if (st.cfg.validators)
          hook = st.cfg.validators(topic);
        st.router->set_async_validation(topic, static_cast<bool>(hook));
        if (auto ok = st.router->subscribe(topic, ps_now()); !ok) {
          st.router->set_async_validation(topic, false);
          return wrap_error(ok.error(), pubsub_error_category);
        }
        auto& t = st.topics[topic];
        t.hook = std::move(hook);
        spawn_topic_actor(self, topic, t);
        log::info(ps_component, "joined topic {}", topic);
      }
      auto n = add_subscriber(self, topic, std::move(sub));
      flush(self);
      schedule(self);
      return n;
    },
    [self](pubsub_unsubscribe_atom, std::string& topic,
           pubsub_subscriber_actor& sub) -> std::uint64_t {
      return remove_subscriber(self, topic, sub.address());
    },
    [self](pubsub_publish_atom, std::string& topic,
           bytes& data) -> caf::result<std::uint64_t> {
      auto& st = self->state;
      if (topic.empty())
        return wrap_error(make_error(errc::invalid_argument, "empty topic"),
                          pubsub_error_category);
      auto r = st.router->publish(topic, std::move(data), ps_now());
      if (!r)
        return wrap_error(r.error(), pubsub_error_category);
      auto prop = st.propagation.find(topic);
      if (prop == st.propagation.end()) {
        if (st.propagation.size() >= max_pubsub_propagation_topics) {
          // Full: make room by dropping a publish-only topic (joined ones
          // leave the map when they are left).
          auto old = std::find_if(st.propagation.begin(), st.propagation.end(),
                                  [&](const auto& kv) {
                                    return st.topics.count(kv.first) == 0;
                                  });
          if (old != st.propagation.end())
            st.propagation.erase(old);
        }
        if (st.propagation.size() < max_pubsub_propagation_topics)
          prop = st.propagation.try_emplace(topic).first;
      }
      if (prop != st.propagation.end()) {
        prop->second.first += r->expected;
        prop->second.second += r->peers;
      }
      flush(self);
      schedule(self);
      return static_cast<std::uint64_t>(r->peers);
    },
    [self](pubsub_topics_atom) {
      std::vector<std::string> topics;
      for (auto& [topic, t] : self->state.topics)
        topics.push_back(topic);
      return topics;
    },
    [self](pubsub_topic_actors_atom) { return topic_infos(self->state); },
    [self](pubsub_streams_atom) { return stream_infos(self->state); },
    [self](pubsub_peers_atom, std::string& topic) {
      return self->state.router->topic_peers(topic);
    },
    [self](pubsub_report_atom) { return make_report(self->state); },
    [self](pubsub_tick_atom) { on_tick(self); },
    [self](stream_opened& x) { on_inbound_opened(self, x); },
    [self](stream_data& x) { on_inbound_data(self, x); },
    [self](stream_closed& x) {
      // The remote finished writing: nothing more will come on it.
      on_stream_gone(self, x.key, "stream closed by the remote");
    },
    [self](stream_reset& x) { on_stream_gone(self, x.key, x.reason); },
    [self](connection_event& ev) { on_connection(self, ev); },
  };
}

} // namespace

void apply_strict_no_sign_topics(gossipsub::config& cfg,
                                 const std::vector<std::string>& topics) {
  for (const auto& topic : topics)
    cfg.topic_signing[topic] = gossipsub::signing_policy::strict_no_sign;
}

result<pubsub_actor> spawn_pubsub(caf::actor_system& sys, pubsub_config cfg) {
  if (!cfg.key)
    return make_error(errc::invalid_argument, "pub/sub without a key");
  if (sodium_init() < 0)
    return make_error(errc::crypto, "libsodium failed to initialise");
  std::uint64_t seed = 0;
  randombytes_buf(&seed, sizeof seed);
  auto wall = static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
  auto router = gossipsub::router::make(cfg.router, *cfg.key, seed, wall,
                                        ps_now());
  if (!router)
    return router.error();
  auto locator = cfg.self_locator;
  auto handle = sys.spawn(pubsub, std::move(cfg), std::move(*router));
  if (locator)
    locator->set(handle);
  return handle;
}

spawn_function pubsub_spawner(pubsub_config cfg) {
  return [cfg](caf::actor_system& sys) -> component_actor {
    auto handle = spawn_pubsub(sys, cfg);
    if (!handle) {
      log::error(ps_component, "cannot start: {}", handle.error().describe());
      return {};
    }
    return caf::actor_cast<component_actor>(*handle);
  };
}

} // namespace canswarm
