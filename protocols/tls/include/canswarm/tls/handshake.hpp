#pragma once

// The libp2p TLS handshake (protocol id "/tls/1.0.0"), sans-IO: an OpenSSL
// TLS 1.3 object driven through memory BIOs; the caller moves bytes between
// this object and the connection and passes the wall-clock time.
//
//   initiator (TLS client)                 responder (TLS server)
//   start() -> ClientHello (ALPN "libp2p") ->
//           <- ServerHello, {EncryptedExtensions (ALPN), CertificateRequest,
//              Certificate, CertificateVerify, Finished}
//   verify R -> {Certificate, CertificateVerify, Finished} ->   verify I
//   done: finish() -> session               done: finish() -> session
//
// Both sides present a fresh self-signed certificate (certificate.hpp) and
// verify the other's with verify_certificate instead of chain validation
// (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT with a replaced
// certificate verification callback). The initiator compares the remote
// peer id with the one it dialed. Session tickets and resumption are off;
// no SNI is sent; TLS versions below 1.3 are refused.
//
// As the spec notes, the initiator is done after sending its Finished,
// before the responder has checked its certificate; a refusal then arrives
// as an alert through the session's `decrypt`.
//
// Deviations from spec: early muxer negotiation is not offered (ALPN is
// just "libp2p"). A responder accepts clients that offer no ALPN or only
// other protocols; then none is selected (lenient; the spec does not
// require ALPN).

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"
#include "canswarm/identity/peer_id.hpp"
#include "canswarm/tls/certificate.hpp"
#include "canswarm/tls/session.hpp"

namespace canswarm::tls {

/// The multistream-select protocol id of libp2p TLS.
inline constexpr std::string_view protocol_id = "/tls/1.0.0";

/// The ALPN protocol offered by initiators and selected by responders.
inline constexpr std::string_view alpn_protocol = "libp2p";

/// Largest number of bytes a remote may send before the handshake
/// completes: both flights with one certificate of at most
/// max_certificate_size fit in a few KiB.
inline constexpr std::size_t max_handshake_input = 64 * 1024;

/// Which end of the connection: the initiator (dialer) is the TLS client.
enum class role { initiator, responder };

/// One libp2p TLS handshake over one connection.
class handshake {
public:
  /// Progress of the handshake.
  enum class status { in_progress, done, failed };

  /// Generates a fresh certificate key and certificate for `identity` (one
  /// per connection). A dialer passes the peer id it expects. `now` is the
  /// wall-clock time for checking the remote certificate's validity.
  handshake(role side, const identity::private_key& identity,
            std::optional<peer_id> expected_remote, unix_time now);

  /// Presents `local` instead of a fresh certificate (certificate reuse,
  /// tests).
  handshake(role side, certificate local,
            std::optional<peer_id> expected_remote, unix_time now);

  handshake(handshake&&) noexcept;
  handshake& operator=(handshake&&) noexcept;
  ~handshake();

  /// Begins: the initiator queues its ClientHello; the responder waits.
  void start();

  /// Takes the bytes queued for the remote peer (including a TLS alert
  /// after a failure, so the remote learns why).
  bytes take_output();

  /// Feeds bytes received from the remote peer (any split). Bytes after
  /// the handshake's last record are kept for `take_remaining`. Ignored once
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

  /// The authenticated remote peer (once its certificate verified).
  const std::optional<peer_id>& remote_peer() const {
    return remote_peer_;
  }

  /// The remote host key (once its certificate verified).
  const std::optional<identity::public_key>& remote_public_key() const {
    return remote_key_;
  }

  /// The certificate we present.
  const std::optional<certificate>& local_certificate() const {
    return local_;
  }

  /// The ALPN protocol the handshake selected ("libp2p" or empty).
  std::string_view selected_alpn() const {
    return alpn_;
  }

  /// Yields the transport session once done (once only). Queued output
  /// (the initiator's last flight) must still be taken and sent first.
  result<session> finish();

  /// Takes the bytes received after the handshake's last record; feed them
  /// to the session's `decrypt`.
  bytes take_remaining();

private:
  void fail(error err);
  void drive();

  role role_ = role::initiator;
  std::unique_ptr<detail::engine> engine_;
  std::optional<certificate> local_;
  bool started_ = false;
  status state_ = status::in_progress;
  std::optional<error> failure_;
  std::optional<peer_id> remote_peer_;
  std::optional<identity::public_key> remote_key_;
  bytes output_;
  std::string alpn_; ///< Selected ALPN protocol, once done.
  bytes remaining_; ///< Input after the handshake completed.
  std::size_t input_total_ = 0; ///< Bytes fed while in progress.
};

} // namespace canswarm::tls
