#pragma once

// Per-stream bookkeeping of a yamux session (internal to session; public
// only so session.hpp can hold it by value).

#include <cstdint>

#include "canswarm/time.hpp"
#include "canswarm/yamux/chunk_queue.hpp"

namespace canswarm::yamux::detail {

/// One live stream.
struct stream_state {
  std::uint32_t id = 0;
  bool outbound = false;

  // Opening handshake.
  bool syn_pending = false; // Outbound, SYN not sent yet.
  bool ack_pending = false; // Inbound, ACK not sent yet.
  bool remote_acked = false; // Outbound, ACK received.

  // Closing.
  bool local_closed = false; // close() called; FIN follows the buffer.
  bool fin_sent = false;
  bool remote_closed = false; // FIN received.

  // Send side: credit the peer granted us and bytes waiting for it.
  std::uint64_t send_window = 0;
  chunk_queue send_buffer;
  bool write_blocked = false; // write() accepted less than offered.

  // Receive side. recv_window == recv_avail + recv_buffered + owed, where
  // owed is consumed data not yet granted back (sent once >= window / 2).
  std::uint32_t recv_window = 0; // Current window size (auto-tuned).
  std::uint32_t recv_avail = 0; // Bytes the peer may still send.
  std::uint32_t recv_buffered = 0; // Announced / queued, not consumed.
  std::uint32_t credit_queued = 0; // Granted, WINDOW_UPDATE not sent yet.
  time_point epoch_start{}; // When the last credit was granted.

  // Scheduling: queued in session::ready_ (at most once).
  bool in_ready = false;

  /// Returns whether the stream has anything for `poll_transmit`.
  bool wants_transmit() const {
    if (syn_pending || credit_queued > 0)
      return true;
    if (!send_buffer.empty())
      return send_window > 0;
    return local_closed && !fin_sent;
  }
};

} // namespace canswarm::yamux::detail
