#pragma once

// The CipherState and SymmetricState objects of the Noise Protocol Framework
// (revision 34, sections 5.1 and 5.2) for the cipher suite ChaChaPoly_SHA256:
// ChaCha20-Poly1305 with the nonce 0^32 || LE64(n), SHA-256, HMAC-SHA256 and
// the Noise HKDF.
//
// Deviations from spec: Rekey() is not provided (noise-libp2p never rekeys).

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>
#include <utility>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::noise {

namespace detail {
class aead;
} // namespace detail

/// Noise HASHLEN for SHA-256.
inline constexpr std::size_t hash_size = 32;

/// Noise DHLEN for Curve25519.
inline constexpr std::size_t dh_size = 32;

/// Poly1305 tag appended to every ciphertext (Noise spec 5.1).
inline constexpr std::size_t tag_size = 16;

/// Nonce 2^64-1 is reserved (Noise spec 5.1); a cipher refuses to use it.
inline constexpr std::uint64_t max_nonce = std::numeric_limits<
  std::uint64_t>::max();

/// A 32-byte key, hash or X25519 value.
using key32 = std::array<std::uint8_t, 32>;

/// Noise CipherState: a key (possibly empty) and a 64-bit nonce counter.
class cipher_state {
public:
  /// Starts without a key: encryption and decryption are the identity.
  cipher_state();
  ~cipher_state();
  cipher_state(cipher_state&&) noexcept;
  cipher_state& operator=(cipher_state&&) noexcept;

  /// InitializeKey(k): sets the key and resets the nonce to zero.
  void initialize_key(const key32& key);

  /// HasKey().
  bool has_key() const {
    return aead_ != nullptr;
  }

  /// SetNonce(n).
  void set_nonce(std::uint64_t n) {
    nonce_ = n;
  }

  /// Returns the next nonce.
  std::uint64_t nonce() const {
    return nonce_;
  }

  /// EncryptWithAd(ad, plaintext), appending the ciphertext (with its tag
  /// when a key is set) to `out`. Fails with errc::refused once the nonce
  /// space is exhausted.
  result<void> encrypt_with_ad(bytes_view ad, bytes_view plaintext, bytes& out);

  /// DecryptWithAd(ad, ciphertext), appending the plaintext to `out`. An
  /// authentication failure is errc::crypto and leaves the nonce and `out`
  /// unchanged.
  result<void> decrypt_with_ad(bytes_view ad, bytes_view ciphertext,
                               bytes& out);

  /// Encrypts `len` bytes from `in` into `out` (which may equal `in`) and
  /// writes the tag after them (`out` must have room for len + tag_size).
  /// Requires a key. For the transport path, which frames directly into a
  /// caller-owned buffer.
  result<void> seal_to(const std::uint8_t* in, std::size_t len,
                       std::uint8_t* out);

  /// Decrypts `len` bytes from `in` (followed by their tag) into `out`
  /// (which may equal `in`). Requires a key; errc::crypto on a bad tag.
  result<void> open_to(const std::uint8_t* in, std::size_t len,
                       std::uint8_t* out);

private:
  result<void> check_nonce() const;

  std::unique_ptr<detail::aead> aead_;
  std::uint64_t nonce_ = 0;
};

/// Noise SymmetricState: a CipherState plus the chaining key `ck` and the
/// handshake hash `h`.
class symmetric_state {
public:
  /// InitializeSymmetric(protocol_name).
  explicit symmetric_state(std::string_view protocol_name);

  /// MixKey(input_key_material).
  void mix_key(bytes_view input_key_material);

  /// MixHash(data).
  void mix_hash(bytes_view data);

  /// EncryptAndHash(plaintext), appending the ciphertext to `out`.
  result<void> encrypt_and_hash(bytes_view plaintext, bytes& out);

  /// DecryptAndHash(ciphertext), appending the plaintext to `out`.
  result<void> decrypt_and_hash(bytes_view ciphertext, bytes& out);

  /// Split(): the cipher for initiator-to-responder traffic first.
  std::pair<cipher_state, cipher_state> split() const;

  /// Whether the inner CipherState has a key.
  bool has_key() const {
    return cipher_.has_key();
  }

  /// GetHandshakeHash(): `h`.
  const key32& handshake_hash() const {
    return h_;
  }

private:
  cipher_state cipher_;
  key32 ck_;
  key32 h_;
};

/// HKDF(chaining_key, input_key_material, 2) of the Noise spec (section 4.3).
std::pair<key32, key32> hkdf2(const key32& chaining_key,
                              bytes_view input_key_material);

} // namespace canswarm::noise
