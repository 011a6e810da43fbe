#pragma once

// The HandshakeState object of the Noise Protocol Framework (revision 34,
// section 5.3), fixed to Noise_XX_25519_ChaChaPoly_SHA256:
//
//   XX:
//     -> e
//     <- e, ee, s, es
//     -> s, se
//
// The caller supplies both the static and the ephemeral X25519 secret, so the
// object draws no randomness and every run is reproducible.
//
// Deviations from spec: only the XX pattern, no PSK modifiers, no
// pre-messages (XX has none).

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/noise/cipher_state.hpp"

namespace canswarm::noise {

/// The only protocol name noise-libp2p uses.
inline constexpr std::string_view protocol_name = "Noise_XX_25519_ChaChaPoly_"
                                                  "SHA256";

/// Largest Noise message (Noise spec section 3).
inline constexpr std::size_t max_message_size = 65535;

/// Number of messages of the XX pattern.
inline constexpr std::size_t xx_message_count = 3;

/// Which side of the handshake we are.
enum class role { initiator, responder };

/// An X25519 key pair.
struct x25519_keypair {
  key32 secret;
  key32 public_key;

  /// Derives the public key of `secret`.
  static x25519_keypair from_secret(const key32& secret);
};

/// Noise HandshakeState running the XX pattern.
class handshake_state {
public:
  /// Initialize(): `s` is our static key pair, `e` the ephemeral one to use.
  handshake_state(role side, bytes_view prologue, const x25519_keypair& s,
                  const x25519_keypair& e);

  /// Returns whether the next message is ours to write.
  bool is_my_turn() const;

  /// Returns whether all XX messages were written or read.
  bool is_complete() const {
    return index_ == xx_message_count;
  }

  /// Returns how many messages were exchanged so far.
  std::size_t message_index() const {
    return index_;
  }

  /// WriteMessage(payload): appends the next handshake message to `out`.
  /// errc::invalid_argument when it is not our turn or the message would
  /// exceed max_message_size.
  result<void> write_message(bytes_view payload, bytes& out);

  /// ReadMessage(message): appends the decrypted payload to `payload_out`.
  /// errc::malformed for a message too short for its tokens, errc::crypto
  /// for a failed AEAD check or an all-zero DH result. Any failure leaves
  /// the object unusable.
  result<void> read_message(bytes_view message, bytes& payload_out);

  /// The remote static public key (after reading the message carrying it).
  const std::optional<key32>& remote_static() const {
    return rs_;
  }

  /// The remote ephemeral public key (after reading the message carrying
  /// it).
  const std::optional<key32>& remote_ephemeral() const {
    return re_;
  }

  /// The handshake hash `h` (final once complete; for channel binding).
  const key32& handshake_hash() const {
    return symmetric_.handshake_hash();
  }

  /// Split() once complete: (our sending cipher, our receiving cipher).
  result<std::pair<cipher_state, cipher_state>> split() const;

private:
  enum class token { e, s, ee, es, se };

  static std::span<const token> tokens_of(std::size_t message_index);
  result<void> mix_dh(token t);

  role role_;
  symmetric_state symmetric_;
  x25519_keypair s_;
  x25519_keypair e_;
  std::optional<key32> rs_;
  std::optional<key32> re_;
  std::size_t index_ = 0;
  bool failed_ = false;
};

} // namespace canswarm::noise
