// Minimal DER reading (X.690 definite-length encoding) for RSA key sizes.

#include "der.hpp"

#include <algorithm>
#include <bit>
#include <iterator>

#include <fmt/format.h>

namespace canswarm::identity::detail {

namespace {

/// Length bytes accepted after a long-form length octet: 4 bytes address
/// 4 GiB, far beyond any key we accept.
constexpr std::size_t max_length_bytes = 4;

error malformed(std::string_view what, std::string_view reason) {
  return make_error(errc::malformed, fmt::format("{}: {}", what, reason));
}

} // namespace

result<der_element> read_der(bytes_view in, std::uint8_t tag,
                             std::string_view what) {
  if (in.size() < 2)
    return malformed(what, "truncated DER element");
  if (in[0] != tag)
    return malformed(what,
                     fmt::format("expected DER tag 0x{:02x}, got 0x{:02x}", tag,
                                 in[0]));
  std::size_t length = in[1];
  std::size_t header = 2;
  if (length & 0x80) {
    std::size_t count = length & 0x7f;
    if (count == 0 || count > max_length_bytes)
      return malformed(what, fmt::format("unsupported DER length form 0x{:02x}",
                                         in[1]));
    if (in.size() < 2 + count)
      return malformed(what, "truncated DER length");
    length = 0;
    for (std::size_t i = 0; i < count; ++i)
      length = length << 8 | in[2 + i];
    if (in[2] == 0 || length < 0x80)
      return malformed(what, "non-minimal DER length");
    header += count;
  }
  if (in.size() - header < length)
    return malformed(what,
                     fmt::format("DER element of {} bytes truncated to {}",
                                 length, in.size() - header));
  return der_element{tag, in.subspan(header, length), header + length};
}

result<std::size_t> der_integer_bits(bytes_view content,
                                     std::string_view what) {
  if (content.empty())
    return malformed(what, "empty DER INTEGER");
  if (content[0] & 0x80)
    return malformed(what, "negative DER INTEGER");
  if (content.size() > 1 && content[0] == 0 && !(content[1] & 0x80))
    return malformed(what, "non-minimal DER INTEGER");
  std::size_t i = 0;
  while (i < content.size() && content[i] == 0)
    ++i;
  if (i == content.size())
    return std::size_t{0};
  return (content.size() - i - 1) * 8
         + static_cast<std::size_t>(std::bit_width(content[i]));
}

result<spki_parts> read_spki(bytes_view spki, std::string_view what) {
  auto outer = read_der(spki, der_sequence, what);
  if (!outer)
    return outer.error();
  if (outer->size != spki.size())
    return malformed(what, "trailing bytes after the DER structure");
  auto algorithm = read_der(outer->content, der_sequence, what);
  if (!algorithm)
    return algorithm.error();
  auto oid = read_der(algorithm->content, der_oid, what);
  if (!oid)
    return oid.error();
  auto key_bits = read_der(outer->content.subspan(algorithm->size),
                           der_bit_string, what);
  if (!key_bits)
    return key_bits.error();
  if (algorithm->size + key_bits->size != outer->content.size())
    return malformed(what, "trailing bytes inside SubjectPublicKeyInfo");
  // The first BIT STRING content byte counts unused bits: must be 0.
  if (key_bits->content.empty() || key_bits->content[0] != 0)
    return malformed(what, "bad BIT STRING padding");
  return spki_parts{oid->content, algorithm->content.subspan(oid->size),
                    key_bits->content.subspan(1)};
}

std::string oid_name(bytes_view oid) {
  struct known {
    std::string_view hex;
    const char* name;
  };
  static constexpr known names[] = {
    {"2a864886f70d010101", "rsaEncryption"},
    {"2a864886f70d01010a", "RSASSA-PSS"},
    {"2a8648ce3d0201", "id-ecPublicKey"},
    {"2a8648ce3d030107", "prime256v1"},
    {"2b8104000a", "secp256k1"},
    {"2b81040022", "secp384r1"},
    {"2b81040023", "secp521r1"},
    {"2b6570", "Ed25519"},
    {"2b6571", "Ed448"},
  };
  auto text = to_hex(oid);
  for (const auto& n : names)
    if (n.hex == text)
      return n.name;
  return "OID " + text;
}

result<std::size_t> rsa_public_modulus_bits(bytes_view spki) {
  constexpr std::string_view what = "RSA public key";
  auto parts = read_spki(spki, what);
  if (!parts)
    return parts.error();
  if (!std::equal(parts->algorithm.begin(), parts->algorithm.end(),
                  std::begin(oid_rsa_encryption), std::end(oid_rsa_encryption)))
    return malformed(what, fmt::format("data holds a {} key, not "
                                       "rsaEncryption",
                                       oid_name(parts->algorithm)));
  auto rsa_key = read_der(parts->key, der_sequence, what);
  if (!rsa_key)
    return rsa_key.error();
  auto modulus = read_der(rsa_key->content, der_integer, what);
  if (!modulus)
    return modulus.error();
  return der_integer_bits(modulus->content, what);
}

result<std::size_t> rsa_private_modulus_bits(bytes_view pkcs1) {
  constexpr std::string_view what = "RSA private key";
  auto outer = read_der(pkcs1, der_sequence, what);
  if (!outer)
    return outer.error();
  if (outer->size != pkcs1.size())
    return malformed(what, "trailing bytes after the DER structure");
  auto version = read_der(outer->content, der_integer, what);
  if (!version)
    return version.error();
  auto modulus = read_der(outer->content.subspan(version->size), der_integer,
                          what);
  if (!modulus)
    return modulus.error();
  return der_integer_bits(modulus->content, what);
}

} // namespace canswarm::identity::detail
