#pragma once

// The noise-libp2p transport phase: after the handshake, every message is a
// 2-byte big-endian length followed by a ChaCha20-Poly1305 ciphertext of at
// most 65535 bytes (libp2p noise spec, "Wire Format"). Writes longer than one
// frame's plaintext are split into several frames.
//
// Deviations from spec: none. (Frames are not padded; the spec dropped
// padding in r2.)

#include <cstddef>
#include <optional>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/noise/cipher_state.hpp"

namespace canswarm::noise {

/// Size of the big-endian length prefix before every Noise message.
inline constexpr std::size_t length_prefix_size = 2;

/// Largest Noise message on the wire: what the 16-bit prefix can express and
/// the Noise spec's message limit (section 3).
inline constexpr std::size_t max_frame_size = 65535;

/// Largest plaintext carried by one transport frame.
inline constexpr std::size_t max_frame_plaintext = max_frame_size - tag_size;

/// An established noise-libp2p channel: encrypts outgoing bytes into frames
/// and decrypts incoming frames, buffering at most one partial frame.
class session {
public:
  /// Takes our sending and receiving ciphers from the handshake's split.
  session(cipher_state send, cipher_state receive);

  session(session&&) noexcept = default;
  session& operator=(session&&) noexcept = default;

  /// Appends `plaintext` as one or more framed ciphertexts to `out`,
  /// encrypting in place there. An empty plaintext appends nothing. After
  /// 2^64-1 frames the session fails (see `failure`) and appends nothing.
  void encrypt(bytes_view plaintext, bytes& out);

  /// Consumes `input` (any split of the byte stream), appending the
  /// plaintext of every complete frame to `plaintext_out` and keeping a
  /// trailing partial frame for the next call. A frame shorter than its tag
  /// is errc::malformed, a tampered frame errc::crypto; errors are sticky.
  /// On error, plaintext of frames before the bad one is still appended.
  result<void> decrypt(bytes_view input, bytes& plaintext_out);

  /// Bytes of an incomplete frame waiting for more input.
  std::size_t buffered() const {
    return pending_.size();
  }

  /// The sticky failure, if any.
  const std::optional<error>& failure() const {
    return failure_;
  }

  /// Number of frames sent and received so far (the cipher nonces).
  std::uint64_t frames_sent() const {
    return send_.nonce();
  }
  std::uint64_t frames_received() const {
    return receive_.nonce();
  }

private:
  // Decrypts one whole frame body; appends its plaintext.
  result<void> open_frame(bytes_view body, bytes& plaintext_out);

  result<void> fail(error err);

  cipher_state send_;
  cipher_state receive_;
  bytes pending_; ///< A partial frame, at most length_prefix + max_frame_size.
  std::optional<error> failure_;
};

} // namespace canswarm::noise
