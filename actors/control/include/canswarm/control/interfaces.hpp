#pragma once

// Typed actor interfaces of the control API, one comment line per handler.
// To be merged into actors/include/canswarm/actors/interfaces.hpp.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "canswarm/actors/interfaces.hpp"
#include "canswarm/connection/interfaces.hpp"
#include "canswarm/control/atoms.hpp"

namespace canswarm {

/// The control server: accepts control connections (an io broker; each
/// connection runs in a broker forked from it).
using control_actor = component_actor::extend<
  // Returns the bound control address (one multiaddr text, port resolved).
  caf::replies_to<addresses_atom>::with<std::vector<std::string>>,
  // Replaces the listen addresses IDENTIFY reports.
  caf::reacts_to<listen_addrs_atom, std::vector<multiaddr>>,
  // Internal: returns the IDENTIFY addresses (ordered, without /p2p).
  caf::replies_to<ctl_listen_atom>::with<std::vector<multiaddr>>>;

/// The stream router: the swarm's handler for every protocol registered
/// with STREAM_HANDLER; bridges each inbound stream to the client's
/// listener.
using control_router_actor = stream_handler_actor::extend<
  // Routes protocols to a client listener; returns the protocols routed.
  caf::replies_to<ctl_register_atom, multiaddr,
                  std::vector<std::string>>::with<std::uint64_t>,
  // Internal: the bridge of a stream finished dialing the listener.
  caf::reacts_to<ctl_ready_atom, stream_key>>;

} // namespace canswarm
