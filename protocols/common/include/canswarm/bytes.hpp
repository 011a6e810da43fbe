#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace canswarm {

/// An owned byte buffer.
using bytes = std::vector<std::uint8_t>;

/// A read-only view on bytes owned elsewhere.
using bytes_view = std::span<const std::uint8_t>;

/// Views the characters of a string as bytes.
inline bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Copies a string's characters into a byte buffer.
inline bytes to_bytes(std::string_view s) {
  auto v = as_bytes(s);
  return {v.begin(), v.end()};
}

/// Renders bytes as lowercase hex.
std::string to_hex(bytes_view data);

/// Parses hex, ignoring ASCII white space (so annotated golden vectors can be
/// written over several lines). Returns false on an odd digit count or a
/// non-hex character.
bool from_hex(std::string_view text, bytes& out);

/// Parses hex like `from_hex`, throwing std::invalid_argument on bad input
/// (for test vectors and constants).
bytes hex(std::string_view text);

/// Appends `src` to `dst`.
inline void append(bytes& dst, bytes_view src) {
  dst.insert(dst.end(), src.begin(), src.end());
}

} // namespace canswarm
