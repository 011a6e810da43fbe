#pragma once

// Fixed identities and X25519 secrets of the noise_handshake fuzz target
// and its corpus generator: with the fake crypto of noise_fake_crypto.cpp
// every handshake between these two ends is reproducible, so recorded
// messages of an honest peer replay successfully in the fuzz target.

#include <optional>

#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/noise/handshake.hpp"

namespace canswarm::fuzz {

/// The Ed25519 identity of one end, from a fixed seed.
inline identity::private_key noise_identity(std::uint8_t fill) {
  bytes seed(32, fill);
  return *identity::private_key::ed25519_from_seed(seed);
}

/// The initiator's identity (seed 0x11 repeated).
inline const identity::private_key& initiator_identity() {
  static const auto key = noise_identity(0x11);
  return key;
}

/// The responder's identity (seed 0x22 repeated).
inline const identity::private_key& responder_identity() {
  static const auto key = noise_identity(0x22);
  return key;
}

/// A 32-byte secret filled with `fill`.
inline noise::key32 noise_secret(std::uint8_t fill) {
  noise::key32 k;
  k.fill(fill);
  return k;
}

/// The initiator: static 0x31.., ephemeral 0x41..; expects the responder's
/// peer id when `check_remote`.
inline noise::handshake make_initiator(bool check_remote) {
  std::optional<peer_id> expected;
  if (check_remote)
    expected = peer_id::from_public_key(responder_identity().public_key());
  return noise::handshake{noise::role::initiator, initiator_identity(),
                          noise_secret(0x31), noise_secret(0x41), expected};
}

/// The responder: static 0x32.., ephemeral 0x42...
inline noise::handshake make_responder() {
  return noise::handshake{noise::role::responder, responder_identity(),
                          noise_secret(0x32), noise_secret(0x42)};
}

} // namespace canswarm::fuzz
