#pragma once

// Internal: lets the exposer (same library) reach the prometheus-cpp
// registry behind node_metrics without exposing it in the public header.

#include <memory>

#include <prometheus/registry.h>

#include "canswarm/metrics/node_metrics.hpp"

namespace canswarm::metrics::detail {

struct registry_access {
  /// Returns the registry that holds every series of `m`.
  static std::shared_ptr<prometheus::Registry> registry(const node_metrics& m);
};

} // namespace canswarm::metrics::detail
