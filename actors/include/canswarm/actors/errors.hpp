#pragma once

// The node's CAF error category ("canswarm"), used as actor exit reasons.

#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "canswarm/error.hpp"

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

/// Carries a protocol-level `error` across actors as a CAF error of
/// `category`, with the message as context. CAF 0.17 treats code 0 as "no
/// error" and errc::invalid_argument is 0, so the CAF code is the errc plus
/// one.
caf::error wrap_error(const error& err, caf::atom_value category);

/// Unwraps an error made by wrap_error with the same `category`; a request
/// timeout becomes errc::timeout, any other CAF error errc::io, both with
/// CAF's rendering as message.
error unwrap_error(caf::actor_system& sys, const caf::error& err,
                   caf::atom_value category);

/// Renders an error for logs: "<code>: <context>" for the canswarm category,
/// the bare name for exit reasons ("user_shutdown"), CAF's rendering
/// otherwise.
std::string describe(caf::actor_system& sys, const caf::error& err);

} // namespace canswarm
