#pragma once

// The running instance of a supervised actor: set by its spawn function on
// every (re)start, read by actors that talk to it without being restarted
// with it (the hybrid bus finds the NATS bridge this way). Thread-safe.

#include <mutex>
#include <utility>

namespace canswarm {

template<class Handle>
class actor_locator {
public:
  void set(Handle h) {
    std::lock_guard<std::mutex> guard{mtx_};
    actor_ = std::move(h);
  }

  Handle get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return actor_;
  }

private:
  mutable std::mutex mtx_;
  Handle actor_;
};

} // namespace canswarm
