#pragma once

// The supervisor: CAF 0.17 has no built-in supervision, so this actor builds
// it from `monitor`, down/exit handlers, a component registry and the pure
// restart_policy.
//
// Start: children are spawned and monitored in the order of
// supervisor_config::children during the supervisor's initialisation.
//
// Failure: a child's down message with a non-normal reason is a failure.
// The restart policy decides which children to restart (one_for_one: the
// failed one; rest_for_one: it and every later child). Later children that
// are still running are stopped first, one at a time in reverse start order
// (each with its grace period), then all are started again in start order
// and their restart counts incremented. A normal exit is not a failure: the
// child stays stopped. When the intensity is exceeded the supervisor
// escalates: it stops its remaining children (ordered, as below) and
// terminates with actor_errc::restart_intensity_exceeded, which its parent
// sees as a failure of this supervisor.
//
// Ordered shutdown (on shutdown_atom, or an exit message from its parent):
// children are stopped one at a time in reverse start order. Each is sent
// exit_reason::user_shutdown and given its grace period; if it has not
// terminated by then it is sent exit_reason::kill. When the last child is
// down the supervisor terminates with user_shutdown (or the escalation
// error). If the supervisor itself is killed, its state destructor kills the
// children still running, so children never outlive their supervisor.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "canswarm/actors/interfaces.hpp"
#include "canswarm/actors/restart_policy.hpp"
#include "canswarm/error.hpp"

namespace canswarm {

/// Time a stopping child gets between user_shutdown and kill: long enough to
/// close sockets and flush a few frames, short enough for a prompt SIGTERM.
inline constexpr caf::timespan default_grace_period = std::chrono::seconds{2};

/// Most children one supervisor accepts (the registry is local
/// configuration; the bound only catches runaway setups).
inline constexpr std::size_t max_children = 64;

/// Spawns (or respawns) one child; returns an invalid handle on failure.
using spawn_function = std::function<component_actor(caf::actor_system&)>;

/// How to run one child.
struct child_spec {
  /// Unique among siblings, used in logs and the registry, e.g. "transport".
  std::string name;
  /// What the child is, e.g. "listener".
  std::string role;
  /// Creates a fresh instance (called on start and on every restart).
  spawn_function spawn;
  /// Time between user_shutdown and kill when stopping this child.
  caf::timespan grace = default_grace_period;
  /// At shutdown, stopped before every child without it (still last to
  /// first among themselves). For ingress, e.g. the control server: a node
  /// that is going away takes no new work while the services that carry
  /// out the work it already took are still running.
  bool stop_first = false;
};

/// Configuration of a supervisor.
struct supervisor_config {
  /// Instance name, e.g. "root"; logs use "supervisor:<name>".
  std::string name = "root";
  supervision::policy_config policy;
  /// Children in start order.
  std::vector<child_spec> children;

  /// Checks the policy, names (non-empty, unique), spawn functions, grace
  /// periods and the number of children.
  result<void> validate() const;
};

/// A supervised child in the registry.
struct child_entry {
  child_spec spec;
  /// Current instance; invalid while stopped.
  component_actor handle;
  std::uint32_t restart_count = 0;
  child_state state = child_state::stopped;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_entry& x) {
  return f(caf::meta::type_name("child_entry"), x.spec.name, x.spec.role,
           x.restart_count, x.state);
}

/// What a supervisor is doing.
enum class supervisor_phase : std::uint8_t {
  running, ///< All children started (or deliberately stopped).
  restarting, ///< Stopping and restarting the children in `pending`.
  shutting_down, ///< Stopping every child, then terminating.
};

/// Returns "running", "restarting" or "shutting_down".
std::string to_string(supervisor_phase);

/// State of a supervisor actor.
struct supervisor_state {
  /// CAF actor name.
  static inline const char* name = "supervisor";

  ~supervisor_state();

  /// Log component, "supervisor:<instance name>".
  std::string label;
  /// Children in start order.
  std::vector<child_entry> children;
  supervision::restart_policy policy;
  supervisor_phase phase = supervisor_phase::running;
  /// Children to start again once stopped (ascending indices).
  std::vector<std::size_t> pending;
  /// Reason to terminate with once every child is down.
  caf::error exit_reason;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_state& x) {
  return f(caf::meta::type_name("supervisor_state"), x.label, x.children,
           x.phase, x.pending);
}

/// The supervisor's behaviour; `cfg` must be valid.
supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self,
           supervisor_config cfg);

/// Validates `cfg` and spawns a supervisor, which starts its children.
result<supervisor_actor> spawn_supervisor(caf::actor_system& sys,
                                          supervisor_config cfg);

} // namespace canswarm
