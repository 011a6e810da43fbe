#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace canswarm {

/// A distinct integer id type per `Tag`, so a connection id is never passed
/// where a stream id is expected.
template<class Tag, class T = std::uint64_t>
struct strong_id {
  T value = 0;
  constexpr auto operator<=>(const strong_id&) const = default;
};

struct conn_tag;
struct stream_tag;
struct request_tag;

using conn_id = strong_id<conn_tag>;
using stream_id = strong_id<stream_tag>;
using request_id = strong_id<request_tag>;

} // namespace canswarm

template<class Tag, class T>
struct std::hash<canswarm::strong_id<Tag, T>> {
  size_t operator()(const canswarm::strong_id<Tag, T>& x) const noexcept {
    return std::hash<T>{}(x.value);
  }
};
