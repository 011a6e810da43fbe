#pragma once

// Deterministic keys and frame helpers shared by the noise tests.

#include <doctest/doctest.h>

#include <cstdint>

#include "canswarm/bytes.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/noise/cipher_state.hpp"

namespace noise_test {

using namespace canswarm;

/// 32 bytes start, start+1, ..., start+31 (the keys of libp2p_vector.py).
inline noise::key32 seq32(std::uint8_t start) {
  noise::key32 k;
  for (std::size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<std::uint8_t>(start + i);
  return k;
}

/// An Ed25519 identity from a deterministic seed.
inline identity::private_key identity_from(std::uint8_t start) {
  auto seed = seq32(start);
  auto key = identity::private_key::ed25519_from_seed(seed);
  REQUIRE(key);
  return *key;
}

inline peer_id peer_of(const identity::private_key& key) {
  return peer_id::from_public_key(key.public_key());
}

/// Wraps a Noise message in the 2-byte big-endian length prefix.
inline bytes framed(bytes_view message) {
  bytes out{static_cast<std::uint8_t>(message.size() >> 8),
            static_cast<std::uint8_t>(message.size())};
  append(out, message);
  return out;
}

/// Strips the length prefix of a single frame (checking it).
inline bytes unframed(const bytes& frame) {
  REQUIRE(frame.size() >= 2);
  auto len = (std::size_t{frame[0]} << 8) | frame[1];
  REQUIRE(frame.size() == 2 + len);
  return bytes{frame.begin() + 2, frame.end()};
}

} // namespace noise_test
