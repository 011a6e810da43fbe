// Flow accounting of a stream bridged to a socket: backpressure towards the
// socket, credit only for transferred stream bytes, and the end states.

#include <doctest/doctest.h>

#include "canswarm/control/bridge_flow.hpp"

using namespace canswarm;
using namespace canswarm::control;

TEST_CASE("socket reads pause once the muxer lags by the backlog bound") {
  bridge_flow f;
  CHECK(f.may_read());
  f.on_write_issued(max_bridge_write_backlog - 1);
  CHECK(f.may_read());
  f.on_write_issued(1);
  CHECK_FALSE(f.may_read());
  CHECK(f.write_backlog() == max_bridge_write_backlog);
  f.on_write_done(max_bridge_write_backlog - 1);
  CHECK(f.may_read());
  CHECK(f.write_backlog() == 1);
}

TEST_CASE("socket reads pause at the pending-write bound too") {
  bridge_flow f;
  for (std::size_t i = 0; i < max_bridge_pending_writes; ++i)
    f.on_write_issued(1);
  CHECK_FALSE(f.may_read());
  f.on_write_done(1);
  CHECK(f.may_read());
}

TEST_CASE("control bytes written first are not credited") {
  bridge_flow f;
  CHECK(f.socket_idle());
  f.on_control_bytes(40); // e.g. the OK response with its StreamInfo
  CHECK_FALSE(f.socket_idle());
  REQUIRE(f.on_stream_data(100));
  CHECK(f.on_transferred(30) == 0); // still the response
  CHECK(f.on_transferred(30) == 20); // 10 response bytes, then 20 data
  CHECK_FALSE(f.socket_idle());
  CHECK(f.on_transferred(80) == 80);
  CHECK(f.socket_backlog() == 0);
  CHECK(f.socket_idle());
  // Transfers beyond what was queued grant nothing.
  CHECK(f.on_transferred(5) == 0);
}

TEST_CASE("more stream data than the socket backlog bound is an error") {
  bridge_flow f;
  REQUIRE(f.on_stream_data(max_bridge_socket_backlog));
  auto r = f.on_stream_data(1);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::protocol);
  CHECK(r.error().message.find("max_bridge_socket_backlog")
        != std::string::npos);
  CHECK(f.socket_backlog() == max_bridge_socket_backlog);
}

TEST_CASE("a closed socket hands back the credit of bytes it never sent") {
  bridge_flow f;
  REQUIRE(f.on_stream_data(500));
  CHECK(f.on_transferred(200) == 200);
  CHECK(f.on_socket_gone() == 300);
  CHECK(f.socket_backlog() == 0);
  CHECK_FALSE(f.may_read());
  CHECK(f.draining());
  CHECK_FALSE(f.finished());
  f.on_remote_closed();
  CHECK_FALSE(f.draining());
  CHECK(f.finished());
}

TEST_CASE("the bridge finishes only when the muxer took every write") {
  bridge_flow f;
  f.on_write_issued(10);
  f.on_remote_closed();
  f.on_socket_gone();
  CHECK_FALSE(f.finished());
  f.on_write_done(10);
  CHECK(f.finished());
}

TEST_CASE("a reset finishes the bridge at once") {
  bridge_flow f;
  f.on_write_issued(10);
  f.on_reset();
  CHECK(f.was_reset());
  CHECK(f.finished());
  CHECK_FALSE(f.may_read());
  CHECK_FALSE(f.draining());
}

TEST_CASE("a remote close alone keeps the socket direction open") {
  bridge_flow f;
  f.on_remote_closed();
  CHECK(f.remote_closed());
  CHECK(f.may_read());
  CHECK_FALSE(f.finished());
}
