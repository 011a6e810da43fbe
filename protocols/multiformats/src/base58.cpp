// Base58btc: big-number conversion between base 256 and base 58, with each
// leading zero byte written as a leading '1'.

#include "canswarm/multiformats/base58.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace canswarm {

namespace {

constexpr std::string_view alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefg"
                                      "hijkmnopqrstuvwxyz";

/// Maps an ASCII character to its digit value, or -1.
constexpr std::array<int, 128> make_digit_table() {
  std::array<int, 128> table{};
  for (auto& x : table)
    x = -1;
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
  return table;
}

constexpr auto digit_table = make_digit_table();

} // namespace

std::string base58btc_encode(bytes_view data) {
  std::size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0)
    ++zeros;
  // log(256) / log(58) < 1.37: enough digits for the remaining bytes.
  std::vector<std::uint8_t> digits((data.size() - zeros) * 137 / 100 + 1, 0);
  std::size_t used = 0; // Significant digits, stored little-endian.
  for (std::size_t i = zeros; i < data.size(); ++i) {
    unsigned carry = data[i];
    std::size_t j = 0;
    for (; j < used || carry != 0; ++j) {
      carry += 256u * digits[j];
      digits[j] = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    used = j;
  }
  std::string out(zeros, '1');
  out.reserve(zeros + used);
  for (std::size_t j = used; j-- > 0;)
    out.push_back(alphabet[digits[j]]);
  return out;
}

result<bytes> base58btc_decode(std::string_view text) {
  if (text.size() > max_base58_text)
    return make_error(errc::too_large,
                      fmt::format("base58 text is {} characters, over the "
                                  "{}-character limit",
                                  text.size(), max_base58_text));
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1')
    ++ones;
  // log(58) / log(256) < 0.74: enough bytes for the remaining digits.
  bytes value((text.size() - ones) * 74 / 100 + 1, 0);
  std::size_t used = 0; // Significant bytes, stored little-endian.
  for (std::size_t i = ones; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    int digit = c < digit_table.size() ? digit_table[c] : -1;
    if (digit < 0)
      return make_error(errc::malformed,
                        fmt::format("invalid base58 character '{}' at "
                                    "offset {}",
                                    text[i], i));
    unsigned carry = static_cast<unsigned>(digit);
    std::size_t j = 0;
    for (; j < used || carry != 0; ++j) {
      carry += 58u * value[j];
      value[j] = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    used = j;
  }
  bytes out(ones, 0);
  out.reserve(ones + used);
  for (std::size_t j = used; j-- > 0;)
    out.push_back(value[j]);
  return out;
}

} // namespace canswarm
