#pragma once

// The /plaintext/2.0.0 handshake (libp2p specs plaintext/README.md),
// sans-IO: the caller moves bytes between this object and the connection.
//
//   both sides, at once:  [uvarint length | Exchange{id, pubkey}]  ->
//   on receipt:           check id == peer id of pubkey
//                         dialer: check id == the peer id it dialed
//   done once our Exchange is queued and the remote one checked; later
//   bytes are application data (`take_remaining`), not length-prefixed.
//
// NO encryption and NO authentication: anyone on the path can read, change
// or impersonate. For tests and trusted networks only; the node never
// offers it unless configured to.
//
// Deviations from spec: none beyond the Exchange codec's (exchange.hpp).

#include <optional>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/plaintext/exchange.hpp"

namespace canswarm::plaintext {

/// One plaintext handshake over one connection.
class handshake {
public:
  /// Progress of the handshake.
  enum class status { in_progress, done, failed };

  /// `local` is our identity key (plaintext only sends it). A dialer passes
  /// the peer id it dialed.
  explicit handshake(identity::public_key local,
                     std::optional<peer_id> expected_remote = std::nullopt);

  /// Queues our Exchange. Idempotent; `handle_input` calls it too.
  void start();

  /// Takes the bytes queued for the remote peer.
  bytes take_output();

  /// Feeds bytes received from the remote peer (any split). A length
  /// prefix over `max_exchange_size` fails the handshake before the body
  /// is buffered. Bytes after the Exchange are kept for `take_remaining`.
  /// Ignored once failed.
  void handle_input(bytes_view input);

  /// Current progress.
  status state() const {
    return state_;
  }

  /// Why the handshake failed (set when state() == failed): errc::crypto
  /// "peer id mismatch: ..." for a wrong id, the codec's error otherwise.
  const std::optional<error>& failure() const {
    return failure_;
  }

  /// Our peer id.
  const peer_id& local_peer() const {
    return local_peer_;
  }

  /// The remote peer (once its Exchange checked out).
  const std::optional<peer_id>& remote_peer() const {
    return remote_peer_;
  }

  /// The remote public key (once its Exchange checked out).
  const std::optional<identity::public_key>& remote_public_key() const {
    return remote_key_;
  }

  /// Takes the bytes received after the remote Exchange (application data).
  bytes take_remaining();

private:
  void fail(error err);
  result<void> accept(bytes_view body);

  identity::public_key local_key_;
  peer_id local_peer_;
  std::optional<peer_id> expected_remote_;
  bool started_ = false;
  bool received_ = false;
  status state_ = status::in_progress;
  std::optional<error> failure_;
  std::optional<peer_id> remote_peer_;
  std::optional<identity::public_key> remote_key_;
  bytes output_;
  bytes input_; ///< Before the Exchange: < one frame; after: remaining.
};

} // namespace canswarm::plaintext
