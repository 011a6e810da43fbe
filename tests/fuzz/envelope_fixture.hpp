#pragma once

// The fixed clock of the envelope fuzz target and its corpus generator:
// seeds are signed at `envelope_seed_time`, and the target validates them
// at that time plus an offset taken from the input, so valid seeds pass the
// gate's timestamp rule and reach the signature and replay checks.

#include <cstdint>

namespace canswarm::fuzz {

/// 2023-11-14T22:13:20Z in Unix nanoseconds.
inline constexpr std::uint64_t envelope_seed_time = 1'700'000'000'000'000'000;

} // namespace canswarm::fuzz
