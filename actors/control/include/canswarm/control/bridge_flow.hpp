#pragma once

// Flow accounting of one libp2p stream bridged to a local socket (a control
// connection after STREAM_OPEN, or a connection to a client's
// stream-handler listener). Pure: no CAF, no sockets; the bridge actor
// reports what happened and asks what it may do.
//
//   socket -> stream: every socket read becomes one stream write; reads
//     pause while the writes the muxer has not accepted yet exceed
//     max_bridge_write_backlog bytes or max_bridge_pending_writes writes.
//   stream -> socket: received stream bytes are written to the socket and
//     acknowledged to the connection (window credit) only once the socket
//     transferred them, so at most one receive window is ever buffered;
//     control bytes written first (the OK response, a StreamInfo) are not
//     stream bytes and are not acknowledged.
//   ends: the bridge is finished once the socket is gone, the remote
//     closed its side and the muxer took every write, or at once on a
//     reset.

#include <cstddef>
#include <cstdint>

#include "canswarm/control/limits.hpp"
#include "canswarm/error.hpp"

namespace canswarm::control {

/// Counters and end states of a bridged stream.
class bridge_flow {
public:
  // -- socket -> stream -------------------------------------------------------

  /// Returns whether the bridge may read from the socket now.
  bool may_read() const {
    return !socket_gone_ && !reset_ && write_backlog_ < max_bridge_write_backlog
           && pending_writes_ < max_bridge_pending_writes;
  }

  /// `n` bytes read from the socket were handed to the muxer.
  void on_write_issued(std::size_t n);

  /// The muxer accepted a write of `n` bytes.
  void on_write_done(std::size_t n);

  /// Bytes handed to the muxer and not yet accepted.
  std::size_t write_backlog() const {
    return write_backlog_;
  }

  // -- stream -> socket -------------------------------------------------------

  /// `n` control bytes (not stream data) were queued on the socket ahead of
  /// any stream data.
  void on_control_bytes(std::size_t n);

  /// `n` stream bytes arrived to be written to the socket. Fails with
  /// errc::protocol when more than max_bridge_socket_backlog bytes would be
  /// waiting (the connection sent beyond the credit it was given).
  result<void> on_stream_data(std::size_t n);

  /// The socket transferred `n` bytes; returns how many of them are stream
  /// bytes, i.e. the credit to grant with stream_ack.
  std::uint64_t on_transferred(std::uint64_t n);

  /// Stream bytes waiting for (or in) the socket.
  std::size_t socket_backlog() const {
    return socket_backlog_;
  }

  /// Returns whether the socket transferred everything queued on it (a FIN
  /// may follow).
  bool socket_idle() const {
    return socket_backlog_ == 0 && control_pending_ == 0;
  }

  // -- ends -------------------------------------------------------------------

  /// The socket closed (the client is gone or closed its side). Returns
  /// the stream bytes that were waiting for it: they are dropped, and the
  /// credit for them must still be granted.
  std::size_t on_socket_gone();

  /// The remote closed its side of the stream.
  void on_remote_closed() {
    remote_closed_ = true;
  }

  /// The stream was reset (by the remote, the connection or the bridge).
  void on_reset() {
    reset_ = true;
  }

  /// Returns whether the socket is gone.
  bool socket_gone() const {
    return socket_gone_;
  }

  /// Returns whether the remote closed its side.
  bool remote_closed() const {
    return remote_closed_;
  }

  /// Returns whether the stream was reset.
  bool was_reset() const {
    return reset_;
  }

  /// Returns whether the socket is gone but the remote still sends: received
  /// bytes are discarded (and acknowledged) until it closes.
  bool draining() const {
    return socket_gone_ && !remote_closed_ && !reset_;
  }

  /// Returns whether nothing is left to do: reset, or both sides closed
  /// and every write accepted by the muxer.
  bool finished() const {
    return reset_ || (socket_gone_ && remote_closed_ && pending_writes_ == 0);
  }

private:
  std::size_t write_backlog_ = 0;
  std::size_t pending_writes_ = 0;
  std::size_t control_pending_ = 0;
  std::size_t socket_backlog_ = 0;
  bool socket_gone_ = false;
  bool remote_closed_ = false;
  bool reset_ = false;
};

} // namespace canswarm::control
