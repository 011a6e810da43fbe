// Flow accounting of a subscribed control connection: messages wait until
// the kernel took their bytes; beyond the bounds they are dropped and
// counted.

#include <doctest/doctest.h>

#include "canswarm/control/subscription_flow.hpp"

using namespace canswarm;
using namespace canswarm::control;

TEST_CASE("a subscription admits messages up to the message bound") {
  subscription_flow f;
  for (std::size_t i = 0; i < max_subscription_backlog; ++i)
    REQUIRE(f.admit(10));
  CHECK(f.backlog() == max_subscription_backlog);
  CHECK(f.backlog_bytes() == 10 * max_subscription_backlog);
  CHECK_FALSE(f.admit(10));
  CHECK_FALSE(f.admit(1));
  CHECK(f.dropped() == 2);
  CHECK(f.written() == max_subscription_backlog);
  // The kernel took everything: room again.
  f.on_transferred(0);
  CHECK(f.backlog() == 0);
  CHECK(f.admit(10));
  CHECK(f.dropped() == 2);
}

TEST_CASE("a subscription admits messages up to the byte bound") {
  subscription_flow f;
  constexpr std::size_t mib = 1024 * 1024;
  static_assert(max_subscription_backlog_bytes == 4 * mib);
  for (int i = 0; i < 4; ++i)
    REQUIRE(f.admit(mib));
  CHECK_FALSE(f.admit(1));
  CHECK(f.dropped() == 1);
  // One message left the buffer: one more fits, a bigger one does not.
  f.on_transferred(3 * mib);
  CHECK(f.backlog() == 3);
  CHECK_FALSE(f.admit(mib + 1));
  CHECK(f.admit(mib));
  CHECK(f.dropped() == 2);
  // A message over the byte bound can never be written.
  subscription_flow g;
  CHECK_FALSE(g.admit(max_subscription_backlog_bytes + 1));
  CHECK(g.dropped() == 1);
}

TEST_CASE("a message waits until the send buffer holds none of its bytes") {
  subscription_flow f;
  // 10 control bytes (the OK response) were written before the messages
  // and may still wait ahead of them.
  f.admit(10);
  f.admit(20);
  f.admit(30);
  f.on_transferred(70); // Control bytes and all three messages wait.
  CHECK(f.backlog() == 3);
  f.on_transferred(60); // The control bytes are gone.
  CHECK(f.backlog() == 3);
  f.on_transferred(51); // One byte of the first message waits.
  CHECK(f.backlog() == 3);
  f.on_transferred(50);
  CHECK(f.backlog() == 2);
  CHECK(f.backlog_bytes() == 50);
  f.on_transferred(1);
  CHECK(f.backlog() == 1);
  f.on_transferred(0);
  CHECK(f.backlog() == 0);
  CHECK(f.backlog_bytes() == 0);
  CHECK(f.written() == 3);
  CHECK(f.dropped() == 0);
}
