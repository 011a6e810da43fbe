#pragma once

// Message types exchanged between actors, each with a CAF `inspect` overload
// (so the runtime can print, log and serialise it). Registered in
// add_message_types().

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/meta/type_name.hpp>

namespace canswarm {

/// A component's self-description, for logs and the inspector.
struct component_status {
  /// Instance name, e.g. "transport".
  std::string name;
  /// What the component is, e.g. "supervisor", "listener".
  std::string role;
  /// One line of state, e.g. "2 listeners, 0 open connections".
  std::string summary;
  /// Messages waiting in the actor's mailbox when it answered (CAF 0.17
  /// lets only the actor itself read it: see with_mailbox).
  std::uint64_t mailbox = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, component_status& x) {
  return f(caf::meta::type_name("component_status"), x.name, x.role, x.summary,
           x.mailbox);
}

/// Returns `s` with the mailbox size of `self`, the actor answering a
/// status request (call it from that actor's handler only).
template<class Self>
component_status with_mailbox(Self* self, component_status s) {
  s.mailbox = self->mailbox().size();
  return s;
}

/// Lifecycle state of a supervised child.
enum class child_state : std::uint8_t {
  running, ///< Started and monitored.
  stopping, ///< Sent an exit, waiting for its down message.
  stopped, ///< Not running (finished, failed, or waiting to be restarted).
};

/// Returns "running", "stopping" or "stopped".
std::string to_string(child_state);

/// One entry of a supervisor's child registry.
struct child_info {
  std::string name;
  std::string role;
  /// CAF actor id of the current instance (0 when not running).
  std::uint64_t actor_id = 0;
  /// Restarts of this child since the supervisor started.
  std::uint32_t restart_count = 0;
  child_state state = child_state::stopped;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_info& x) {
  return f(caf::meta::type_name("child_info"), x.name, x.role, x.actor_id,
           x.restart_count, x.state);
}

} // namespace canswarm
