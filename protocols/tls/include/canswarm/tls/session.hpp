#pragma once

// The libp2p TLS transport phase: TLS 1.3 application-data records (at most
// 2^14 plaintext bytes each, RFC 8446 section 5.1) produced and consumed by
// the OpenSSL object the handshake set up, still without any socket: bytes
// go in through `decrypt` and come out of `encrypt` / `take_output`.
//
// Deviations from spec: none.

#include <cstddef>
#include <memory>
#include <optional>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::tls {

namespace detail {
struct engine;
} // namespace detail

/// Largest TLS 1.3 record on the wire: 5-byte header plus at most 2^14 +
/// 256 ciphertext bytes (RFC 8446 section 5.2). Input is handed to OpenSSL
/// in slices of this size, so at most one partial record stays buffered.
inline constexpr std::size_t max_record_size = 5 + (1 << 14) + 256;

/// Largest plaintext carried by one record (RFC 8446 section 5.1).
inline constexpr std::size_t max_record_plaintext = 1 << 14;

/// An established libp2p TLS channel.
class session {
public:
  session(session&&) noexcept;
  session& operator=(session&&) noexcept;
  ~session();

  /// Appends `plaintext` as one or more TLS records to `out` (preceded by
  /// any pending control records, see `take_output`). An empty plaintext
  /// appends only pending control records. Once failed, appends nothing.
  void encrypt(bytes_view plaintext, bytes& out);

  /// Consumes `input` (any split of the byte stream), appending the
  /// plaintext of every complete record to `plaintext_out` and keeping a
  /// trailing partial record. A bad record or a TLS alert from the remote is
  /// errc::protocol naming the reason; errors are sticky. Plaintext of
  /// records before the bad one is still appended. After the remote's
  /// close_notify, further input is ignored (see `remote_closed`).
  result<void> decrypt(bytes_view input, bytes& plaintext_out);

  /// Takes TLS control records produced while decrypting (a KeyUpdate
  /// answer, an alert after a failure); send them to the remote. `encrypt`
  /// includes them too.
  bytes take_output();

  /// Appends a close_notify alert to `out`; later `encrypt` calls append
  /// nothing.
  void close(bytes& out);

  /// Whether the remote sent close_notify (its end of the stream).
  bool remote_closed() const {
    return remote_closed_;
  }

  /// Bytes of an incomplete record waiting for more input.
  std::size_t buffered() const;

  /// The sticky failure, if any.
  const std::optional<error>& failure() const {
    return failure_;
  }

private:
  friend class handshake;

  explicit session(std::unique_ptr<detail::engine> engine);

  result<void> fail(error err);

  std::unique_ptr<detail::engine> engine_;
  std::optional<error> failure_;
  bool closed_ = false;
  bool remote_closed_ = false;
};

} // namespace canswarm::tls
