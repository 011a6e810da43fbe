#include "metrics_reporter.hpp"

#include <map>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <fmt/format.h>

namespace canswarm::runtime {

namespace {

using reporter_actor = component_actor::extend_with<connection_event_actor>;

struct reporter_state {
  static inline const char* name = "metrics";
  std::shared_ptr<metrics::node_metrics> metrics;
  /// Upgraded connections per peer (a peer may have several). Bounded by
  /// the swarm's P2P_MAX_CONNECTIONS: entries exist only for live
  /// connections it reported up.
  std::map<peer_id, std::size_t> peers;
  std::uint64_t events = 0;
};

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

void on_event(reporter_actor::stateful_pointer<reporter_state> self,
              const connection_event& ev) {
  auto& st = self->state;
  ++st.events;
  auto& m = *st.metrics;
  if (ev.up) {
    m.connection_opened(to_metrics(ev.dir));
    ++st.peers[ev.peer];
  } else if (ev.peer.to_bytes().empty()) {
    m.handshake_failed(reason_class(ev.reason));
  } else {
    m.connection_closed(to_metrics(ev.dir), reason_class(ev.reason));
    if (auto i = st.peers.find(ev.peer);
        i != st.peers.end() && --i->second == 0)
      st.peers.erase(i);
  }
  m.set_connected_peers(st.peers.size());
}

reporter_actor::behavior_type
reporter(reporter_actor::stateful_pointer<reporter_state> self,
         std::shared_ptr<metrics::node_metrics> metrics, swarm_actor swarm) {
  self->state.metrics = std::move(metrics);
  self->state.metrics->set_connected_peers(0);
  if (swarm)
    self->send(swarm, subscribe_atom::value,
               caf::actor_cast<connection_event_actor>(self));
  return {
    [self](status_atom) {
      auto& st = self->state;
      return component_status{"metrics", "metrics-reporter",
                              fmt::format("{} connected peers, {} connection "
                                          "events",
                                          st.peers.size(), st.events)};
    },
    [self](connection_event& ev) { on_event(self, ev); },
  };
}

} // namespace

spawn_function
metrics_reporter_spawner(std::shared_ptr<metrics::node_metrics> metrics,
                         std::shared_ptr<swarm_locator> locator) {
  return [metrics, locator](caf::actor_system& sys) {
    return caf::actor_cast<component_actor>(
      sys.spawn(reporter, metrics, locator->get()));
  };
}

} // namespace canswarm::runtime
