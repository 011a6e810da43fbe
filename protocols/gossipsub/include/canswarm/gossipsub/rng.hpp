#pragma once

// A small deterministic random number generator (xoshiro256**, seeded
// through splitmix64) for peer selection, so that simulations with the
// same seed replay exactly. Not for cryptographic use.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace canswarm::gossipsub {

/// Deterministic pseudo-random generator.
class rng {
public:
  /// Seeds the generator; equal seeds give equal sequences.
  explicit rng(std::uint64_t seed) {
    for (auto& s : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }

  /// Returns the next 64 random bits.
  std::uint64_t next() {
    auto result = rotl(state_[1] * 5, 7) * 9;
    auto t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Returns a value uniformly in [0, n) (n > 0).
  std::size_t below(std::size_t n) {
    // Multiply-shift reduction; the bias is below 2^-32 for our sizes.
    return static_cast<std::size_t>((static_cast<unsigned __int128>(next()) * n)
                                    >> 64);
  }

  /// Returns a double uniformly in [0, 1).
  double uniform() {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
  }

  /// Shuffles `v` in place (Fisher-Yates).
  template<class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i)
      std::swap(v[i - 1], v[below(i)]);
  }

private:
  static std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }

  std::uint64_t state_[4];
};

} // namespace canswarm::gossipsub
