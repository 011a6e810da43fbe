#pragma once

// The node's CAF error category ("canswarm"), used as actor exit reasons.

#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace canswarm {

/// Error codes of the "canswarm" CAF error category.
enum class actor_errc : std::uint8_t {
  /// A supervisor's children failed more often than its intensity allows.
  restart_intensity_exceeded = 1,
  /// A supervisor could not start a child.
  child_start_failed = 2,
  /// A transport could not open a listener.
  listen_failed = 3,
  /// A supervisor has no running child of the requested name.
  no_such_child = 4,
};

/// Returns the code's name, e.g. "restart_intensity_exceeded".
std::string to_string(actor_errc);

/// The category atom of actor_errc errors.
inline constexpr caf::atom_value actor_error_category = caf::atom("canswarm");

/// Creates an error of the canswarm category carrying `context` text.
caf::error make_error(actor_errc code, std::string context);

/// Renders an error for logs: "<code>: <context>" for the canswarm category,
/// the bare name for exit reasons ("user_shutdown"), CAF's rendering
/// otherwise.
std::string describe(caf::actor_system& sys, const caf::error& err);

} // namespace canswarm
