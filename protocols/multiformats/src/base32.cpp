// RFC 4648 base32, lowercase alphabet, no padding: 5 bytes <-> 8 characters,
// a final partial group uses 2, 4, 5 or 7 characters.

#include "canswarm/multiformats/base32.hpp"

#include <fmt/format.h>

namespace canswarm {

namespace {

constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz234567";

int digit_of(char c) {
  if (c >= 'a' && c <= 'z')
    return c - 'a';
  if (c >= '2' && c <= '7')
    return c - '2' + 26;
  return -1;
}

} // namespace

std::string base32_encode(bytes_view data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (auto byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(alphabet[(buffer >> bits) & 0x1f]);
    }
  }
  if (bits > 0)
    out.push_back(alphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

result<bytes> base32_decode(std::string_view text) {
  // Unpadded lengths modulo 8 that RFC 4648 can produce.
  switch (text.size() % 8) {
    case 1:
    case 3:
    case 6:
      return make_error(errc::malformed,
                        fmt::format("base32 text length {} is impossible",
                                    text.size()));
    default: break;
  }
  bytes out;
  out.reserve(text.size() * 5 / 8);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    int digit = digit_of(text[i]);
    if (digit < 0)
      return make_error(errc::malformed,
                        fmt::format("invalid base32 character '{}' at "
                                    "offset {}",
                                    text[i], i));
    buffer = (buffer << 5) | static_cast<std::uint32_t>(digit);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xff));
    }
  }
  if ((buffer & ((1u << bits) - 1)) != 0)
    return make_error(errc::malformed,
                      "base32 text has non-zero trailing bits");
  return out;
}

} // namespace canswarm
