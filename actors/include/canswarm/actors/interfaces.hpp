#pragma once

// Every typed actor interface of the node, one comment line per handler.

#include <string>
#include <vector>

#include <caf/actor_addr.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "canswarm/actors/atoms.hpp"
#include "canswarm/actors/messages.hpp"

namespace canswarm {

/// What every supervised component answers.
using component_actor = caf::typed_actor<
  // Returns the component's name, role and a one-line state summary.
  caf::replies_to<status_atom>::with<component_status>>;

/// A supervisor: starts, monitors, restarts and stops its children.
using supervisor_actor = component_actor::extend<
  // Returns the child registry in start order.
  caf::replies_to<children_atom>::with<std::vector<child_info>>,
  // Returns the running instance of the named child (error: no_such_child).
  caf::replies_to<children_atom, std::string>::with<component_actor>,
  // Starts the ordered shutdown: children in reverse start order, then itself.
  caf::reacts_to<shutdown_atom>,
  // Internal: the grace period of the stopping child at `addr` elapsed.
  caf::reacts_to<grace_atom, caf::actor_addr>>;

/// The transport: TCP listeners that accept connections.
using transport_actor = component_actor::extend<
  // Returns the bound listen addresses (multiaddr text, port 0 resolved).
  caf::replies_to<addresses_atom>::with<std::vector<std::string>>>;

} // namespace canswarm
