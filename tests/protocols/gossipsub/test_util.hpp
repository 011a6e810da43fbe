#pragma once

// Helpers shared by the gossipsub tests: deterministic keys and peer ids.

#include <cstdint>
#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"

namespace gossipsub_test {

/// Parses hex written with `#` comments to the end of each line (annotated
/// golden vectors).
inline canswarm::bytes annotated_hex(std::string_view text) {
  std::string digits;
  bool comment = false;
  for (char c : text) {
    if (c == '\n')
      comment = false;
    else if (c == '#')
      comment = true;
    else if (!comment)
      digits.push_back(c);
  }
  return canswarm::hex(digits);
}

/// The Ed25519 key whose 32-byte seed is first, first+1, ..., first+31.
inline canswarm::identity::private_key key_from_seed(std::uint8_t first) {
  canswarm::bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i)
    seed[i] = static_cast<std::uint8_t>(first + i);
  return *canswarm::identity::private_key::ed25519_from_seed(seed);
}

/// The peer id of `key`.
inline canswarm::peer_id peer_of(const canswarm::identity::private_key& key) {
  return canswarm::peer_id::from_public_key(key.public_key());
}

} // namespace gossipsub_test
