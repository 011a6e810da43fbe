#pragma once

// The metrics reporter: a root child that keeps node_metrics current.
//
// - Swarm series from the swarm's connection events (connected peers,
//   connections opened and closed by direction and reason, handshake
//   failures by reason).
// - Every `poll_interval` it asks the pub/sub service, the bus and the root
//   supervisor for their cumulative counters and adds the difference since
//   the previous poll to the Prometheus counters: gossipsub messages
//   delivered and duplicated per topic, rejected per reason; envelopes
//   published and received per transport, bus dedup hits, gate rejections
//   per reason, bus failovers (primary -> fallback) and failbacks, supervisor
//   restarts per root component, per topic actor ("pubsub_topic") and
//   redials of peer connections that died ("peer_connection"). It
//   sets the gauges: bus transport in use, mesh size per topic, peer scores,
//   and per topic the propagation ratio of our own publishes during the last
//   interval (peers reached / peers expected; unchanged in an interval
//   without publishes).
// - The publish-to-deliver latency histogram is fed by the bus directly
//   (bus_config::observe_latency), not here.
//
// It is the root's last child: it only reads the others, so its failure
// restarts nothing else. At start it seeds the live connections from the
// swarm's list (a restart of the reporter alone keeps connected peers
// right).
//
// A component that restarted reports smaller totals than last time: the
// new total is then the difference (its counters started again at zero).
// What the previous poll saw lives outside the actor (the spawner's
// reporter_memory), so a restart of the reporter itself neither loses nor
// double counts. Restarted with the swarm (rest_for_one), it subscribes to
// the new instance; it finds pub/sub, bus and root through their locators
// on every poll.

#include <chrono>
#include <memory>

#include "canswarm/actors/locator.hpp"
#include "canswarm/actors/supervisor.hpp"
#include "canswarm/bus/bus.hpp"
#include "canswarm/connection/swarm.hpp"
#include "canswarm/metrics/node_metrics.hpp"
#include "canswarm/pubsub/pubsub.hpp"

namespace canswarm::runtime {

/// Where the reporter finds what it polls (any may be null: not polled).
struct reporter_sources {
  std::shared_ptr<swarm_locator> swarm;
  std::shared_ptr<pubsub_locator> pubsub;
  std::shared_ptr<bus_locator> bus;
  std::shared_ptr<actor_locator<supervisor_actor>> root;
  caf::timespan poll_interval = std::chrono::seconds{1};
};

/// Returns a supervisor spawn function for the reporter.
spawn_function
metrics_reporter_spawner(std::shared_ptr<metrics::node_metrics> metrics,
                         reporter_sources sources);

} // namespace canswarm::runtime
