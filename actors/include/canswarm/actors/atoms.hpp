#pragma once

// Every atom of the node, in one place (CAF 0.17 atoms: at most 10
// characters).

#include <caf/atom.hpp>

namespace canswarm {

/// Requests a component's state summary (every component).
using status_atom = caf::atom_constant<caf::atom("status")>;

/// Requests a supervisor's child registry.
using children_atom = caf::atom_constant<caf::atom("children")>;

/// Starts a supervisor's ordered shutdown.
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;

/// Internal to supervisors: a stopping child's grace period elapsed.
using grace_atom = caf::atom_constant<caf::atom("grace")>;

/// Requests the addresses a transport listens on.
using addresses_atom = caf::atom_constant<caf::atom("addresses")>;

} // namespace canswarm
