#pragma once

// libp2p keys: the PublicKey / PrivateKey protobuf messages of the libp2p
// peer-id spec (field 1 Type: KeyType enum, field 2 Data: bytes) for all
// four key types. Ed25519 signs through libsodium; RSA, secp256k1 and ECDSA
// through OpenSSL 3:
//
//   type       private Data                  public Data        signature
//   Ed25519    seed || public (64 bytes)     32 bytes           RFC 8032
//   RSA        PKCS#1 RSAPrivateKey DER      PKIX SPKI DER      PKCS1-v1_5,
//                                                               SHA-256
//   Secp256k1  32-byte scalar                33-byte compressed DER ECDSA of
//                                            point              SHA-256, low S
//   ECDSA      SEC1 ECPrivateKey DER, P-256  PKIX SPKI DER      DER ECDSA of
//                                                               SHA-256
//
// Public keys are validated when decoded (RSA size bounds, curve, point on
// the curve), so a `public_key` value always holds a usable key.
//
// Deviations from spec: RSA moduli must be `min_rsa_bits`..`max_rsa_bits`
// (go-libp2p's bounds; the spec names none). ECDSA keys must be on P-256
// (go-libp2p parses other curves, but generates P-256 only). Our secp256k1
// signatures always have a low S (BIP 62; js-libp2p refuses high S); we
// accept high S when verifying, as go-libp2p does.

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::identity {

/// The KeyType enum of the libp2p key protobuf.
enum class key_type : int { rsa = 0, ed25519 = 1, secp256k1 = 2, ecdsa = 3 };

/// Returns "RSA", "Ed25519", "Secp256k1" or "ECDSA".
const char* to_string(key_type type);

/// Largest public key protobuf accepted: a bound on what a remote peer can
/// send (identify, noise handshake payloads); an RSA-8192 public key is
/// ~1.1 KiB.
inline constexpr std::size_t max_key_protobuf_size = 4096;

/// Largest private key protobuf accepted (key files only): an RSA-8192
/// PKCS#1 key is ~4.7 KiB.
inline constexpr std::size_t max_private_key_protobuf_size = 8192;

/// Smallest RSA modulus accepted (go-libp2p's MinRsaKeyBits).
inline constexpr std::size_t min_rsa_bits = 2048;

/// Largest RSA modulus accepted (go-libp2p's maxRsaKeyBits): larger keys
/// are refused from their DER length fields, before any parsing or
/// verification, so a peer cannot make us verify with a huge key.
inline constexpr std::size_t max_rsa_bits = 8192;

namespace detail {
struct native_key;
struct native_private;
} // namespace detail

/// A public key of any libp2p key type.
class public_key {
public:
  /// Returns the key type.
  key_type type() const {
    return type_;
  }

  /// Returns the type-specific key bytes as carried in the protobuf (raw 32
  /// bytes for Ed25519, DER for RSA/ECDSA, compressed point for secp256k1).
  const bytes& data() const {
    return data_;
  }

  /// Decodes a libp2p PublicKey protobuf. Strict: unknown, duplicate or
  /// missing fields and wrong wire types are errc::malformed; the Data field
  /// must be a valid key of the Type (see `from_data`).
  static result<public_key> from_protobuf(bytes_view encoded);

  /// Validates the Data field of a key of `type`: Ed25519 32 bytes; RSA
  /// SPKI DER of `min_rsa_bits`..`max_rsa_bits` (errc::refused under,
  /// errc::too_large over, checked before OpenSSL parses the DER);
  /// secp256k1 a 33-byte compressed point on the curve; ECDSA SPKI DER of
  /// a P-256 point (errc::unsupported for other curves). errc::malformed
  /// for bad encodings and a key of another type, errc::crypto for a point
  /// not on the curve.
  static result<public_key> from_data(key_type type, bytes_view data);

  /// Encodes as a libp2p PublicKey protobuf (field 1, then field 2).
  bytes to_protobuf() const;

  /// Wraps a raw 32-byte Ed25519 public key.
  static result<public_key> ed25519(bytes_view raw32);

  /// Returns whether `signature` is a valid signature of `message`; false on
  /// any failure.
  bool verify(bytes_view message, bytes_view signature) const;

  /// Like `verify`, with the specific reason on failure (errc::crypto: wrong
  /// signature size or encoding, or "<type> signature does not verify").
  result<void> check_verify(bytes_view message, bytes_view signature) const;

  friend bool operator==(const public_key&, const public_key&) = default;

private:
  friend class private_key;

  key_type type_ = key_type::ed25519;
  bytes data_;
};

/// A private key of any libp2p key type. Copies share the (immutable)
/// OpenSSL key; the secret bytes are wiped on destruction.
class private_key {
public:
  private_key(const private_key&) = default;
  private_key(private_key&&) noexcept = default;
  private_key& operator=(const private_key&) = default;
  private_key& operator=(private_key&&) noexcept = default;

  /// Wipes the secret bytes.
  ~private_key();

  /// Generates a fresh Ed25519 key from libsodium's CSPRNG.
  static private_key generate_ed25519();

  /// Creates an Ed25519 key from its 32-byte seed.
  static result<private_key> ed25519_from_seed(bytes_view seed32);

  /// Generates an RSA key of `bits` (e = 65537). errc::refused under
  /// `min_rsa_bits`, errc::too_large over `max_rsa_bits`.
  static result<private_key> generate_rsa(std::size_t bits = min_rsa_bits);

  /// Generates a secp256k1 key.
  static private_key generate_secp256k1();

  /// Generates an ECDSA key on P-256.
  static private_key generate_ecdsa();

  /// Decodes a libp2p PrivateKey protobuf (at most
  /// `max_private_key_protobuf_size` bytes). Ed25519 data may be 64 bytes
  /// (seed || public key) or 96 bytes (go's legacy layout repeating the
  /// public key; the repeat must match). RSA: PKCS#1 DER within the size
  /// bounds; secp256k1: a 32-byte scalar in [1, n-1]; ECDSA: SEC1 DER on
  /// P-256. Every key must sign a probe message that verifies under its
  /// public key (errc::crypto otherwise).
  static result<private_key> from_protobuf(bytes_view encoded);

  /// Encodes as a libp2p PrivateKey protobuf: Ed25519 data as 64 bytes,
  /// other types in their canonical DER / scalar form (as go-libp2p does).
  bytes to_protobuf() const;

  /// Returns the key type.
  key_type type() const {
    return type_;
  }

  /// Returns the matching public key.
  identity::public_key public_key() const;

  /// Signs `message` (see the table at the top of this file). Throws
  /// std::runtime_error only if OpenSSL fails internally (out of memory).
  bytes sign(bytes_view message) const;

private:
  private_key(key_type type, bytes secret,
              std::shared_ptr<const detail::native_key> native,
              identity::public_key pub);

  /// Wraps libsodium's 64-byte secret key (seed || public key).
  static private_key from_sodium_secret(bytes secret);

  /// Wraps a key loaded or generated through OpenSSL.
  static private_key from_native(key_type type, detail::native_private native);

  key_type type_;
  /// The PrivateKey Data field; for Ed25519 libsodium's 64-byte secret key
  /// (seed || public key).
  bytes secret_;
  std::shared_ptr<const detail::native_key> native_; ///< Non-Ed25519 only.
  identity::public_key public_;
};

} // namespace canswarm::identity
