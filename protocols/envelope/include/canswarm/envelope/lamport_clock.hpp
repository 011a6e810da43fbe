#pragma once

// Lamport logical clock (Lamport 1978, "Time, Clocks, and the Ordering of
// Events"): tick before each send, observe the `lamport` of each accepted
// envelope. If a sends m and b receives m before sending m', then
// m.lamport < m'.lamport.
//
// Deviations: the clock saturates at the largest uint64 instead of
// wrapping, so a remote peer that sends a huge value can stall ordering but
// never make time go backwards.

#include <cstdint>
#include <limits>

namespace canswarm::envelope {

/// A Lamport clock. Starts at 0, so the first send carries 1 (envelopes with
/// lamport 0 are rejected).
class lamport_clock {
public:
  /// Largest value; the clock stays there once reached.
  static constexpr std::uint64_t max_value = std::numeric_limits<
    std::uint64_t>::max();

  lamport_clock() = default;

  /// Starts at `start` (e.g. restored from a checkpoint).
  explicit lamport_clock(std::uint64_t start) : value_(start) {}

  /// Advances for a local send and returns the value to put in the
  /// envelope.
  std::uint64_t tick() {
    if (value_ < max_value)
      ++value_;
    return value_;
  }

  /// Merges the `lamport` of a received envelope: max(local, remote) + 1.
  /// Returns the new value.
  std::uint64_t observe(std::uint64_t remote) {
    if (remote > value_)
      value_ = remote;
    return tick();
  }

  /// Returns the current value (the last one sent or observed).
  std::uint64_t value() const {
    return value_;
  }

private:
  std::uint64_t value_ = 0;
};

} // namespace canswarm::envelope
