#pragma once

// The libp2p ping protocol, /ipfs/ping/1.0.0 (libp2p/specs ping/ping.md).
//
// Phases: the dialer opens a stream, writes 32 random bytes and waits for the
// same 32 bytes back; the round-trip time is the result. It may repeat on the
// same stream. The responder reads 32-byte chunks and echoes each one.
//
// Both objects are sans-IO: the caller supplies the random payload and `now`,
// writes what they return, and turns poll_timeout() into a timer.
//
// Deviations from spec: none. The spec fixes no timeouts; we fail a ping
// after 20 s without echo (rust-libp2p's default) and let the responder
// report 60 s without a ping (go-libp2p's pingTimeout) so the caller resets
// the stream.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/time.hpp"

namespace canswarm::ping {

/// The protocol id negotiated with multistream-select.
inline constexpr std::string_view protocol_id = "/ipfs/ping/1.0.0";

/// Size of one ping payload (spec: 32 bytes).
inline constexpr std::size_t payload_size = 32;

/// Time a pinger waits for the echo (rust-libp2p's default ping timeout).
inline constexpr duration default_timeout = std::chrono::seconds{20};

/// Time a responder waits for the next ping (go-libp2p's pingTimeout).
inline constexpr duration default_idle_timeout = std::chrono::seconds{60};

/// The outbound side: sends a payload, measures the time until its echo.
class pinger {
public:
  /// A pinger that fails a ping after `timeout` without a full echo.
  explicit pinger(duration timeout = default_timeout);

  /// Starts a ping at `now` and returns the bytes to write: `random32`
  /// itself. Fails with errc::invalid_argument unless `random32` has
  /// payload_size bytes or while a ping is outstanding, and with the
  /// earlier failure once the pinger failed.
  result<bytes> start(bytes_view random32, time_point now);

  /// Feeds echoed bytes received at `now`. Returns the round-trip time once
  /// all 32 bytes are back, an empty optional while some are missing.
  /// A byte that differs from the payload, or bytes with no ping
  /// outstanding, fail the pinger with errc::protocol.
  result<std::optional<duration>> handle_input(bytes_view data, time_point now);

  /// When handle_timeout must be called: the outstanding ping's deadline,
  /// or no_deadline.
  time_point poll_timeout() const;

  /// Fails the pinger with errc::timeout when the outstanding ping's
  /// deadline has passed at `now`; succeeds otherwise.
  result<void> handle_timeout(time_point now);

  /// True while a ping waits for its echo.
  bool outstanding() const {
    return outstanding_;
  }

  /// True once the pinger failed; failure() says why.
  bool failed() const {
    return failed_;
  }

  /// Why the pinger failed; meaningful only when failed().
  const error& failure() const {
    return failure_;
  }

private:
  error fail(error err);

  duration timeout_;
  std::array<std::uint8_t, payload_size> payload_{};
  std::size_t received_ = 0; // bytes of the echo matched so far
  time_point sent_at_{};
  bool outstanding_ = false;
  bool failed_ = false;
  error failure_;
};

/// The inbound side: echoes every complete 32-byte chunk. Holds at most one
/// partial chunk (31 bytes) between calls.
class responder {
public:
  /// A responder created at `now` that reports idleness after
  /// `idle_timeout` without a complete ping.
  explicit responder(time_point now,
                     duration idle_timeout = default_idle_timeout);

  /// Feeds received bytes; returns the bytes to write back (every chunk
  /// completed by `data`, in order; possibly empty).
  bytes handle_input(bytes_view data, time_point now);

  /// When the responder stops waiting for the next ping.
  time_point poll_timeout() const {
    return last_ping_ + idle_timeout_;
  }

  /// True when the stream sat idle past the timeout at `now`: the caller
  /// should reset it.
  bool idle(time_point now) const {
    return now >= poll_timeout();
  }

  /// Pings echoed so far.
  std::size_t echoed() const {
    return echoed_;
  }

private:
  duration idle_timeout_;
  time_point last_ping_;
  std::array<std::uint8_t, payload_size> partial_{};
  std::size_t partial_size_ = 0;
  std::size_t echoed_ = 0;
};

} // namespace canswarm::ping
