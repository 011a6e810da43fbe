#pragma once

// libp2p TLS certificates (spec, "Peer Authentication"): a self-signed X.509
// v3 certificate on a fresh ECDSA P-256 key unrelated to the host key,
// carrying the critical libp2p Public Key Extension (signed_key.hpp).
//
// Generation: serial = 64 random bits, empty subject and issuer, validity
// 1975-01-01 .. 4096-01-01 (fixed, so no clock is read; go uses now-1h ..
// now+100y, rust-libp2p the same fixed window as here), signed with
// ecdsa-with-SHA256.
//
// Verification of a remote certificate (verify_certificate), in order:
// size bound and strict DER; no issuer/subject unique ids; exactly one
// libp2p extension, every other critical extension known (basic
// constraints, key usage, extended key usage, key identifiers, subject alt
// name) or refused; EC keys on a named curve; a signature hash of at least
// 256 bits; a valid self-signature; NotBefore <= now < NotAfter; the host
// key protobuf valid for its type; the host-key signature over
// signing_prefix || SubjectPublicKeyInfo valid. The peer id is derived from
// the host key.
//
// Deviations from spec: none known. Certificates with issuer/subject unique
// ids are refused (the spec allows but does not require that).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"

struct evp_pkey_st; // OpenSSL's EVP_PKEY, kept out of this header.

namespace canswarm::tls {

/// Seconds since the UNIX epoch (UTC); the caller's wall clock.
using unix_time = std::int64_t;

/// NotBefore of generated certificates: 1975-01-01T00:00:00Z.
inline constexpr unix_time default_not_before = 157766400;

/// NotAfter of generated certificates: 4096-01-01T00:00:00Z.
inline constexpr unix_time default_not_after = 67090118400;

/// Largest certificate accepted from a remote peer (DER). A P-256
/// certificate whose extension carries an RSA-8192 host key (~1.1 KiB
/// protobuf + 1 KiB signature) is under 3 KiB; an RSA-4096 certificate key
/// adds ~1 KiB. Also bounds the TLS Certificate message.
inline constexpr std::size_t max_certificate_size = 16 * 1024;

/// The private key of a certificate (ECDSA P-256), shared by the
/// certificates made from it.
class certificate_key {
public:
  /// Generates a fresh P-256 key from OpenSSL's CSPRNG.
  static result<certificate_key> generate();

  /// Loads an unencrypted PKCS#8 PrivateKeyInfo (DER) of any key type
  /// OpenSSL can sign certificates with.
  static result<certificate_key> from_pkcs8(bytes_view der);

  /// Encodes as an unencrypted PKCS#8 PrivateKeyInfo (DER).
  bytes to_pkcs8() const;

  /// The DER SubjectPublicKeyInfo of the public half (what the host key
  /// signs).
  bytes spki() const;

  /// The OpenSSL key (borrowed; lives as long as this object).
  evp_pkey_st* native() const {
    return key_.get();
  }

private:
  explicit certificate_key(std::shared_ptr<evp_pkey_st> key)
      : key_(std::move(key)) {}

  std::shared_ptr<evp_pkey_st> key_;
};

/// An extra X.509 extension (mainly to build unusual certificates in tests).
struct raw_extension {
  std::string oid; ///< Dotted form, e.g. "2.5.29.19".
  bool critical = false;
  bytes value; ///< DER of the extension value (the OCTET STRING content).
};

/// Everything a self-signed certificate is built from.
struct certificate_fields {
  /// Value of the libp2p extension (a DER SignedKey); nullopt omits it.
  std::optional<bytes> libp2p_extension;
  bool libp2p_extension_critical = true;
  std::vector<raw_extension> extra_extensions;
  std::uint64_t serial = 1;
  unix_time not_before = default_not_before;
  unix_time not_after = default_not_after;
};

/// A self-signed certificate and its key, ready to present in a handshake.
class certificate {
public:
  /// A fresh key and a certificate whose libp2p extension binds it to
  /// `host` (random serial, default validity).
  static result<certificate> generate(const identity::private_key& host);

  /// Self-signs `fields` with `key` (ecdsa-with-SHA256 for EC keys, the
  /// key's own scheme for Ed25519). Builds exactly what is asked, including
  /// certificates a verifier must refuse.
  static result<certificate> self_sign(const certificate_key& key,
                                       const certificate_fields& fields);

  /// The certificate's DER encoding.
  const bytes& der() const {
    return der_;
  }

  /// The key whose public half the certificate carries.
  const certificate_key& key() const {
    return key_;
  }

private:
  certificate(certificate_key key, bytes der)
      : key_(std::move(key)), der_(std::move(der)) {}

  certificate_key key_;
  bytes der_;
};

/// What a valid remote certificate proves.
struct verified_certificate {
  identity::public_key public_key; ///< The remote host key.
  peer_id peer; ///< Derived from `public_key`.
};

/// Verifies a remote certificate (DER) at wall-clock time `now` as listed
/// in the file comment. Errors: errc::too_large (over
/// max_certificate_size), errc::malformed (bad DER, bad SignedKey, host key
/// invalid for its type), errc::protocol ("certificate without libp2p
/// extension", duplicate extension, unique ids), errc::unsupported
/// (unknown critical extension, signature algorithm or key type that cannot
/// be verified), errc::refused (hash under 256 bits, explicit curve,
/// outside the validity window), errc::crypto (self-signature or "libp2p
/// extension signature invalid").
result<verified_certificate> verify_certificate(bytes_view der, unix_time now);

} // namespace canswarm::tls
