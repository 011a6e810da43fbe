#include "metrics_reporter.hpp"

#include <algorithm>
#include <initializer_list>
#include <map>
#include <set>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <fmt/format.h>

#include "canswarm/log/log.hpp"

namespace canswarm::runtime {

namespace {

constexpr std::string_view component = "metrics";

using metrics_tick_atom = caf::atom_constant<caf::atom("mtick")>;

using reporter_actor = component_actor::extend_with<
  connection_event_actor>::extend<caf::reacts_to<metrics_tick_atom>>;

/// Most cumulative counters the reporter remembers between polls (keys are
/// topics, reasons and component names, all bounded at their source; this
/// only guards against a runaway). Beyond it a new key is not reported.
constexpr std::size_t max_tracked_totals = 4096;

/// What the previous poll saw. Shared by every instance of the reporter.
struct reporter_memory {
  std::mutex mtx;
  std::map<std::string, std::uint64_t> totals;
  std::set<std::string> scored_peers;
  std::set<std::string> mesh_topics;
  std::set<std::string> counted_topics; ///< In the last pub/sub report.
  std::set<std::string> restart_topics; ///< In the last topic actor list.
  std::set<std::string> restarted_peers;

  /// Forgets the totals under `prefix` + each name of `previous` that is
  /// not in `now`, then remembers `now`. Topics come and go with threads:
  /// without this the totals of topics left long ago would fill
  /// max_tracked_totals. A name that comes back counts from zero, as its
  /// source does (a re-joined topic's counters start again).
  void forget_missing(std::set<std::string>& previous,
                      std::set<std::string> now,
                      std::initializer_list<const char*> prefixes) {
    for (const auto& name : previous)
      if (now.count(name) == 0)
        for (const auto* prefix : prefixes)
          totals.erase(prefix + name);
    previous = std::move(now);
  }

  /// Returns how much `total` grew since the last call for `key` (all of
  /// it when it shrank: the source restarted and counts from zero again),
  /// or 0 for a key beyond max_tracked_totals.
  std::uint64_t delta(const std::string& key, std::uint64_t total) {
    auto i = totals.find(key);
    if (i == totals.end()) {
      if (totals.size() >= max_tracked_totals)
        return 0;
      totals.emplace(key, total);
      return total;
    }
    auto d = total >= i->second ? total - i->second : total;
    i->second = total;
    return d;
  }
};

struct reporter_state {
  static inline const char* name = "metrics";
  std::shared_ptr<metrics::node_metrics> metrics;
  std::shared_ptr<reporter_memory> memory;
  reporter_sources sources;
  /// Upgraded connections and their peers (a peer may have several).
  /// Bounded by the swarm's P2P_MAX_CONNECTIONS: entries exist only for
  /// live connections it reported up (or listed at the reporter's start).
  std::map<conn_id, peer_id> conns;
  std::uint64_t events = 0;
  std::uint64_t polls = 0;
};

using reporter_self = reporter_actor::stateful_pointer<reporter_state>;

metrics::direction to_metrics(connection::direction dir) {
  return dir == connection::direction::inbound ? metrics::direction::inbound
                                               : metrics::direction::outbound;
}

/// The reason class of a close or failure text ("io: ...", "timeout: ...")
/// is its first word, which keeps the label set small.
std::string reason_class(const std::string& reason) {
  auto colon = reason.find(':');
  return colon == std::string::npos ? std::string{"other"}
                                    : reason.substr(0, colon);
}

std::size_t connected_peers(const reporter_state& st) {
  std::set<peer_id> peers;
  for (const auto& [conn, peer] : st.conns)
    peers.insert(peer);
  return peers.size();
}

void on_event(reporter_self self, const connection_event& ev) {
  auto& st = self->state;
  ++st.events;
  auto& m = *st.metrics;
  if (ev.up) {
    m.connection_opened(to_metrics(ev.dir));
    st.conns[ev.conn] = ev.peer;
  } else if (ev.peer.to_bytes().empty()) {
    m.handshake_failed(reason_class(ev.reason));
  } else {
    m.connection_closed(to_metrics(ev.dir), reason_class(ev.reason));
    st.conns.erase(ev.conn);
  }
  m.set_connected_peers(connected_peers(st));
}

void report_pubsub(reporter_state& st, const pubsub_report& r) {
  auto& m = *st.metrics;
  auto& mem = *st.memory;
  std::lock_guard<std::mutex> guard{mem.mtx};
  for (const auto& [reason, n] : r.rejected)
    if (auto d = mem.delta("ps.rejected." + reason, n))
      m.message_rejected(reason, d);
  std::set<std::string> joined;
  std::set<std::string> counted;
  for (const auto& c : r.topic_counters) {
    counted.insert(c.topic);
    if (auto d = mem.delta("ps.delivered." + c.topic, c.delivered))
      m.message_delivered(c.topic, d);
    if (auto d = mem.delta("ps.duplicates." + c.topic, c.duplicates))
      m.message_duplicated(c.topic, d);
    auto expected = mem.delta("ps.expected." + c.topic, c.publish_expected);
    auto reached = mem.delta("ps.reached." + c.topic, c.publish_reached);
    if (expected > 0)
      m.set_propagation_rate(c.topic, static_cast<double>(reached)
                                        / static_cast<double>(expected));
    if (c.joined) {
      m.set_mesh_size(c.topic, c.mesh);
      joined.insert(c.topic);
    }
  }
  for (const auto& topic : mem.mesh_topics)
    if (joined.count(topic) == 0)
      m.topic_unsubscribed(topic);
  mem.mesh_topics = std::move(joined);
  mem.forget_missing(mem.counted_topics, std::move(counted),
                     {"ps.delivered.", "ps.duplicates.", "ps.expected.",
                      "ps.reached."});
  std::set<std::string> scored;
  for (const auto& p : r.peers) {
    auto id = p.peer.to_string();
    if (m.set_peer_score(id, p.score))
      scored.insert(std::move(id));
  }
  for (const auto& id : mem.scored_peers)
    if (scored.count(id) == 0)
      m.forget_peer(id);
  mem.scored_peers = std::move(scored);
}

void report_topic_actors(reporter_state& st,
                         const std::vector<pubsub_topic_info>& topics) {
  auto& mem = *st.memory;
  std::lock_guard<std::mutex> guard{mem.mtx};
  std::uint64_t restarts = 0;
  std::set<std::string> now;
  for (const auto& t : topics) {
    restarts += mem.delta("topic.restarts." + t.topic, t.restarts);
    now.insert(t.topic);
  }
  mem.forget_missing(mem.restart_topics, std::move(now), {"topic.restarts."});
  if (restarts > 0)
    st.metrics->supervisor_restart("pubsub_topic", restarts);
}

void report_bus(reporter_state& st, const bus_stats& s) {
  auto& m = *st.metrics;
  auto& mem = *st.memory;
  std::lock_guard<std::mutex> guard{mem.mtx};
  m.set_bus_mode(s.active);
  auto fallback = s.primary == "p2p" ? std::string{"nats"} : std::string{"p2p"};
  if (auto d = mem.delta("bus.failovers", s.failovers))
    m.failover(s.primary, fallback, d);
  if (auto d = mem.delta("bus.failbacks", s.failbacks))
    m.failover(fallback, s.primary, d);
  if (auto d = mem.delta("bus.published_p2p", s.published_p2p))
    m.envelopes_published("p2p", d);
  if (auto d = mem.delta("bus.published_nats", s.published_nats))
    m.envelopes_published("nats", d);
  if (auto d = mem.delta("bus.received_p2p", s.received_p2p))
    m.envelopes_received("p2p", d);
  if (auto d = mem.delta("bus.received_nats", s.received_nats))
    m.envelopes_received("nats", d);
  if (auto d = mem.delta("bus.dedup_hits", s.dedup_hits))
    m.dedup_hit(d);
  for (const auto& [reason, n] : s.rejected)
    if (auto d = mem.delta("gate.p2p." + reason, n))
      m.gate_rejected(reason, d);
  for (const auto& [reason, n] : s.nats_rejected)
    if (auto d = mem.delta("gate.nats." + reason, n))
      m.gate_rejected(reason, d);
}

/// Redials of peer connections that died abnormally (the swarm's
/// supervision of connections), as supervisor restarts "peer_connection".
/// Counted per peer; a peer the swarm no longer lists is forgotten (its
/// count starts from zero when it comes back).
void report_peer_conns(reporter_state& st,
                       const std::vector<peer_connection_info>& xs) {
  auto& mem = *st.memory;
  std::lock_guard<std::mutex> guard{mem.mtx};
  std::map<std::string, std::uint64_t> now;
  for (const auto& x : xs) {
    auto& n = now[x.peer.to_string()];
    n = std::max(n, x.restarts);
  }
  std::uint64_t restarts = 0;
  std::set<std::string> listed;
  for (const auto& [peer, n] : now) {
    restarts += mem.delta("peer.restarts." + peer, n);
    listed.insert(peer);
  }
  mem.forget_missing(mem.restarted_peers, std::move(listed),
                     {"peer.restarts."});
  if (restarts > 0)
    st.metrics->supervisor_restart("peer_connection", restarts);
}

void report_children(reporter_state& st, const std::vector<child_info>& cs) {
  auto& mem = *st.memory;
  std::lock_guard<std::mutex> guard{mem.mtx};
  for (const auto& c : cs)
    if (auto d = mem.delta("root.restarts." + c.name, c.restart_count))
      st.metrics->supervisor_restart(c.name, d);
}

void poll(reporter_self self) {
  auto& st = self->state;
  ++st.polls;
  auto timeout = st.sources.poll_interval;
  auto failed = [self](const char* what) {
    return [self, what](caf::error& err) {
      log::debug(component, "metrics poll of {}: {}", what,
                 self->system().render(err));
    };
  };
  if (st.sources.pubsub)
    if (auto ps = st.sources.pubsub->get()) {
      self->request(ps, timeout, pubsub_report_atom::value)
        .then([self](pubsub_report& r) { report_pubsub(self->state, r); },
              failed("pub/sub"));
      self->request(ps, timeout, pubsub_topic_actors_atom::value)
        .then([self](std::vector<pubsub_topic_info>&
                       ts) { report_topic_actors(self->state, ts); },
              failed("topic actors"));
    }
  if (st.sources.swarm)
    if (auto swarm = st.sources.swarm->get())
      self->request(swarm, timeout, peer_conns_atom::value)
        .then([self](std::vector<peer_connection_info>&
                       xs) { report_peer_conns(self->state, xs); },
              failed("the swarm"));
  if (st.sources.bus)
    if (auto bus = st.sources.bus->get())
      self->request(bus, timeout, bus_stats_atom::value)
        .then([self](bus_stats& s) { report_bus(self->state, s); },
              failed("the bus"));
  if (st.sources.root)
    if (auto root = st.sources.root->get())
      self->request(root, timeout, children_atom::value)
        .then([self](std::vector<child_info>&
                       cs) { report_children(self->state, cs); },
              failed("the root supervisor"));
  self->delayed_send(self, st.sources.poll_interval, metrics_tick_atom::value);
}

reporter_actor::behavior_type
reporter(reporter_self self, std::shared_ptr<metrics::node_metrics> metrics,
         std::shared_ptr<reporter_memory> memory, reporter_sources sources) {
  auto& st = self->state;
  st.metrics = std::move(metrics);
  st.memory = std::move(memory);
  st.sources = std::move(sources);
  st.metrics->set_connected_peers(0);
  if (st.sources.swarm)
    if (auto swarm = st.sources.swarm->get()) {
      self->send(swarm, subscribe_atom::value,
                 caf::actor_cast<connection_event_actor>(self));
      // Connections that came up before we subscribed (a restart of the
      // reporter alone): seed from the swarm's list. Keyed by connection,
      // so one also reported by an event is not counted twice.
      self->request(swarm, st.sources.poll_interval, peer_conns_atom::value)
        .then(
          [self](std::vector<peer_connection_info>& xs) {
            auto& st = self->state;
            for (auto& x : xs)
              if (x.state == "running" && x.conn.value != 0)
                st.conns.emplace(x.conn, x.peer);
            st.metrics->set_connected_peers(connected_peers(st));
          },
          [](caf::error&) {});
    }
  self->send(self, metrics_tick_atom::value);
  return {
    [self](status_atom) {
      auto& st = self->state;
      return with_mailbox(
        self, component_status{"metrics", "metrics-reporter",
                               fmt::format("{} connected peers, {} connection "
                                           "events, {} polls",
                                           connected_peers(st), st.events,
                                           st.polls)});
    },
    [self](connection_event& ev) { on_event(self, ev); },
    [self](metrics_tick_atom) { poll(self); },
  };
}

} // namespace

spawn_function
metrics_reporter_spawner(std::shared_ptr<metrics::node_metrics> metrics,
                         reporter_sources sources) {
  auto memory = std::make_shared<reporter_memory>();
  return [metrics, memory, sources](caf::actor_system& sys) {
    return caf::actor_cast<component_actor>(
      sys.spawn(reporter, metrics, memory, sources));
  };
}

} // namespace canswarm::runtime
