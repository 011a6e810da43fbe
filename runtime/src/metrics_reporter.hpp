#pragma once

// The metrics reporter: a root child that subscribes to the swarm's
// connection events and keeps the swarm series of node_metrics current
// (connected peers, connections opened and closed by direction and reason,
// handshake failures by reason). Restarted with the swarm (rest_for_one),
// it subscribes to the new instance.

#include <memory>

#include "canswarm/actors/supervisor.hpp"
#include "canswarm/connection/swarm.hpp"
#include "canswarm/metrics/node_metrics.hpp"

namespace canswarm::runtime {

/// Returns a supervisor spawn function for the reporter.
spawn_function
metrics_reporter_spawner(std::shared_ptr<metrics::node_metrics> metrics,
                         std::shared_ptr<swarm_locator> locator);

} // namespace canswarm::runtime
