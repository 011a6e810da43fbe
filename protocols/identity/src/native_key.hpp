#pragma once

// RSA, secp256k1 and ECDSA (P-256) keys through OpenSSL 3's EVP interface.
// Internal to canswarm_identity: keys.cpp calls these for every key type but
// Ed25519 (libsodium).
//
//   type       private Data (PrivateKey)      public Data (PublicKey)
//   RSA        PKCS#1 RSAPrivateKey DER       SubjectPublicKeyInfo DER
//   Secp256k1  32-byte scalar                 33-byte compressed point
//   ECDSA      SEC1 ECPrivateKey DER (P-256)  SubjectPublicKeyInfo DER
//
// Signatures: RSASSA-PKCS1-v1_5 with SHA-256; ECDSA over SHA-256 of the
// message, DER-encoded (secp256k1 signatures normalised to low S, BIP 62).

#include <cstddef>
#include <memory>

#include <openssl/evp.h>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"

namespace canswarm::identity::detail {

/// Frees an EVP_PKEY.
struct evp_pkey_free {
  void operator()(EVP_PKEY* key) const {
    EVP_PKEY_free(key);
  }
};

/// An owned EVP_PKEY.
using evp_pkey_ptr = std::unique_ptr<EVP_PKEY, evp_pkey_free>;

/// An OpenSSL key, shared read-only by copies of a private_key (OpenSSL 3
/// keys may be used from several threads once built).
struct native_key {
  evp_pkey_ptr pkey;
};

/// A private key decoded or generated through OpenSSL.
struct native_private {
  std::shared_ptr<const native_key> key;
  bytes data; ///< Canonical Data field of the PrivateKey protobuf.
  bytes public_data; ///< Data field of the matching PublicKey protobuf.
};

/// Decodes the Data field of a PrivateKey protobuf of `type` (not Ed25519),
/// checks it (size bounds, curve, consistency) and re-encodes it.
result<native_private> load_private(key_type type, bytes_view data);

/// Generates a key of `type` (not Ed25519); `rsa_bits` only for RSA.
result<native_private> generate_private(key_type type, std::size_t rsa_bits);

/// Decodes and checks the Data field of a PublicKey protobuf of `type`
/// (not Ed25519). RSA modulus bounds are checked on the DER before OpenSSL
/// parses the key.
result<evp_pkey_ptr> load_public(key_type type, bytes_view data);

/// Signs `message` (see the file comment for the scheme per type). Throws
/// std::runtime_error only if OpenSSL fails internally (out of memory).
bytes sign_native(key_type type, const native_key& key, bytes_view message);

/// Verifies `signature` of `message` under the public key `data`.
result<void> verify_native(key_type type, bytes_view data, bytes_view message,
                           bytes_view signature);

// Per-family parts (rsa_key.cpp, ec_key.cpp) and shared helpers
// (native_key.cpp).

/// RSA: decodes PKCS#1 DER; the modulus size is checked on the DER first.
result<native_private> rsa_load_private(bytes_view pkcs1);
/// RSA: decodes SubjectPublicKeyInfo DER; bounds checked on the DER first.
result<evp_pkey_ptr> rsa_load_public(bytes_view spki);
/// RSA: generates a key of `bits` (within bounds, else refused at once).
result<native_private> rsa_generate(std::size_t bits);

/// secp256k1 / P-256: decodes the private Data (scalar / SEC1 DER).
result<native_private> ec_load_private(key_type type, bytes_view data);
/// secp256k1 / P-256: decodes the public Data (the point is validated).
result<evp_pkey_ptr> ec_load_public(key_type type, bytes_view data);
/// secp256k1 / P-256: generates a key.
result<native_private> ec_generate(key_type type);
/// secp256k1 / P-256: checks a signature is strict DER of the right size.
result<void> ec_check_signature(key_type type, bytes_view signature);
/// secp256k1: rewrites a DER signature with s > n/2 to use n - s (BIP 62).
bytes secp256k1_low_s(bytes_view der);

/// DER of `key` through an OpenSSL i2d function (i2d_PUBKEY,
/// i2d_PrivateKey); throws std::runtime_error on failure.
bytes to_der(int (*i2d)(const EVP_PKEY*, unsigned char**), const EVP_PKEY* key);

/// Wraps a checked key: signs a probe message and verifies it under
/// `public_data`, so a key whose parts disagree is refused (errc::crypto).
result<native_private> finish_private(key_type type, evp_pkey_ptr key,
                                      bytes data, bytes public_data);

/// Throws std::runtime_error naming the failed OpenSSL call.
[[noreturn]] void openssl_failure(const char* call);

} // namespace canswarm::identity::detail
