#pragma once

// A minimal DER reader: just enough ASN.1 to find an RSA modulus in a
// SubjectPublicKeyInfo or a PKCS#1 RSAPrivateKey before OpenSSL sees the
// key, so an oversize key is refused without parsing (or verifying with)
// it. Internal to canswarm_identity.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::identity::detail {

/// DER tags used here.
inline constexpr std::uint8_t der_integer = 0x02;
inline constexpr std::uint8_t der_bit_string = 0x03;
inline constexpr std::uint8_t der_oid = 0x06;
inline constexpr std::uint8_t der_sequence = 0x30;

/// Object identifiers (content bytes) of the key algorithms and curves.
inline constexpr std::uint8_t oid_rsa_encryption[] = {0x2a, 0x86, 0x48,
                                                      0x86, 0xf7, 0x0d,
                                                      0x01, 0x01, 0x01};
inline constexpr std::uint8_t oid_ec_public_key[] = {0x2a, 0x86, 0x48, 0xce,
                                                     0x3d, 0x02, 0x01};
inline constexpr std::uint8_t oid_prime256v1[] = {0x2a, 0x86, 0x48, 0xce,
                                                  0x3d, 0x03, 0x01, 0x07};

/// One DER element (tag, length, content) read from the front of a buffer.
struct der_element {
  std::uint8_t tag = 0;
  bytes_view content;
  std::size_t size = 0; ///< Header plus content.
};

/// Reads one element with tag `tag` from the front of `in`. Definite
/// lengths only, minimally encoded, at most 4 length bytes; `what` names
/// the element in errors (errc::malformed).
result<der_element> read_der(bytes_view in, std::uint8_t tag,
                             std::string_view what);

/// Returns the bit length of a non-negative DER INTEGER's content.
/// errc::malformed for a negative or non-minimal integer.
result<std::size_t> der_integer_bits(bytes_view content, std::string_view what);

/// The parts of a SubjectPublicKeyInfo (RFC 5280): SEQUENCE {
/// SEQUENCE { OID algorithm, parameters }, BIT STRING key }.
struct spki_parts {
  bytes_view algorithm; ///< OID content bytes.
  bytes_view parameters; ///< Whole parameters element (may be empty).
  bytes_view key; ///< BIT STRING content after the unused-bits byte.
};

/// Splits a SubjectPublicKeyInfo; the whole of `spki` must be one element.
result<spki_parts> read_spki(bytes_view spki, std::string_view what);

/// Names a well-known algorithm or curve OID ("rsaEncryption",
/// "id-ecPublicKey", "prime256v1", "secp256k1", "Ed25519", ...), else its
/// hex content bytes.
std::string oid_name(bytes_view oid);

/// Returns the modulus size in bits of an RSA SubjectPublicKeyInfo (the
/// algorithm must be rsaEncryption: errc::malformed names another).
result<std::size_t> rsa_public_modulus_bits(bytes_view spki);

/// Returns the modulus size in bits of a PKCS#1 RSAPrivateKey
/// (SEQUENCE { INTEGER version, INTEGER n, ... }).
result<std::size_t> rsa_private_modulus_bits(bytes_view pkcs1);

} // namespace canswarm::identity::detail
