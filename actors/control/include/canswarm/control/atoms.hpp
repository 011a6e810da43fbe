#pragma once

// Atoms of the control API (CAF 0.17 atoms: at most 10 characters). To be
// merged into actors/include/canswarm/actors/atoms.hpp.

#include <caf/atom.hpp>

namespace canswarm {

/// A control connection asks the server for the IDENTIFY addresses.
using ctl_listen_atom = caf::atom_constant<caf::atom("ctllisten")>;

/// A control connection registers a STREAM_HANDLER with the router.
using ctl_register_atom = caf::atom_constant<caf::atom("ctlreg")>;

/// A connect worker reports the socket to a stream-handler listener.
using ctl_dialed_atom = caf::atom_constant<caf::atom("ctldialed")>;

/// An inbound bridge tells the router its dial finished.
using ctl_ready_atom = caf::atom_constant<caf::atom("ctlready")>;

/// A bridge's drain timeout (the remote did not close in time).
using ctl_drain_atom = caf::atom_constant<caf::atom("ctldrain")>;

/// A closing control connection's linger timeout.
using ctl_linger_atom = caf::atom_constant<caf::atom("ctllinger")>;

} // namespace canswarm
