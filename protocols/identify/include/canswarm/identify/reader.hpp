#pragma once

// Collects one Identify from an /ipfs/id/1.0.0 or /ipfs/id/push/1.0.0
// stream. The sender writes one or more length-prefixed frames and closes
// its side; go-libp2p splits a large message, sending the signed peer record
// in a second frame. The frames merge like concatenated protobufs.
//
// Deviations from spec: none; bounds as in message.hpp.

#include <cstddef>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identify/message.hpp"
#include "canswarm/varint/varint.hpp"

namespace canswarm::identify {

/// Most unparsed bytes held between calls: one length prefix plus one
/// maximal message.
inline constexpr std::size_t max_pending_input = varint::max_bytes
                                                 + max_message_size;

/// Sans-IO reader of one identify stream.
class reader {
public:
  /// Feeds received bytes; decodes every complete frame. Fails (and stays
  /// failed) on a length prefix over max_message_size (refused before the
  /// body is buffered), more than max_messages frames, a frame that does
  /// not decode, or a merged message over a cap.
  result<void> handle_input(bytes_view data);

  /// Called when the remote closed its side: returns the merged message.
  /// Fails when no frame arrived or a partial frame is left.
  result<message> finish();

  /// Frames decoded so far.
  std::size_t frames() const {
    return frames_;
  }

private:
  error fail(error err);

  bytes pending_;
  message merged_;
  std::size_t frames_ = 0;
  bool failed_ = false;
  error failure_;
};

} // namespace canswarm::identify
