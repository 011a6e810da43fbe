#include "canswarm/yamux/chunk_queue.hpp"

#include <algorithm>

namespace canswarm::yamux {

namespace {

/// Capacity of the chunk a small write starts when no chunk has room.
constexpr std::size_t small_chunk = 4096;

} // namespace

bytes block_pool::get() {
  if (idle_.empty()) {
    bytes b;
    b.reserve(block_size);
    return b;
  }
  auto b = std::move(idle_.back());
  idle_.pop_back();
  return b;
}

void block_pool::put(bytes&& block) {
  if (block.capacity() != block_size || idle_.size() >= max_idle)
    return;
  block.clear();
  idle_.push_back(std::move(block));
}

void chunk_queue::append(bytes_view data, block_pool& pool) {
  size_ += data.size();
  while (!data.empty()) {
    if (chunks_.empty() || chunks_.back().size() == chunks_.back().capacity()) {
      if (data.size() < small_chunk) {
        // A small write on its own gets a small chunk, not a whole block.
        bytes chunk;
        chunk.reserve(small_chunk);
        chunks_.push_back(std::move(chunk));
      } else {
        chunks_.push_back(pool.get());
      }
    }
    auto& tail = chunks_.back();
    auto n = std::min(tail.capacity() - tail.size(), data.size());
    tail.insert(tail.end(), data.begin(),
                data.begin() + static_cast<std::ptrdiff_t>(n));
    data = data.subspan(n);
  }
}

void chunk_queue::append(bytes&& data, block_pool& pool) {
  if (data.size() < block_pool::block_size) {
    append(bytes_view{data}, pool);
    return;
  }
  size_ += data.size();
  chunks_.push_back(std::move(data));
}

void chunk_queue::move_to(std::size_t n, bytes& out, block_pool& pool) {
  while (n > 0) {
    auto& front = chunks_.front();
    auto take = std::min(n, front.size() - head_offset_);
    auto first = front.begin() + static_cast<std::ptrdiff_t>(head_offset_);
    out.insert(out.end(), first, first + static_cast<std::ptrdiff_t>(take));
    head_offset_ += take;
    size_ -= take;
    n -= take;
    if (head_offset_ == front.size()) {
      pool.put(std::move(front));
      chunks_.pop_front();
      head_offset_ = 0;
    }
  }
}

void chunk_queue::clear(block_pool& pool) {
  for (auto& c : chunks_)
    pool.put(std::move(c));
  chunks_.clear();
  head_offset_ = 0;
  size_ = 0;
}

} // namespace canswarm::yamux
