#pragma once

// A small blocking queue for values handed over by nats.c threads in tests.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace canswarm::test {

template<class T>
class blocking_queue {
public:
  void push(T x) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      items_.push_back(std::move(x));
    }
    cv_.notify_all();
  }

  /// Returns the next item, or nullopt if none arrived within `timeout`.
  std::optional<T> pop(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> guard{mtx_};
    if (!cv_.wait_for(guard, timeout, [this] { return !items_.empty(); }))
      return std::nullopt;
    auto x = std::move(items_.front());
    items_.pop_front();
    return x;
  }

  std::size_t size() {
    std::lock_guard<std::mutex> guard{mtx_};
    return items_.size();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<T> items_;
};

} // namespace canswarm::test
