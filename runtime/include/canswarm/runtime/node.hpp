#pragma once

// The node: loads (or creates) the key, builds the CAF actor system with the
// middleman, spawns the root supervisor and its children, prints
//   Peer ID: <id>
//   Peer Addrs: <addr>/p2p/<id> <addr>/p2p/<id> ...
// on stdout (flushed), then runs until SIGINT/SIGTERM and shuts down in
// order (see supervisor.hpp). A second signal forces an immediate exit
// (status 128 + signal number).
//
// Exit codes: 0 after a clean shutdown; 1 when the key cannot be loaded, the
// transport cannot start, or the root supervisor escalates; 2 for a listen
// address that is not TCP or an announce address naming another peer.

#include <chrono>
#include <iosfwd>
#include <memory>

#include "canswarm/actors/supervisor.hpp"
#include "canswarm/config/config.hpp"

namespace canswarm::runtime {

/// How long start-up waits for the transport to report its addresses.
inline constexpr std::chrono::seconds startup_timeout{10};

/// Intensity of the root supervisor: transient failures of a component are
/// retried a few times; a component failing faster than this takes the node
/// down (and a service manager can restart the process).
inline constexpr std::size_t root_max_restarts = 3;
inline constexpr std::chrono::seconds root_restart_period{10};

/// How `canswarm p2pd` differs from `canswarm node`.
struct node_options {
  /// -noListenAddrs: no transport listener at all (dial-only node).
  bool no_listen = false;
  /// No -id: a fresh in-memory Ed25519 key; P2P_KEY_FILE is not touched.
  bool ephemeral_identity = false;
  /// Print go p2pd's `Control socket: <multiaddr>` line first.
  bool p2pd_banner = false;
  /// Run the pub/sub service (gossipsub). Always for `canswarm node`; a
  /// p2pd runs it only with -pubsub, as go p2pd does.
  bool pubsub = true;
};

/// What the root supervisor's children share: our key and the handles
/// through which restarted components find each other.
struct node_parts;

/// Returns the root supervisor's configuration: children in start order
/// (later components depend on earlier ones, hence rest_for_one):
/// swarm, metrics reporter (with P2P_METRICS_ADDR), pubsub and the envelope
/// bus (unless opts.pubsub is false), transport (unless no_listen), control
/// (when P2P_CONTROL_ADDR is set). Fails when a listen address is not a TCP
/// address.
result<supervisor_config>
root_supervisor_config(const config::settings& settings,
                       const std::shared_ptr<node_parts>& parts,
                       const node_options& opts = {});

/// Runs a node until it is shut down; returns the process exit code.
int run_node(const config::loaded& cfg, std::ostream& out,
             const node_options& opts = {});

} // namespace canswarm::runtime
