#pragma once

// Restart policy of a supervisor: a pure object (no CAF, no clock) in the
// style of Erlang/OTP supervisors.
//
// - Strategy one_for_one: only the failed child is restarted.
// - Strategy rest_for_one: the failed child and every child started after it
//   are restarted (the later ones are stopped first, in reverse start order,
//   then all of them are started again in start order).
// - Intensity: at most `max_restarts` restarts within any sliding window of
//   `period`. A failure that would exceed it is not restarted: the supervisor
//   escalates (stops its children and terminates itself with an error, which
//   its own parent sees as a failure of that child).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "canswarm/error.hpp"
#include "canswarm/time.hpp"

namespace canswarm::supervision {

/// Which children are restarted when one fails.
enum class strategy : std::uint8_t {
  one_for_one, ///< Restart only the failed child.
  rest_for_one, ///< Restart the failed child and all children started after it.
};

/// Returns "one_for_one" or "rest_for_one".
const char* to_string(strategy);

/// Largest accepted `max_restarts`; the policy remembers at most this many
/// restart timestamps (the window never grows past `max_restarts`).
inline constexpr std::size_t max_intensity = 1000;

/// Default intensity: 3 restarts within 5 seconds (OTP's default is 1 in 5s;
/// a node with network components tolerates a few more transient failures).
inline constexpr std::size_t default_max_restarts = 3;
inline constexpr duration default_period = std::chrono::seconds{5};

/// Parameters of a restart policy.
struct policy_config {
  supervision::strategy strategy = strategy::one_for_one;
  std::size_t max_restarts = default_max_restarts;
  duration period = default_period;

  /// Checks max_restarts <= max_intensity and period > 0.
  result<void> validate() const;
};

/// What the supervisor should do about a failed child.
struct decision {
  /// True: intensity exceeded, restart nothing and escalate to the parent.
  bool escalate = false;
  /// Indices of the children to restart, in start order (ascending). For
  /// rest_for_one: the failed child followed by every later child.
  std::vector<std::size_t> restart;
};

/// Decides restarts and escalation from failures and their times.
class restart_policy {
public:
  /// Creates a policy; throws std::invalid_argument if `cfg` is invalid.
  explicit restart_policy(policy_config cfg = {});

  /// Records that child `child_index` (of `child_count` children, in start
  /// order) failed at `now` and decides what to do. Restarts granted by this
  /// call count towards the intensity; an escalation does not.
  decision on_child_failure(std::size_t child_index, std::size_t child_count,
                            time_point now);

  /// Returns how many restarts fall within the window ending at `now`.
  std::size_t restarts_in_window(time_point now) const;

  /// Returns the configuration.
  const policy_config& config() const {
    return cfg_;
  }

private:
  void expire(time_point now);

  policy_config cfg_;
  /// Times of granted restarts inside the current window, oldest first.
  std::deque<time_point> window_;
};

} // namespace canswarm::supervision
