#pragma once

// A FIFO of bytes kept as a deque of fixed-size blocks, so appending a large
// write and taking a frame's worth from the front never moves the rest, and
// blocks are recycled through a per-session pool instead of going back to
// the allocator (large frees make malloc return pages to the OS, and the
// next write faults them in again).

#include <cstddef>
#include <deque>
#include <vector>

#include "canswarm/bytes.hpp"

namespace canswarm::yamux {

/// Recycles send-buffer blocks.
class block_pool {
public:
  /// Size of one block: four 16 KiB frames.
  static constexpr std::size_t block_size = 64 * 1024;

  /// Idle blocks kept for reuse (2 MiB); more are freed.
  static constexpr std::size_t max_idle = 32;

  /// Returns an empty buffer with capacity `block_size`.
  bytes get();

  /// Takes back a drained buffer (kept if it is a pool block and there is
  /// room).
  void put(bytes&& block);

  /// Idle blocks held.
  std::size_t idle() const {
    return idle_.size();
  }

private:
  std::vector<bytes> idle_;
};

/// FIFO byte queue used for per-stream send buffers.
class chunk_queue {
public:
  /// Bytes queued.
  std::size_t size() const {
    return size_;
  }

  bool empty() const {
    return size_ == 0;
  }

  /// Copies `data` to the back, into blocks from `pool`.
  void append(bytes_view data, block_pool& pool);

  /// Moves `data` to the back without copying its bytes.
  void append(bytes&& data, block_pool& pool);

  /// Appends the first `n` (<= size()) queued bytes to `out`, drops them
  /// and returns drained blocks to `pool`.
  void move_to(std::size_t n, bytes& out, block_pool& pool);

  /// Drops everything, returning blocks to `pool`.
  void clear(block_pool& pool);

private:
  std::deque<bytes> chunks_;
  std::size_t head_offset_ = 0; // Bytes of chunks_.front() already taken.
  std::size_t size_ = 0;
};

} // namespace canswarm::yamux
