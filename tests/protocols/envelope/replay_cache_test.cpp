#include <doctest/doctest.h>

#include <cstring>

#include "canswarm/envelope/replay_cache.hpp"

using namespace canswarm;
namespace env = canswarm::envelope;
using std::chrono::nanoseconds;

namespace {

/// A 16-byte key that encodes `n`.
bytes key(std::uint64_t n) {
  bytes k(16, 0xab);
  std::memcpy(k.data(), &n, sizeof n);
  return k;
}

} // namespace

TEST_CASE("200000 distinct keys never grow the cache past its bound") {
  constexpr std::size_t bound = 1000;
  env::replay_cache cache{std::chrono::minutes{10}, bound};
  for (std::uint64_t i = 0; i < 200'000; ++i) {
    cache.insert(key(i), 1000 + i);
    REQUIRE(cache.size() <= bound);
  }
  CHECK(cache.size() == bound);
  CHECK(cache.capacity() == bound);
  CHECK(cache.evictions() == 200'000 - bound);
  // The newest `bound` keys are held, everything older was evicted.
  CHECK(cache.contains(key(199'999)));
  CHECK(cache.contains(key(200'000 - bound)));
  CHECK_FALSE(cache.contains(key(200'000 - bound - 1)));
  CHECK_FALSE(cache.contains(key(0)));
}

TEST_CASE("entries expire once their window has passed") {
  env::replay_cache cache{nanoseconds{100}, 10};
  cache.insert(key(1), 1000);
  cache.insert(key(2), 1050);
  cache.expire(1100); // exactly the window: still held
  CHECK(cache.contains(key(1)));
  cache.expire(1101);
  CHECK_FALSE(cache.contains(key(1)));
  CHECK(cache.contains(key(2)));
  cache.expire(1151);
  CHECK(cache.size() == 0);
  CHECK(cache.evictions() == 0);
}

TEST_CASE("a key inserted twice keeps its first time") {
  env::replay_cache cache{nanoseconds{100}, 10};
  cache.insert(key(1), 1000);
  cache.insert(key(1), 1090);
  CHECK(cache.size() == 1);
  cache.expire(1101);
  CHECK_FALSE(cache.contains(key(1)));
}

TEST_CASE("a wall clock stepping back keeps entries, never drops them early") {
  env::replay_cache cache{nanoseconds{100}, 10};
  cache.insert(key(1), 5000);
  cache.expire(10); // clock stepped back by a lot
  CHECK(cache.contains(key(1)));
  cache.expire(5101);
  CHECK_FALSE(cache.contains(key(1)));
}

TEST_CASE("keys of different lengths and contents are distinct") {
  env::replay_cache cache{nanoseconds{100}, 10};
  cache.insert(bytes{1, 2}, 0);
  CHECK(cache.contains(bytes{1, 2}));
  CHECK_FALSE(cache.contains(bytes{1, 2, 0}));
  CHECK_FALSE(cache.contains(bytes{1}));
  CHECK_FALSE(cache.contains(bytes{}));
  CHECK_THROWS_AS(env::replay_cache(nanoseconds{1}, 0), std::invalid_argument);
}
