#pragma once

// Flow accounting of a control connection after SUBSCRIBE: it carries one
// length-prefixed PSMessage per message delivered on the topic, as fast as
// the client reads. Pure: no CAF, no sockets; the connection reports what
// it wrote and what its socket took, and asks whether to write the next
// message.
//
// A PSMessage counts as waiting from the moment it is written to the
// broker until the socket's send buffer no longer holds any of its bytes
// (the kernel took them). CAF reports, after every transfer, how many bytes
// are still waiting in the send buffers; as PSMessages are the last bytes
// written, every message whose bytes all lie before that tail is gone.
// While max_subscription_backlog messages or max_subscription_backlog_bytes
// bytes wait, new messages are dropped and counted (the client does not
// read: better to lose its messages than the node's memory).

#include <cstddef>
#include <cstdint>
#include <deque>

#include "canswarm/control/limits.hpp"

namespace canswarm::control {

/// Counters of a subscribed control connection.
class subscription_flow {
public:
  /// A PSMessage frame of `n` bytes is ready: returns true when it may be
  /// written now (it then counts as waiting), false when it is dropped.
  bool admit(std::size_t n);

  /// The socket transferred bytes; `remaining` bytes are still in its send
  /// buffers (data_transferred_msg::remaining).
  void on_transferred(std::uint64_t remaining);

  /// PSMessages written and not yet taken by the kernel.
  std::size_t backlog() const {
    return frames_.size();
  }

  /// Their bytes.
  std::size_t backlog_bytes() const {
    return bytes_;
  }

  /// PSMessages written so far.
  std::uint64_t written() const {
    return written_;
  }

  /// PSMessages dropped so far.
  std::uint64_t dropped() const {
    return dropped_;
  }

private:
  std::deque<std::size_t> frames_; ///< Sizes, oldest first.
  std::size_t bytes_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t dropped_ = 0;
};

} // namespace canswarm::control
