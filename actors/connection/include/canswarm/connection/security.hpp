#pragma once

// The security phase of a connection behind one interface, whichever
// protocol multistream-select chose: a `security_handshake` runs Noise XX,
// libp2p TLS 1.3 or the plaintext key exchange and, once done, yields a
// `secure_channel` that frames (or, for plaintext, passes through) the
// muxer's bytes. Both are sans-IO like the protocol objects they wrap.

#include <memory>
#include <optional>
#include <variant>

#include "canswarm/bytes.hpp"
#include "canswarm/connection/upgrade.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/noise/handshake.hpp"
#include "canswarm/noise/session.hpp"
#include "canswarm/plaintext/handshake.hpp"
#include "canswarm/tls/handshake.hpp"
#include "canswarm/tls/session.hpp"

namespace canswarm::connection {

/// An established channel: Noise frames, TLS records or plain bytes.
class secure_channel {
public:
  /// The plaintext pass-through channel.
  struct plain {};

  explicit secure_channel(noise::session s) : impl_(std::move(s)) {}
  explicit secure_channel(tls::session s) : impl_(std::move(s)) {}
  explicit secure_channel(plain s) : impl_(s) {}

  /// Appends `plaintext`, protected, to `out`.
  void encrypt(bytes_view plaintext, bytes& out);

  /// Consumes wire bytes (any split), appending the plaintext of every
  /// complete frame or record; the protocol's error (sticky) otherwise.
  result<void> decrypt(bytes_view input, bytes& plaintext_out);

  /// Appends bytes the channel itself must send (TLS control records such
  /// as a KeyUpdate answer or an alert) to `out`.
  void take_control_output(bytes& out);

private:
  std::variant<noise::session, tls::session, plain> impl_;
};

/// What a security handshake needs.
struct security_params {
  bool initiator = true; ///< The dialer initiates.
  std::shared_ptr<const identity::private_key> key; ///< Our identity.
  /// X25519 secrets for Noise, from the caller's CSPRNG.
  noise::key32 static_secret{};
  noise::key32 ephemeral_secret{};
  /// The peer a dialer expects; any other fails the handshake.
  std::optional<peer_id> expected_peer;
  /// Wall-clock seconds since the epoch (TLS certificate validity).
  tls::unix_time wall_clock = 0;
};

/// One security handshake of the chosen kind.
class security_handshake {
public:
  /// Progress of the handshake.
  enum class status { in_progress, done, failed };

  /// Creates the handshake for `kind`. TLS generates a fresh certificate
  /// here (a few hundred microseconds).
  security_handshake(security_kind kind, const security_params& params);

  security_handshake(security_handshake&&) noexcept = default;
  security_handshake& operator=(security_handshake&&) noexcept = default;

  security_kind kind() const {
    return kind_;
  }

  /// Begins (queues the initiator's first message; plaintext: ours).
  void start();

  /// Takes the bytes queued for the remote.
  bytes take_output();

  /// Feeds bytes received from the remote (any split).
  void handle_input(bytes_view data);

  status state() const;

  /// Why the handshake failed, prefixed with the protocol ("noise
  /// handshake: ...", "tls handshake: ...", "plaintext handshake: ...").
  std::optional<error> failure() const;

  /// The authenticated remote peer and key (once done).
  std::optional<peer_id> remote_peer() const;
  std::optional<identity::public_key> remote_public_key() const;

  /// Yields the channel once done (once only). Take the output first.
  result<secure_channel> finish();

  /// Bytes received after the handshake (input for the channel).
  bytes take_remaining();

private:
  security_kind kind_;
  std::variant<noise::handshake, tls::handshake, plaintext::handshake> impl_;
};

} // namespace canswarm::connection
