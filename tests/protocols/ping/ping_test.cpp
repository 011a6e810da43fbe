#include <doctest/doctest.h>

#include <chrono>

#include "canswarm/ping/ping.hpp"

using namespace canswarm;
using namespace std::chrono_literals;

namespace {

// 32 bytes: 00 01 02 ... 1f
bytes counting_payload() {
  return hex("000102030405060708090a0b0c0d0e0f"
             "101112131415161718191a1b1c1d1e1f");
}

/// A virtual clock origin: nothing here reads a real clock.
const time_point t0 = time_point{} + 1h;

} // namespace

TEST_CASE("a ping writes exactly its 32-byte payload and the responder "
          "echoes it") {
  ping::pinger p;
  auto wire = p.start(counting_payload(), t0);
  REQUIRE(wire);
  CHECK(to_hex(*wire)
        == "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  ping::responder r{t0};
  auto echo = r.handle_input(*wire, t0);
  CHECK(echo == *wire);
  CHECK(r.echoed() == 1);
}

TEST_CASE("the round-trip time is measured on a virtual clock") {
  ping::pinger p;
  ping::responder r{t0};
  auto wire = p.start(counting_payload(), t0);
  REQUIRE(wire);
  // 15 ms each way
  auto echo = r.handle_input(*wire, t0 + 15ms);
  auto rtt = p.handle_input(echo, t0 + 30ms);
  REQUIRE(rtt);
  REQUIRE(rtt->has_value());
  CHECK(**rtt == 30ms);
  CHECK_FALSE(p.outstanding());
  CHECK(p.poll_timeout() == no_deadline);
}

TEST_CASE("an echo arriving a byte at a time completes on its last byte") {
  ping::pinger p;
  auto payload = counting_payload();
  REQUIRE(p.start(payload, t0));
  for (std::size_t i = 0; i + 1 < payload.size(); ++i) {
    auto r = p.handle_input(bytes_view{payload}.subspan(i, 1), t0 + 1ms);
    REQUIRE(r);
    CHECK_FALSE(r->has_value());
  }
  auto last = p.handle_input(bytes_view{payload}.last(1), t0 + 7ms);
  REQUIRE(last);
  REQUIRE(last->has_value());
  CHECK(**last == 7ms);
}

TEST_CASE("one pinger measures several pings in sequence") {
  ping::pinger p;
  ping::responder r{t0};
  auto now = t0;
  for (int i = 0; i < 3; ++i) {
    bytes payload(ping::payload_size, static_cast<std::uint8_t>(i));
    auto wire = p.start(payload, now);
    REQUIRE(wire);
    auto rtt = p.handle_input(r.handle_input(*wire, now), now + (i + 1) * 10ms);
    REQUIRE(rtt);
    REQUIRE(rtt->has_value());
    CHECK(**rtt == (i + 1) * 10ms);
    now += 1s;
  }
  CHECK(r.echoed() == 3);
}

TEST_CASE("a mismatched echo fails the pinger naming the byte") {
  ping::pinger p;
  auto payload = counting_payload();
  REQUIRE(p.start(payload, t0));
  auto echo = payload;
  echo[5] ^= 0xff;
  auto r = p.handle_input(echo, t0 + 1ms);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::protocol);
  CHECK(r.error().message == "echo differs from the ping payload at byte 5");
  CHECK(p.failed());
  // The failure sticks.
  CHECK(p.start(payload, t0 + 2ms).error().message
        == "echo differs from the ping payload at byte 5");
}

TEST_CASE("bytes beyond the echo or without a ping are protocol errors") {
  ping::pinger p;
  auto payload = counting_payload();
  REQUIRE(p.start(payload, t0));
  auto echo = payload;
  echo.push_back(0x20);
  auto r = p.handle_input(echo, t0);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "1 bytes beyond the 32-byte echo");

  ping::pinger idle;
  auto u = idle.handle_input(payload, t0);
  REQUIRE_FALSE(u);
  CHECK(u.error().code == errc::protocol);
  CHECK(u.error().message == "received 32 bytes with no ping outstanding");
}

TEST_CASE("a ping without echo times out at its deadline") {
  ping::pinger p{5s};
  CHECK(p.poll_timeout() == no_deadline);
  REQUIRE(p.start(counting_payload(), t0));
  CHECK(p.poll_timeout() == t0 + 5s);
  REQUIRE(p.handle_input(bytes_view{counting_payload()}.first(10), t0 + 1s));
  CHECK(p.handle_timeout(t0 + 5s - 1ms));
  CHECK_FALSE(p.failed());
  auto r = p.handle_timeout(t0 + 5s);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::timeout);
  CHECK(r.error().message == "no echo within 5000ms (10 of 32 bytes received)");
  CHECK(p.failed());
  CHECK(p.poll_timeout() == no_deadline);
  ping::pinger d;
  REQUIRE(d.start(counting_payload(), t0));
  CHECK(d.poll_timeout() == t0 + ping::default_timeout);
}

TEST_CASE("a ping must be 32 bytes and one at a time") {
  ping::pinger p;
  auto short_payload = p.start(bytes(31, 0), t0);
  REQUIRE_FALSE(short_payload);
  CHECK(short_payload.error().code == errc::invalid_argument);
  CHECK(short_payload.error().message
        == "ping payload must be 32 bytes, got 31");
  REQUIRE(p.start(counting_payload(), t0));
  auto second = p.start(counting_payload(), t0);
  REQUIRE_FALSE(second);
  CHECK(second.error().message == "a ping is already outstanding");
  CHECK_FALSE(p.failed());
}

TEST_CASE("the responder echoes only complete chunks, whatever the split") {
  ping::responder r{t0};
  bytes stream;
  for (int i = 0; i < 10000; ++i)
    stream.push_back(static_cast<std::uint8_t>(i * 7));
  bytes echoed;
  // Uneven splits: 1, 2, 3, ... bytes per call.
  std::size_t pos = 0;
  for (std::size_t step = 1; pos < stream.size(); ++step) {
    auto n = std::min(step % 45 + 1, stream.size() - pos);
    auto out = r.handle_input(bytes_view{stream}.subspan(pos, n), t0);
    pos += n;
    append(echoed, out);
    // Never echoes bytes that have not formed a full chunk yet.
    CHECK(echoed.size() == pos / ping::payload_size * ping::payload_size);
  }
  CHECK(r.echoed() == 10000 / ping::payload_size);
  CHECK(bytes_view{echoed}.size() == 312 * 32);
  CHECK(std::equal(echoed.begin(), echoed.end(), stream.begin()));
  // 16 trailing bytes (10000 - 312 * 32) stay pending, never echoed.
  CHECK(r.handle_input(bytes(15, 0), t0).empty());
  CHECK(r.handle_input(bytes(1, 0), t0).size() == 32);
}

TEST_CASE("a responder reports an idle stream after its timeout") {
  ping::responder r{t0, 60s};
  CHECK(r.poll_timeout() == t0 + 60s);
  CHECK_FALSE(r.idle(t0 + 59s));
  r.handle_input(bytes(20, 1), t0 + 30s); // partial ping: not activity
  CHECK(r.poll_timeout() == t0 + 60s);
  r.handle_input(bytes(12, 1), t0 + 40s); // completes a ping
  CHECK(r.poll_timeout() == t0 + 100s);
  CHECK_FALSE(r.idle(t0 + 99s));
  CHECK(r.idle(t0 + 100s));
}
