#pragma once

#include <caf/actor_system_config.hpp>

namespace canswarm {

/// Registers every message type and error category of the node with `cfg`.
/// Call once before constructing the actor system.
void add_message_types(caf::actor_system_config& cfg);

} // namespace canswarm
