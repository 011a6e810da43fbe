#pragma once

// The small crypto interface under the Noise layer: X25519 (libsodium),
// SHA-256 / HMAC-SHA256 and ChaCha20-Poly1305 (OpenSSL 3 EVP). Everything
// above this header is crypto-agnostic, so a fuzz build can link a different
// implementation of these functions.

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "canswarm/bytes.hpp"

struct evp_cipher_ctx_st; // OpenSSL's EVP_CIPHER_CTX

namespace canswarm::noise::detail {

/// Output size of SHA-256 (Noise HASHLEN).
inline constexpr std::size_t sha256_size = 32;

/// Poly1305 tag size.
inline constexpr std::size_t aead_tag_size = 16;

using digest = std::array<std::uint8_t, sha256_size>;
using key32 = std::array<std::uint8_t, 32>;

/// Derives the X25519 public key of a 32-byte secret (clamped internally).
key32 x25519_public(const key32& secret);

/// Computes X25519(secret, remote). Returns false when the result is the
/// all-zero value (remote is a low-order point), which Noise must reject.
bool x25519(const key32& secret, const key32& remote, key32& shared);

/// SHA-256 over the concatenation of `parts`.
digest sha256(std::initializer_list<bytes_view> parts);

/// HMAC-SHA256 keyed with `key` over the concatenation of `parts`.
digest hmac_sha256(bytes_view key, std::initializer_list<bytes_view> parts);

/// ChaCha20-Poly1305 (RFC 8439) under one fixed key. The EVP context lives
/// as long as this object, so per-message calls only reset the nonce.
class aead {
public:
  explicit aead(const key32& key);
  ~aead();
  aead(const aead&) = delete;
  aead& operator=(const aead&) = delete;

  /// Encrypts `len` bytes from `in` to `out` (may equal `in`) and writes the
  /// 16-byte tag to `tag`. The 96-bit nonce is 4 zero bytes followed by
  /// `counter` in little endian (Noise ChaChaPoly).
  void seal(std::uint64_t counter, bytes_view ad, const std::uint8_t* in,
            std::size_t len, std::uint8_t* out, std::uint8_t* tag);

  /// Decrypts `len` bytes from `in` to `out` (may equal `in`) and checks
  /// `tag`. Returns false on authentication failure (`out` is then garbage).
  bool open(std::uint64_t counter, bytes_view ad, const std::uint8_t* in,
            std::size_t len, std::uint8_t* out, const std::uint8_t* tag);

private:
  evp_cipher_ctx_st* ctx_;
};

} // namespace canswarm::noise::detail
