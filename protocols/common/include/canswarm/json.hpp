#pragma once

// JSON text helpers shared by the agent tools and the control API's
// CANSWARM_STATS document (the project writes JSON, it never parses it).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace canswarm {

/// Returns whether `s` is well-formed UTF-8 (no overlongs, surrogates or
/// code points over U+10FFFF).
inline bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80         ? 1
                      : (c >> 5) == 6  ? 2
                      : (c >> 4) == 14 ? 3
                      : (c >> 3) == 30 ? 4
                                       : 0;
    if (len == 0 || i + len > s.size())
      return false;
    std::uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr std::uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

/// Returns `s` as a JSON string literal. Text that is not UTF-8 has each
/// byte >= 0x80 escaped as \u00XX (read as Latin-1), so the line stays JSON.
inline std::string json_string(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  bool utf8 = is_utf8(s);
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
      out += "\\u00";
      out += digits[c >> 4];
      out += digits[c & 0xf];
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

} // namespace canswarm
