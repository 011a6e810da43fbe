#pragma once

// Per-stream bookkeeping of an mplex session (internal to session; public
// only so session.hpp can hold it by value).

#include <cstddef>
#include <cstdint>
#include <deque>

#include "canswarm/bytes.hpp"

namespace canswarm::mplex::detail {

/// FIFO of bytes written but not yet framed.
class send_queue {
public:
  /// Writes smaller than this are copied into the last chunk.
  static constexpr std::size_t merge_limit = 16 * 1024;

  std::size_t size() const {
    return size_;
  }

  bool empty() const {
    return size_ == 0;
  }

  /// Copies `data` to the back.
  void push(bytes_view data);

  /// Moves `data` to the back without copying its bytes.
  void push(bytes&& data);

  /// Appends the first `n` (<= size()) bytes to `out` and drops them.
  void move_to(std::size_t n, bytes& out);

  /// Drops everything.
  void clear();

private:
  std::deque<bytes> chunks_;
  std::size_t head_ = 0; // Bytes of chunks_.front() already taken.
  std::size_t size_ = 0;
};

/// One live stream.
struct stream_state {
  std::uint64_t number = 0; ///< The mplex stream id.
  bool outbound = false; ///< We opened it (we are its initiator).

  bool open_pending = false; // Outbound, NewStream not sent yet.
  bool local_closed = false; // close() called; Close follows the buffer.
  bool close_sent = false;
  bool remote_closed = false; // Close received.

  send_queue send_buffer;
  bool write_blocked = false; // write() accepted less than offered.

  std::size_t recv_buffered = 0; // Delivered, not read by the application.

  bool in_ready = false; // Queued in session::ready_.

  /// Returns whether the stream has anything for `poll_transmit`.
  bool wants_transmit() const {
    return open_pending || !send_buffer.empty()
           || (local_closed && !close_sent);
  }
};

} // namespace canswarm::mplex::detail
