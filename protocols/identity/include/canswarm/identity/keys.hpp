#pragma once

// libp2p keys: the PublicKey / PrivateKey protobuf messages of the libp2p
// peer-id spec (field 1 Type: KeyType enum, field 2 Data: bytes) and Ed25519
// signing through libsodium.
//
// Deviations from spec: only Ed25519 keys sign and verify. RSA, secp256k1 and
// ECDSA public keys are parsed and stored (so their peer ids work) but do not
// verify; such private keys are refused with errc::unsupported.

#include <cstddef>
#include <string_view>
#include <utility>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::identity {

/// The KeyType enum of the libp2p key protobuf.
enum class key_type : int { rsa = 0, ed25519 = 1, secp256k1 = 2, ecdsa = 3 };

/// Returns "RSA", "Ed25519", "Secp256k1" or "ECDSA".
const char* to_string(key_type type);

/// Largest key protobuf accepted: a bound on what a remote peer can send
/// (identify, noise handshake payloads); an RSA-8192 public key is ~1.1 KiB.
inline constexpr std::size_t max_key_protobuf_size = 4096;

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
  /// missing fields and wrong wire types are errc::malformed; an Ed25519 key
  /// must be 32 bytes.
  static result<public_key> from_protobuf(bytes_view encoded);

  /// Encodes as a libp2p PublicKey protobuf (field 1, then field 2).
  bytes to_protobuf() const;

  /// Wraps a raw 32-byte Ed25519 public key.
  static result<public_key> ed25519(bytes_view raw32);

  /// Returns whether `signature` is a valid signature of `message`; false on
  /// any failure, including unsupported key types.
  bool verify(bytes_view message, bytes_view signature) const;

  /// Like `verify`, with the specific reason on failure (errc::crypto for a
  /// bad signature, errc::unsupported for non-Ed25519 keys).
  result<void> check_verify(bytes_view message, bytes_view signature) const;

  friend bool operator==(const public_key&, const public_key&) = default;

private:
  key_type type_ = key_type::ed25519;
  bytes data_;
};

/// A private key. Currently always Ed25519.
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

  /// Decodes a libp2p PrivateKey protobuf. Ed25519 data may be 64 bytes
  /// (seed || public key) or 96 bytes (go's legacy layout repeating the
  /// public key; the repeat must match). Other key types are
  /// errc::unsupported "<type> keys are not yet supported".
  static result<private_key> from_protobuf(bytes_view encoded);

  /// Encodes as a libp2p PrivateKey protobuf, Ed25519 data as 64 bytes.
  bytes to_protobuf() const;

  /// Returns the key type.
  key_type type() const {
    return key_type::ed25519;
  }

  /// Returns the matching public key.
  identity::public_key public_key() const;

  /// Signs `message` (Ed25519: 64-byte detached signature).
  bytes sign(bytes_view message) const;

private:
  explicit private_key(bytes secret) : secret_(std::move(secret)) {}

  bytes secret_; ///< libsodium's 64-byte secret key: seed || public key.
};

} // namespace canswarm::identity
