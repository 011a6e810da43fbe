// Yamux advisory class (issue #9): a peer that stops reading while we keep
// sending pings and opening streams. Everything we queue for it stays
// bounded (one outstanding ping, the outbound ACK backlog, the send
// buffers), and the session fails with a timeout instead of waiting
// forever. Virtual clock, so deterministic.

#include <doctest/doctest.h>

#include <string>

#include "yamux_test_util.hpp"

using namespace canswarm;
using namespace canswarm::yamux;
using namespace canswarm::yamux::test;
using namespace std::chrono_literals;

namespace {

/// Opens streams until refused, writing `chunk` on each; returns how many
/// opened.
std::size_t open_until_refused(session& s, bytes_view chunk, time_point now) {
  std::size_t opened = 0;
  for (int i = 0; i < 1000; ++i) {
    auto id = s.open_stream();
    if (!id) {
      CHECK(id.error().code == errc::refused);
      CHECK(id.error().message
            == "ACK backlog full: 256 streams unacknowledged");
      break;
    }
    ++opened;
    auto n = s.write(*id, chunk, now);
    REQUIRE(n);
  }
  return opened;
}

} // namespace

// Advisory class: unbounded queues towards a peer that stops reading (our
// transport cannot write at all: nothing is ever taken from the session).
TEST_CASE("a peer that stops reading while we ping and open streams: "
          "bounded queues, closed at the write timeout") {
  auto cfg = quiet_config();
  cfg.ping_timeout = 60s; // Let the write timeout be what fires.
  cfg.write_timeout = 30s;
  // Room for more streams than the ACK backlog: the backlog is the bound
  // a peer that never answers runs into.
  cfg.max_concurrent_streams = 1024;
  session c{role::client, cfg};
  auto now = t0();
  bytes chunk(64 * 1024, 0x42);
  c.ping(now);
  auto opened = open_until_refused(c, chunk, now);
  CHECK(opened == cfg.max_outbound_ack_backlog);
  // For 29.9 s we keep pinging, opening and writing; the peer reads none
  // of it and sends nothing.
  std::uint64_t accepted = 0;
  for (int tick = 1; tick < 300; ++tick) {
    now += 100ms;
    c.ping(now); // At most one outstanding.
    CHECK_FALSE(c.open_stream());
    for (std::uint32_t id = 1; id < 2 * opened; id += 2) {
      auto n = c.write(stream_id{id}, chunk, now);
      REQUIRE(n);
      accepted += *n;
    }
    c.handle_timeout(now);
    REQUIRE_FALSE(c.closed());
    auto st = c.stats();
    CHECK(st.streams == opened);
    CHECK(st.outbound_unacked == opened);
    CHECK(st.send_buffered <= cfg.max_session_send_buffer);
    CHECK(st.control_frames_pending <= 1);
  }
  CHECK(accepted <= cfg.max_session_send_buffer);
  // Nothing left the session since t0: the write timeout fires at t0 + 30 s.
  CHECK(c.poll_timeout() <= t0() + cfg.write_timeout);
  c.handle_timeout(t0() + cfg.write_timeout);
  REQUIRE(c.closed());
  REQUIRE(c.failure());
  CHECK(c.failure()->code == errc::timeout);
  CHECK(c.failure()->message.find("write timeout") == 0);
  CHECK(c.stats().send_buffered == 0);
}

// Advisory class: a silent peer with keep-alive pings (our transport drains,
// the peer never answers): one ping outstanding, the session fails after
// the ping timeout.
TEST_CASE("a silent peer is dropped at the ping timeout with one ping "
          "outstanding") {
  auto cfg = quiet_config();
  cfg.keep_alive_interval = 1s;
  cfg.ping_timeout = 5s;
  session c{role::client, cfg};
  auto now = t0();
  c.handle_timeout(now); // Starts the clock.
  std::size_t pings = 0;
  for (int tick = 0; tick < 100 && !c.closed(); ++tick) {
    now += 100ms;
    c.handle_timeout(now);
    for (const auto& f : parse_frames(c.take_output()))
      if (f.h.type == frame_type::ping)
        ++pings;
  }
  REQUIRE(c.closed());
  CHECK(pings == 1);
  CHECK(c.failure()->code == errc::timeout);
  CHECK(c.failure()->message == "ping timeout: no reply within 5000 ms");
}
