#pragma once

// Base58btc (the Bitcoin alphabet), as used for libp2p peer ids and the 'z'
// multibase prefix.
//
// Deviations from spec: none.

#include <cstddef>
#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm {

/// Longest base58 text `base58btc_decode` accepts: the conversion is
/// quadratic, and no multiformats value we parse is anywhere near this.
inline constexpr std::size_t max_base58_text = 1024;

/// Encodes bytes as base58btc (leading zero bytes become '1').
std::string base58btc_encode(bytes_view data);

/// Decodes base58btc text. Fails with errc::malformed naming the bad
/// character, or errc::too_large over `max_base58_text` characters.
result<bytes> base58btc_decode(std::string_view text);

} // namespace canswarm
