#pragma once

// The OpenSSL side shared by the handshake and the session: one SSL_CTX and
// SSL per connection, configured for libp2p TLS, reading from and writing
// to memory BIOs (never a socket), and the certificate verification
// callback that applies verify_certificate with the caller's `now`.

#include <optional>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/tls/certificate.hpp"
#include "canswarm/tls/handshake.hpp"
#include "ossl.hpp"

namespace canswarm::tls::detail {

struct engine {
  ctx_ptr ctx;
  ssl_ptr ssl;
  BIO* rbio = nullptr; ///< Bytes from the remote; owned by `ssl`.
  BIO* wbio = nullptr; ///< Bytes for the remote; owned by `ssl`.
  std::optional<peer_id> expected;
  unix_time now = 0;
  std::optional<error> verify_error; ///< Why the callback refused.
  std::optional<verified_certificate> remote;

  /// Sets up a client (initiator) or server (responder) presenting
  /// `local`.
  static result<std::unique_ptr<engine>>
  create(role side, const certificate& local, std::optional<peer_id> expected,
         unix_time now);

  /// Appends bytes from the remote to the read BIO.
  void feed(bytes_view input);

  /// Moves everything OpenSSL wrote into `out`.
  void drain(bytes& out);

  /// Bytes in the read BIO not yet consumed by OpenSSL.
  std::size_t unread() const;

  /// Takes the bytes in the read BIO not yet consumed by OpenSSL.
  bytes take_unread();

  /// Explains why an SSL call returned `rc` (<= 0, not a retry) during
  /// `phase`; clears the thread's OpenSSL error queue.
  error failure(int rc, std::string_view phase);
};

} // namespace canswarm::tls::detail
