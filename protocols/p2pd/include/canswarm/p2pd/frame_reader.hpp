#pragma once

// Streaming reader of uvarint-length-prefixed frames for control
// connections: bytes go in as they arrive, complete frame bodies come out.
//
// Only the frame at the front is ever interpreted, so bytes after a frame
// that switches the connection to raw data (the OK response to STREAM_OPEN,
// the StreamInfo of a stream-handler connection) are never mistaken for a
// length prefix: take them with `take_rest()` and stop using the reader.
//
// Bounds: a length prefix over the frame bound is rejected as soon as it is
// complete, before any of its body is buffered; the buffer never holds more
// than `max_buffered()` bytes (one undrained maximal frame plus one partial
// frame), so a caller that calls `next()` until it yields nothing after each
// `feed()` never hits that limit with reads up to the frame bound.

#include <cstddef>
#include <optional>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/p2pd/messages.hpp"

namespace canswarm::p2pd {

/// Accumulates bytes and yields complete frame bodies. After an error the
/// reader stays failed and every call returns that error.
class frame_reader {
public:
  /// A reader of frames whose body is at most `max_frame` bytes.
  explicit frame_reader(std::size_t max_frame = max_message_size);

  /// Appends received bytes. Fails with errc::too_large when the front
  /// frame's length is over the bound (before buffering anything of this
  /// call) or when the buffer would exceed max_buffered(), and with
  /// errc::malformed on a bad length prefix.
  result<void> feed(bytes_view data);

  /// Takes the next complete frame body, or std::nullopt when the front
  /// frame is not complete yet.
  result<std::optional<bytes>> next();

  /// Hands over every buffered byte not yet returned as a frame (the start
  /// of raw stream data) and empties the reader.
  bytes take_rest();

  /// Bytes buffered and not yet returned.
  std::size_t buffered() const {
    return buf_.size() - pos_;
  }

  /// Largest body this reader accepts.
  std::size_t max_frame() const {
    return max_frame_;
  }

  /// Most bytes the reader buffers at once.
  std::size_t max_buffered() const;

private:
  /// Checks the length prefix at the front of `front` (buffered bytes
  /// followed by new ones); incomplete prefixes pass.
  result<void> check_prefix(bytes_view front) const;

  result<void> fail(error err);

  std::size_t max_frame_;
  bytes buf_;
  std::size_t pos_ = 0; ///< Start of unread bytes in buf_.
  std::optional<error> failed_;
};

} // namespace canswarm::p2pd
