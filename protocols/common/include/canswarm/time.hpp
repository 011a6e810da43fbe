#pragma once

#include <chrono>

namespace canswarm {

/// Protocol objects never read a clock: callers pass `now` of this type
/// (the monotonic clock in actors, a virtual clock in simulations).
using time_point = std::chrono::steady_clock::time_point;
using duration = std::chrono::steady_clock::duration;

/// "No deadline".
inline constexpr time_point no_deadline = time_point::max();

} // namespace canswarm
