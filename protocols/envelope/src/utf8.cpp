#include "utf8.hpp"

#include <cstdint>

namespace canswarm::envelope::detail {

bool valid_utf8(std::string_view text) {
  auto at = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  std::size_t i = 0;
  while (i < text.size()) {
    auto b = at(i);
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint8_t lo = 0x80;
    std::uint8_t hi = 0xbf; // range of the first continuation byte
    if (b >= 0xc2 && b <= 0xdf) {
      len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b == 0xe0)
        lo = 0xa0; // overlong
      else if (b == 0xed)
        hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b == 0xf0)
        lo = 0x90; // overlong
      else if (b == 0xf4)
        hi = 0x8f; // above U+10FFFF
    } else {
      return false;
    }
    if (text.size() - i < len)
      return false;
    if (at(i + 1) < lo || at(i + 1) > hi)
      return false;
    for (std::size_t k = 2; k < len; ++k)
      if (at(i + k) < 0x80 || at(i + k) > 0xbf)
        return false;
    i += len;
  }
  return true;
}

} // namespace canswarm::envelope::detail
