// Two sessions over a simulated link with a virtual clock: end-to-end
// behaviour, bulk transfer with window growth, timers.

#include <doctest/doctest.h>

#include <map>

#include "sim_link.hpp"

using namespace canswarm;
using namespace canswarm::yamux;
using namespace canswarm::yamux::test;
using namespace std::chrono_literals;

namespace {

/// Drains `s`, echoing data on inbound streams and closing them when the
/// remote closes. Returns the events.
std::vector<event> echo_app(session& s, time_point now) {
  auto evs = drain(s);
  for (auto& ev : evs) {
    if (auto* d = std::get_if<stream_data>(&ev)) {
      // Our own streams may already be gone (both sides closed).
      if (auto info = s.stream_info(d->id); info && !info->outbound) {
        auto n = s.write(d->id, d->data, now);
        REQUIRE_MESSAGE(n, n.error().describe());
        REQUIRE(*n == d->data.size());
      }
    } else if (auto* c = std::get_if<stream_remote_closed>(&ev)) {
      if (auto info = s.stream_info(c->id); info && !info->outbound)
        REQUIRE(s.close(c->id));
    }
  }
  return evs;
}

} // namespace

TEST_CASE("streams opened both ways echo their data over a slow, "
          "fragmenting link") {
  sim s{5ms, config{}, config{}, 7, 42};
  auto a = *s.client.open_stream();
  auto b = *s.server.open_stream();
  REQUIRE(*s.client.write(a, as_bytes("from the client"), s.now) == 15);
  REQUIRE(*s.server.write(b, as_bytes("from the server"), s.now) == 15);
  REQUIRE(s.client.close(a));
  REQUIRE(s.server.close(b));
  std::vector<event> client_evs, server_evs;
  for (int i = 0;
       i < 1000
       && (s.client.stats().streams > 0 || s.server.stats().streams > 0);
       ++i) {
    REQUIRE(s.step());
    for (auto& ev : echo_app(s.client, s.now))
      client_evs.push_back(std::move(ev));
    for (auto& ev : echo_app(s.server, s.now))
      server_evs.push_back(std::move(ev));
  }
  CHECK(data_of(client_evs, a) == to_bytes("from the client"));
  CHECK(data_of(server_evs, b) == to_bytes("from the server"));
  CHECK(first_of<stream_opened>(client_evs)->id == b);
  CHECK(first_of<stream_opened>(server_evs)->id == a);
  CHECK(s.client.stats().streams == 0);
  CHECK(s.server.stats().streams == 0);
  CHECK_FALSE(s.client.closed());
  CHECK_FALSE(s.server.failure());
}

TEST_CASE("64 MiB over one stream arrive byte-identical and the window "
          "grows") {
  constexpr std::uint64_t total = 64ull * 1024 * 1024;
  constexpr std::uint64_t seed = 0x5eed;
  sim s{10ms, config{}, config{}, 100000, 7};
  auto id = *s.client.open_stream();
  bytes pending;
  std::size_t pending_off = 0;
  std::uint64_t sent = 0, received = 0;
  bool fin_sent = false, fin_seen = false, mismatch = false;
  std::uint32_t largest_window = 0;
  int steps = 0;
  while (!fin_seen && ++steps < 100000) {
    // The writer refills as fast as the session accepts (the link has no
    // bandwidth limit: only the window limits the rate).
    for (bool progress = true; progress && sent < total;) {
      if (pending_off == pending.size()) {
        pending.resize(std::min<std::uint64_t>(256 * 1024, total - sent));
        fill_pattern(seed, sent, pending);
        pending_off = 0;
      }
      auto n = s.client.write(id, bytes_view{pending}.subspan(pending_off),
                              s.now);
      REQUIRE(n);
      pending_off += *n;
      sent += *n;
      s.flush();
      progress = *n > 0;
    }
    if (sent == total && !fin_sent) {
      REQUIRE(s.client.close(id));
      fin_sent = true;
    }
    REQUIRE(s.step());
    while (auto ev = s.server.poll_event()) {
      if (auto* d = std::get_if<stream_data>(&*ev)) {
        for (std::size_t i = 0; i < d->data.size(); ++i)
          mismatch |= d->data[i] != pattern_byte(seed, received + i);
        received += d->data.size();
      } else if (std::holds_alternative<stream_remote_closed>(*ev)) {
        fin_seen = true;
      }
    }
    drain(s.client);
    if (auto info = s.server.stream_info(id))
      largest_window = std::max(largest_window, info->recv_window);
  }
  CHECK_FALSE(mismatch);
  CHECK(received == total);
  CHECK(fin_seen);
  CHECK(largest_window > initial_window);
  CHECK(largest_window <= config{}.max_stream_window);
  auto info = s.server.stream_info(id);
  REQUIRE(info); // The server has not closed its side yet.
  CHECK(info->recv_window > initial_window);
  CHECK(s.server.stats().data_bytes_received == total);
  MESSAGE("64 MiB took "
          << steps << " steps, "
          << std::chrono::duration_cast<std::chrono::milliseconds>(s.now - t0())
               .count()
          << " ms virtual time, final window " << info->recv_window);
}

TEST_CASE("many concurrent streams each arrive intact") {
  sim s{2ms, config{}, config{}, 3000, 9};
  constexpr int count = 32;
  constexpr std::size_t size = 300 * 1024; // More than one initial window.
  std::map<std::uint64_t, std::size_t> sent, received;
  std::vector<stream_id> ids;
  for (int i = 0; i < count; ++i)
    ids.push_back(*s.client.open_stream());
  bool mismatch = false;
  for (int step = 0; step < 20000; ++step) {
    for (auto id : ids) {
      auto& off = sent[id.value];
      if (off == size)
        continue;
      bytes chunk(std::min<std::size_t>(10000, size - off));
      fill_pattern(id.value, off, chunk);
      off += *s.client.write(id, chunk, s.now);
      if (off == size)
        REQUIRE(s.client.close(id));
    }
    if (!s.step())
      break;
    while (auto ev = s.server.poll_event()) {
      if (auto* d = std::get_if<stream_data>(&*ev)) {
        auto& got = received[d->id.value];
        for (std::size_t i = 0; i < d->data.size(); ++i)
          mismatch |= d->data[i] != pattern_byte(d->id.value, got + i);
        got += d->data.size();
      } else if (auto* c = std::get_if<stream_remote_closed>(&*ev)) {
        REQUIRE(s.server.close(c->id));
      }
    }
    drain(s.client);
    if (s.client.stats().streams == 0)
      break;
  }
  CHECK_FALSE(mismatch);
  REQUIRE(received.size() == count);
  for (auto& [id, n] : received)
    CHECK(n == size);
  CHECK(s.client.stats().streams == 0);
  CHECK(s.server.stats().streams == 0);
}

TEST_CASE("half-close lets the other direction keep sending") {
  sim s{3ms, config{}, config{}};
  auto id = *s.client.open_stream();
  REQUIRE(s.client.write(id, as_bytes("request"), s.now));
  REQUIRE(s.client.close(id));
  s.settle();
  auto evs = drain(s.server);
  CHECK(data_of(evs, id) == to_bytes("request"));
  CHECK(first_of<stream_remote_closed>(evs)->id == id);
  // The server's side is still open.
  REQUIRE(*s.server.write(id, as_bytes("response"), s.now) == 8);
  s.settle();
  evs = drain(s.client);
  CHECK(data_of(evs, id) == to_bytes("response"));
  CHECK_FALSE(first_of<stream_remote_closed>(evs));
  CHECK(s.client.stream_info(id)->local_closed);
  REQUIRE(s.server.close(id));
  s.settle();
  CHECK(first_of<stream_remote_closed>(drain(s.client))->id == id);
  CHECK(s.client.stats().streams == 0);
  CHECK(s.server.stats().streams == 0);
}

TEST_CASE("a reset by the server reaches the client and kills the stream") {
  sim s{3ms, config{}, config{}};
  auto id = *s.client.open_stream();
  REQUIRE(s.client.write(id, as_bytes("hi"), s.now));
  s.settle();
  REQUIRE(first_of<stream_opened>(drain(s.server)));
  REQUIRE(s.server.reset(id));
  // Data the client sends meanwhile is dropped by the server, not an error.
  REQUIRE(s.client.write(id, as_bytes("late"), s.now));
  s.settle();
  auto evs = drain(s.client);
  CHECK(first_of<stream_reset>(evs)->id == id);
  CHECK(s.client.write(id, as_bytes("x"), s.now).error().code
        == errc::not_found);
  CHECK(drain(s.server).empty());
  CHECK_FALSE(s.server.failure());
  CHECK_FALSE(s.client.failure());
}

TEST_CASE("ping RTT equals twice the link latency") {
  auto cfg = config{};
  cfg.rtt_ping = false;
  sim s{25ms, cfg, cfg};
  auto start = s.now;
  s.client.ping(s.now);
  std::optional<ping_rtt> rtt;
  for (int i = 0; i < 10 && !rtt; ++i) {
    REQUIRE(s.step());
    rtt = first_of<ping_rtt>(drain(s.client));
  }
  REQUIRE(rtt);
  CHECK(rtt->rtt == 50ms);
  CHECK(s.now - start == 50ms);
  CHECK(s.client.rtt() == 50ms);
}

TEST_CASE("go-away stops new streams while existing ones finish") {
  sim s{1ms, config{}, config{}};
  auto id = *s.client.open_stream();
  REQUIRE(s.client.write(id, as_bytes("a"), s.now));
  s.settle();
  drain(s.server);
  s.server.go_away();
  s.settle();
  auto evs = drain(s.client);
  REQUIRE(first_of<go_away_received>(evs));
  CHECK(first_of<go_away_received>(evs)->code == 0);
  CHECK(s.client.open_stream().error().code == errc::refused);
  // The open stream still works both ways until closed.
  REQUIRE(s.server.write(id, as_bytes("b"), s.now));
  REQUIRE(s.server.close(id));
  REQUIRE(s.client.close(id));
  s.settle();
  CHECK(data_of(drain(s.client), id) == to_bytes("b"));
  CHECK(s.client.closed());
  CHECK(s.server.closed());
  CHECK_FALSE(s.client.failure());
  CHECK_FALSE(s.server.failure());
}

TEST_CASE("a server that stops reading makes the client time out its "
          "writes") {
  auto cfg = config{};
  cfg.write_timeout = 5s;
  cfg.ping_timeout = 60s; // Let the write timeout be what fires.
  sim s{10ms, cfg, cfg};
  s.server_reading = false;
  auto id = *s.client.open_stream();
  bytes chunk(128 * 1024, 1);
  std::size_t written = 0;
  std::optional<session_error> err;
  for (int i = 0; i < 10000 && !err; ++i) {
    // Write until the session accepts nothing more (window and buffer full).
    for (std::size_t n = 1; n > 0 && !s.client.closed();) {
      n = *s.client.write(id, chunk, s.now);
      written += n;
      s.flush();
    }
    CHECK(s.client.stats().send_buffered <= cfg.max_stream_send_buffer);
    if (!s.step())
      break;
    err = first_of<session_error>(drain(s.client));
  }
  REQUIRE(err);
  CHECK(err->err.code == errc::timeout);
  CHECK(written == initial_window + cfg.max_stream_send_buffer);
  CHECK(s.now - t0() >= 5s);
  CHECK(s.now - t0() < 5s + 100ms);
}
