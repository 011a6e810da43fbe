#pragma once

// The libp2p Public Key Extension of the libp2p TLS spec: an X.509 extension
// with OID 1.3.6.1.4.1.53594.1.1 whose value is the DER encoding of
//
//   SignedKey ::= SEQUENCE {
//     publicKey OCTET STRING,  -- libp2p PublicKey protobuf of the host key
//     signature OCTET STRING   -- host-key signature over
//   }                          -- "libp2p-tls-handshake:" || certificate SPKI
//
// Deviations from spec: the spec text still says BIT STRING; every
// implementation (go, rust, js) uses OCTET STRING, and so do we. The decoder
// is strict DER: exactly two primitive OCTET STRINGs with minimal definite
// lengths and nothing after them (go-libp2p forks that append an optional
// "network cookie" third field are refused).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"

namespace canswarm::tls {

/// Dotted form of the libp2p Public Key Extension OID (IANA PEN 53594).
inline constexpr std::string_view extension_oid = "1.3.6.1.4.1.53594.1.1";

/// DER content octets of `extension_oid` (without tag and length), compared
/// byte for byte against certificate extensions.
inline constexpr std::array<std::uint8_t, 10> extension_oid_der = {0x2b, 0x06,
                                                                   0x01, 0x04,
                                                                   0x01, 0x83,
                                                                   0xa2, 0x5a,
                                                                   0x01, 0x01};

/// What the host key signs, followed by the certificate's DER
/// SubjectPublicKeyInfo (spec, "libp2p Public Key Extension").
inline constexpr std::string_view signing_prefix = "libp2p-tls-handshake:";

/// Largest host-key signature accepted: RSA-8192 (go-libp2p's maximum RSA
/// size) signs with 1024 bytes; Ed25519 64, ECDSA/secp256k1 DER <= 72.
inline constexpr std::size_t max_signature_size = 1024;

/// Largest SignedKey DER accepted: both fields at their bounds plus the
/// tag/length headers (4 bytes each at most for these sizes).
inline constexpr std::size_t max_signed_key_size = identity::
                                                     max_key_protobuf_size
                                                   + max_signature_size + 3 * 4;

/// The decoded SignedKey.
struct signed_key {
  bytes public_key; ///< libp2p PublicKey protobuf of the host key.
  bytes signature; ///< Host-key signature over `signing_message(spki)`.

  friend bool operator==(const signed_key&, const signed_key&) = default;
};

/// Returns `signing_prefix` || `spki` (the bytes the host key signs).
bytes signing_message(bytes_view spki);

/// Builds the SignedKey for a certificate whose DER SubjectPublicKeyInfo is
/// `spki`: `host`'s public key protobuf and its signature.
signed_key sign_certificate_key(const identity::private_key& host,
                                bytes_view spki);

/// Encodes as DER. Fails with errc::too_large when a field is over its bound
/// (identity::max_key_protobuf_size, max_signature_size).
result<bytes> encode_signed_key(const signed_key& key);

/// Decodes strict DER (see the file comment). Oversize lengths are
/// errc::too_large before anything is copied; every other deviation is
/// errc::malformed naming the offending field.
result<signed_key> decode_signed_key(bytes_view der);

} // namespace canswarm::tls
