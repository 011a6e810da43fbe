#pragma once

// The kinds of CAN Swarm envelope: the coordination verbs of a thread. The
// numbers are the `Kind` enum of pb/envelope.proto (0 means "missing").
//
// Naming: `to_string` gives the protocol name (UPDATE_PLAN), `verb` the
// lowercase name used in topics and subjects (update_plan); `parse_kind`
// accepts either, in any letter case.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "canswarm/error.hpp"

namespace canswarm::envelope {

/// What an envelope does in its thread (numbers as on the wire).
enum class kind : std::uint32_t {
  unspecified = 0, ///< Missing on the wire; never valid in an envelope.
  need = 1,
  propose = 2,
  claim = 3,
  commit = 4,
  attest = 5,
  decide = 6,
  finalize = 7,
  yield = 8,
  release = 9,
  update_plan = 10,
  attest_plan = 11,
  challenge = 12,
  invalidate = 13,
  reconcile = 14,
  checkpoint = 15,
};

/// Every valid kind, in wire-number order (excludes `unspecified`).
inline constexpr std::array<kind, 15> all_kinds = {
  kind::need,       kind::propose,     kind::claim,       kind::commit,
  kind::attest,     kind::decide,      kind::finalize,    kind::yield,
  kind::release,    kind::update_plan, kind::attest_plan, kind::challenge,
  kind::invalidate, kind::reconcile,   kind::checkpoint,
};

/// Returns whether `k` is one of `all_kinds`.
constexpr bool is_valid(kind k) {
  auto n = static_cast<std::uint32_t>(k);
  return n >= 1 && n <= all_kinds.size();
}

/// Returns the protocol name ("NEED", "UPDATE_PLAN", "UNSPECIFIED"), or
/// "UNKNOWN" for a number outside the enum.
const char* to_string(kind k);

/// Returns the topic/subject verb: the lowercase name ("need",
/// "update_plan").
std::string verb(kind k);

/// Parses a kind name in any letter case ("need", "NEED", "Update_Plan").
/// errc::invalid_argument naming the text for anything else, including
/// "unspecified".
result<kind> parse_kind(std::string_view name);

} // namespace canswarm::envelope
