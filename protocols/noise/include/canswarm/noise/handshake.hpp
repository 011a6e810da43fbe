#pragma once

// The noise-libp2p secure channel handshake (protocol id "/noise"), sans-IO:
// the caller moves bytes between this object and the connection.
//
//   initiator                                responder
//   start()  -> [len|e]                 ->
//            <- [len|e, ee, s, es, payload_R]   (R's identity + signature)
//   verify R -> [len|s, se, payload_I]  ->    verify I
//   done: finish() -> session                 done: finish() -> session
//
// Each payload is a NoiseHandshakePayload (payload.hpp) whose identity_sig
// signs static_key_prefix + the sender's Noise static key with its libp2p
// identity key. The prologue is empty.
//
// Deviations from spec: no early data in message 1 (the initiator's first
// message must have an empty payload and a non-empty one is rejected, as
// message 1 is unencrypted and the spec forbids extensions there).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/noise/cipher_state.hpp"
#include "canswarm/noise/handshake_state.hpp"
#include "canswarm/noise/payload.hpp"
#include "canswarm/noise/session.hpp"

namespace canswarm::noise {

/// The multistream-select protocol id of noise-libp2p.
inline constexpr std::string_view protocol_id = "/noise";

/// One noise-libp2p handshake over one connection.
class handshake {
public:
  /// Progress of the handshake.
  enum class status { in_progress, done, failed };

  /// `identity` signs our Noise static key; `static_secret` and
  /// `ephemeral_secret` are X25519 secrets from the caller's RNG (the
  /// object draws no randomness). A dialer passes the peer id it expects.
  handshake(role side, identity::private_key identity,
            const key32& static_secret, const key32& ephemeral_secret,
            std::optional<peer_id> expected_remote = std::nullopt);

  /// Extensions to send in our payload (call before `start`); none by
  /// default.
  void set_local_extensions(extensions ext);

  /// Begins: the initiator queues message 1; the responder waits.
  void start();

  /// Takes the bytes queued for the remote peer.
  bytes take_output();

  /// Feeds bytes received from the remote peer (any split). Bytes after the
  /// last handshake message are kept for `take_remaining`. Ignored once
  /// failed.
  void handle_input(bytes_view input);

  /// Current progress.
  status state() const {
    return state_;
  }

  /// Why the handshake failed (set when state() == failed).
  const std::optional<error>& failure() const {
    return failure_;
  }

  /// The authenticated remote peer (once its payload verified).
  const std::optional<peer_id>& remote_peer() const {
    return remote_peer_;
  }

  /// The remote identity key (once its payload verified).
  const std::optional<identity::public_key>& remote_public_key() const {
    return remote_key_;
  }

  /// The remote's extensions, if it sent any (once its payload verified).
  const std::optional<extensions>& remote_extensions() const {
    return remote_extensions_;
  }

  /// Our Noise static public key.
  const key32& local_static_public_key() const {
    return static_.public_key;
  }

  /// The Noise handshake hash (final once done; for channel binding).
  const key32& handshake_hash() const {
    return noise_.handshake_hash();
  }

  /// Yields the transport session once done (once only). Queued output
  /// (message 3 on the initiator) must still be taken and sent first.
  result<session> finish();

  /// Takes the bytes received after the final handshake message; feed them
  /// to the session's `decrypt`.
  bytes take_remaining();

private:
  void fail(error err);
  void process_frame(bytes_view message);
  void write_message(bool with_payload);
  result<void> verify_remote(bytes_view payload);
  void complete();

  role role_;
  identity::private_key identity_;
  x25519_keypair static_;
  handshake_state noise_;
  std::optional<peer_id> expected_remote_;
  extensions local_extensions_;
  bool started_ = false;
  status state_ = status::in_progress;
  std::optional<error> failure_;
  std::optional<peer_id> remote_peer_;
  std::optional<identity::public_key> remote_key_;
  std::optional<extensions> remote_extensions_;
  std::optional<std::pair<cipher_state, cipher_state>> ciphers_;
  bytes output_;
  bytes input_; ///< Unprocessed input; while in progress < one frame.
};

} // namespace canswarm::noise
