#include "canswarm/bytes.hpp"

#include <stdexcept>

namespace canswarm {

std::string to_hex(bytes_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (auto b : data) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

bool from_hex(std::string_view text, bytes& out) {
  out.clear();
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
      continue;
    auto v = hex_value(c);
    if (v < 0)
      return false;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return high < 0;
}

bytes hex(std::string_view text) {
  bytes out;
  if (!from_hex(text, out))
    throw std::invalid_argument("bad hex literal");
  return out;
}

} // namespace canswarm
