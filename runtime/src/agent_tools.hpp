#pragma once

// The agent tools of the `canswarm` CLI: clients of a running node's
// control API that publish and print CAN Swarm envelopes.

#include "canswarm/runtime/cli.hpp"

namespace canswarm::cli {

/// `canswarm publish`: signs, preflight-checks and publishes one envelope.
int run_publish(const options& opts, context& ctx);

/// `canswarm subscribe`: prints a thread's verified envelopes.
int run_subscribe(const options& opts, context& ctx);

/// `canswarm peers`: lists the node's connected peers.
int run_peers(const options& opts, context& ctx);

/// `canswarm stats`: prints the node's counters (CANSWARM_STATS JSON).
int run_stats(const options& opts, context& ctx);

/// `canswarm inspect`: the node's live actor tree (CANSWARM_INSPECT).
int run_inspect(const options& opts, context& ctx);

} // namespace canswarm::cli
