#pragma once

// The live actor tree of a node, as CANSWARM_INSPECT (canswarm extension of
// the control API) reports it: the root supervisor, each of its children
// (name, role, state, restart count, CAF actor id, the one-line state
// summary its status handler renders), and below them the actors they own
// that the inspector can see: the pub/sub service's topic actors (mesh and
// fanout peers, subscribers, restarts) and the swarm's peers (connections).
//
// Fault injection: `kill` names an actor to kill with exit reason `kill`
// before the tree is read: a child of the root by name (e.g. "bus",
// "nats", "pubsub"), "topic:<topic>" for a topic actor, or
// "peer:<peer id>" for the connection actor(s) of a peer. Its supervisor
// (the root, the pub/sub service for topic actors, the swarm for peer
// connections: it redials a peer it had dialled) restarts it; the restart
// count shows it. Only on a control API bound to loopback or a unix socket.
//
// Peer connections appear as "peer:<peer id>" (role peer-connection) with
// state "running", or, while the swarm redials a peer whose outbound
// connection died, "restarting" ("failed" once it gave up), and the peer's
// restart count.

#include <cstdint>
#include <string>
#include <vector>

namespace canswarm::control {

/// One actor in the tree.
struct inspect_node {
  std::string name;
  std::string role;
  std::string state; ///< "running", "stopped", "restarting", ...
  std::uint64_t restarts = 0;
  std::uint64_t actor_id = 0;
  std::string summary;
  std::vector<inspect_node> children;
  /// Messages waiting in its mailbox when it answered; -1: not known
  /// (actors without a status request, or no answer).
  std::int64_t mailbox = -1;
};

/// {"name","role","state","restarts","actor_id","summary","mailbox"
/// (null: not known),"children":[...]}
std::string inspect_json(const inspect_node& root);

/// An indented tree, one actor per line:
/// `name (role) state, N restarts, #id, mailbox M: summary`.
std::string inspect_text(const inspect_node& root);

/// Where a kill target points.
struct kill_target {
  enum class kind { root_child, topic, peer } what = kind::root_child;
  std::string name; ///< Child name, topic or peer id (base58btc).
};

/// Parses a kill target: a child name ([a-z0-9_-], 1..64), "topic:<topic>"
/// or "peer:<peer id>" (a valid peer id); errors say what is expected.
bool parse_kill_target(const std::string& text, kill_target& out,
                       std::string& error);

} // namespace canswarm::control
