#pragma once

// RFC 4648 base32 with the lowercase alphabet and no padding: the 'b'
// multibase used by CIDv1 strings.
//
// Deviations from spec: only lowercase is accepted on decode (the 'b'
// multibase is lowercase by definition; 'B' would be a different multibase).

#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm {

/// Encodes bytes as lowercase base32 without padding.
std::string base32_encode(bytes_view data);

/// Decodes lowercase unpadded base32. Fails with errc::malformed on a
/// character outside the alphabet, a '=' pad, an impossible length or
/// non-zero trailing bits.
result<bytes> base32_decode(std::string_view text);

} // namespace canswarm
