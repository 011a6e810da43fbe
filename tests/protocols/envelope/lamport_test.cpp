#include <doctest/doctest.h>

#include <vector>

#include "canswarm/envelope/lamport_clock.hpp"

namespace env = canswarm::envelope;

TEST_CASE("a Lamport clock ticks on send and jumps past what it observes") {
  env::lamport_clock c;
  CHECK(c.value() == 0);
  CHECK(c.tick() == 1); // the first envelope carries 1, never 0
  CHECK(c.tick() == 2);
  CHECK(c.observe(10) == 11); // max(2, 10) + 1
  CHECK(c.observe(3) == 12); // max(11, 3) + 1
  CHECK(c.value() == 12);
  env::lamport_clock restored{41};
  CHECK(restored.tick() == 42);
}

TEST_CASE("tick and observe across three clocks give a causal order") {
  env::lamport_clock a, b, c;
  struct event {
    char who;
    std::uint64_t time;
  };
  std::vector<event> log;
  auto send = [&](char who, env::lamport_clock& clock) {
    auto t = clock.tick();
    log.push_back({who, t});
    return t;
  };

  auto m1 = send('a', a); // a: NEED
  auto r1 = b.observe(m1); // b receives NEED
  auto m2 = send('b', b); // b: PROPOSE, caused by m1
  auto m3 = send('c', c); // c: concurrent CLAIM
  auto r2 = a.observe(m2); // a receives PROPOSE
  auto r3 = a.observe(m3); // a receives CLAIM
  auto m4 = send('a', a); // a: DECIDE, after both
  auto r4 = c.observe(m4); // c receives DECIDE
  auto m5 = send('c', c); // c: COMMIT

  // Every send happens after what its sender received before it.
  CHECK(m1 < r1);
  CHECK(r1 < m2);
  CHECK(m2 < r2);
  CHECK(m3 < r3);
  CHECK(r2 < r3);
  CHECK(r3 < m4);
  CHECK(m4 < r4);
  CHECK(r4 < m5);
  // The causal chain NEED -> PROPOSE -> DECIDE -> COMMIT is ordered, and so
  // is the concurrent CLAIM relative to the DECIDE that saw it.
  CHECK(m1 < m2);
  CHECK(m2 < m4);
  CHECK(m3 < m4);
  CHECK(m4 < m5);
  CHECK(log.size() == 5);
  // a: sends 1, observes 3 -> 4, observes 1 -> 5, sends 6; c: sends 1,
  // observes 6 -> 7, sends 8.
  CHECK(m1 == 1);
  CHECK(m2 == 3);
  CHECK(m3 == 1);
  CHECK(m4 == 6);
  CHECK(m5 == 8);
}

TEST_CASE("a Lamport clock saturates instead of wrapping") {
  env::lamport_clock c{env::lamport_clock::max_value - 1};
  CHECK(c.tick() == env::lamport_clock::max_value);
  CHECK(c.tick() == env::lamport_clock::max_value);
  env::lamport_clock d;
  CHECK(d.observe(env::lamport_clock::max_value)
        == env::lamport_clock::max_value);
  CHECK(d.value() == env::lamport_clock::max_value);
}
