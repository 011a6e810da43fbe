#include "canswarm/envelope/replay_cache.hpp"

#include <stdexcept>

namespace canswarm::envelope {

namespace {

std::string_view as_text(bytes_view key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

} // namespace

replay_cache::replay_cache(std::chrono::nanoseconds window,
                           std::size_t capacity)
    : window_(window), capacity_(capacity) {
  if (capacity_ == 0)
    throw std::invalid_argument("replay_cache capacity must be at least 1");
  if (window_.count() < 0)
    throw std::invalid_argument("replay_cache window must not be negative");
}

void replay_cache::pop_front() {
  keys_.erase(*order_.front().key);
  order_.pop_front();
}

void replay_cache::expire(std::uint64_t now_unix_ns) {
  auto window = static_cast<std::uint64_t>(window_.count());
  while (!order_.empty() && now_unix_ns > order_.front().seen_at
         && now_unix_ns - order_.front().seen_at > window)
    pop_front();
}

bool replay_cache::contains(bytes_view key) const {
  return keys_.find(as_text(key)) != keys_.end();
}

void replay_cache::insert(bytes_view key, std::uint64_t now_unix_ns) {
  if (contains(key))
    return;
  if (order_.size() >= capacity_) {
    pop_front();
    ++evictions_;
  }
  auto [it, added] = keys_.emplace(as_text(key));
  order_.push_back(entry{now_unix_ns, &*it});
}

} // namespace canswarm::envelope
