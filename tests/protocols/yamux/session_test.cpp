#include <doctest/doctest.h>

#include "yamux_test_util.hpp"

using namespace canswarm;
using namespace canswarm::yamux;
using namespace canswarm::yamux::test;
using namespace std::chrono_literals;

namespace {

header syn_data(std::uint32_t id, std::uint32_t len) {
  return {0, frame_type::data, flag_syn, id, len};
}

} // namespace

TEST_CASE("the default config is valid and bad fields are named") {
  CHECK(config{}.validate());
  auto c = config{};
  c.max_stream_window = 1000;
  auto r = c.validate();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(r.error().message
        == "max_stream_window 1000 not in [262144, "
           "1073741824]");
  c = config{};
  c.max_outbound_ack_backlog = 257;
  CHECK(c.validate().error().message
        == "max_outbound_ack_backlog 257 not in [1, 256]");
  c = config{};
  c.max_frame_body = 0;
  CHECK_FALSE(c.validate());
  c = config{};
  c.max_session_send_buffer = c.max_stream_send_buffer - 1;
  CHECK_FALSE(c.validate());
  CHECK_THROWS_AS(session(role::client, c), std::invalid_argument);
}

TEST_CASE("a client opens odd streams and the first frame carries SYN") {
  session c{role::client, quiet_config()};
  auto a = c.open_stream();
  auto b = c.open_stream();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->value == 1);
  CHECK(b->value == 3);
  REQUIRE(c.write(*a, as_bytes("hello"), t0()));
  auto frames = output_frames(c);
  REQUIRE(frames.size() == 2);
  // Stream 1 has data: SYN rides on the DATA frame.
  CHECK(frames[0].h == header{0, frame_type::data, flag_syn, 1, 5});
  CHECK(frames[0].body == to_bytes("hello"));
  // Stream 3 has none: a WINDOW_UPDATE with SYN and no credit opens it.
  CHECK(frames[1].h == header{0, frame_type::window_update, flag_syn, 3, 0});
  CHECK(c.stats().outbound_unacked == 2);
  // The server's ACK clears the backlog.
  c.handle_input(make_frame({0, frame_type::window_update, flag_ack, 1, 0}),
                 t0());
  CHECK(c.stats().outbound_unacked == 1);
  CHECK(c.stream_info(*a)->acknowledged);
}

TEST_CASE("a server opens even streams") {
  session s{role::server, quiet_config()};
  auto a = s.open_stream();
  REQUIRE(a);
  CHECK(a->value == 2);
}

TEST_CASE("an inbound stream is acknowledged with our first frame on it") {
  session s{role::server, quiet_config()};
  auto in = make_frame(syn_data(1, 3), as_bytes("abc"));
  s.handle_input(in, t0());
  auto evs = drain(s);
  REQUIRE(evs.size() == 2);
  CHECK(std::get<stream_opened>(evs[0]).id == stream_id{1});
  CHECK(data_of(evs, stream_id{1}) == to_bytes("abc"));
  // No implicit ACK (libp2p yamux note).
  CHECK(s.take_output().empty());
  CHECK(s.stats().inbound_unacked == 1);
  REQUIRE(s.write(stream_id{1}, as_bytes("xy"), t0()));
  auto frames = output_frames(s);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h == header{0, frame_type::data, flag_ack, 1, 2});
  CHECK(s.stats().inbound_unacked == 0);
}

TEST_CASE("input split at every byte boundary is parsed the same") {
  auto in = make_frame(syn_data(1, 5), as_bytes("hello"));
  append(in, make_frame({0, frame_type::data, flag_fin, 1, 2}, as_bytes("!!")));
  session s{role::server, quiet_config()};
  for (auto b : in)
    s.handle_input(bytes_view{&b, 1}, t0());
  auto evs = drain(s);
  CHECK(count_of<stream_opened>(evs) == 1);
  CHECK(data_of(evs, stream_id{1}) == to_bytes("hello!!"));
  CHECK(count_of<stream_remote_closed>(evs) == 1);
}

TEST_CASE("half-close sends FIN after buffered data and removes the stream "
          "once both sides closed") {
  session c{role::client, quiet_config()};
  auto id = *c.open_stream();
  REQUIRE(c.write(id, as_bytes("req"), t0()));
  REQUIRE(c.close(id));
  CHECK(c.close(id)); // Idempotent.
  auto frames = output_frames(c);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h.flags == (flag_syn | flag_fin));
  CHECK(frames[0].body == to_bytes("req"));
  auto w = c.write(id, as_bytes("more"), t0());
  REQUIRE_FALSE(w);
  CHECK(w.error().code == errc::invalid_argument);
  CHECK(w.error().message == "stream 1 is closed for writing");
  // The remote still sends, then closes.
  c.handle_input(make_frame({0, frame_type::data, flag_ack, 1, 3},
                            as_bytes("rsp")),
                 t0());
  CHECK(c.stats().streams == 1);
  c.handle_input(make_frame({0, frame_type::window_update, flag_fin, 1, 0}),
                 t0());
  auto evs = drain(c);
  CHECK(data_of(evs, id) == to_bytes("rsp"));
  CHECK(count_of<stream_remote_closed>(evs) == 1);
  CHECK(c.stats().streams == 0);
}

TEST_CASE("reset sends RST, and a remote RST reports stream_reset") {
  session c{role::client, quiet_config()};
  auto a = *c.open_stream();
  auto b = *c.open_stream();
  c.take_output();
  REQUIRE(c.reset(a));
  auto frames = output_frames(c);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h == header{0, frame_type::window_update, flag_rst, 1, 0});
  CHECK(c.write(a, as_bytes("x"), t0()).error().code == errc::not_found);
  c.handle_input(make_frame({0, frame_type::window_update, flag_rst, 3, 0}),
                 t0());
  auto evs = drain(c);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<stream_reset>(evs[0]).id == b);
  CHECK(c.stats().streams == 0);
  CHECK(c.stats().outbound_unacked == 0);
  // Late frames for the reset streams are ignored, not errors.
  c.handle_input(make_frame({0, frame_type::data, 0, 1, 2}, as_bytes("zz")),
                 t0());
  CHECK_FALSE(c.closed());
  CHECK(drain(c).empty());
}

TEST_CASE("a stream reset before its SYN left is dropped silently") {
  session c{role::client, quiet_config()};
  auto a = *c.open_stream();
  REQUIRE(c.reset(a));
  CHECK(c.take_output().empty());
}

TEST_CASE("a full send buffer accepts part of a write, then none, then "
          "reports writable") {
  auto cfg = quiet_config();
  cfg.max_stream_send_buffer = 1000;
  cfg.max_session_send_buffer = 1500;
  session c{role::client, cfg};
  auto a = *c.open_stream();
  auto b = *c.open_stream();
  bytes big(1200, 0x55);
  auto n = c.write(a, big, t0());
  REQUIRE(n);
  CHECK(*n == 1000); // Stream bound.
  CHECK(*c.write(a, big, t0()) == 0);
  auto m = c.write(b, big, t0());
  CHECK(*m == 500); // Session bound.
  CHECK(c.stats().send_buffered == 1500);
  CHECK(drain(c).empty());
  // The transport drains the buffers (the 256 KiB window allows it).
  auto frames = output_frames(c);
  CHECK(frames.size() == 2);
  auto evs = drain(c);
  CHECK(count_of<stream_writable>(evs) == 2);
  CHECK(*c.write(a, big, t0()) == 1000);
}

TEST_CASE("writes with moved buffers are accepted without change") {
  session c{role::client, quiet_config()};
  auto a = *c.open_stream();
  bytes big(100000, 0x11);
  REQUIRE(*c.write(a, std::move(big), t0()) == 100000);
  auto frames = output_frames(c);
  // 16 KiB frames: 6 full, one of 1696 bytes.
  REQUIRE(frames.size() == 7);
  CHECK(frames[0].h.length == 16384);
  CHECK(frames[6].h.length == 100000 - 6 * 16384);
  CHECK(c.stream_info(a)->send_window == initial_window - 100000);
}

TEST_CASE("data waits for window credit and resumes on WINDOW_UPDATE") {
  session c{role::client, quiet_config()};
  auto a = *c.open_stream();
  bytes big(300000, 0x22);
  REQUIRE(*c.write(a, big, t0()) == 300000);
  auto out = c.take_output();
  auto frames = parse_frames(out);
  std::size_t sent = 0;
  for (auto& f : frames)
    sent += f.body.size();
  CHECK(sent == initial_window);
  CHECK_FALSE(c.wants_transmit());
  CHECK(c.stream_info(a)->send_window == 0);
  c.handle_input(make_frame(
                   {0, frame_type::window_update, flag_ack, 1, 100000}),
                 t0());
  frames = output_frames(c);
  sent = 0;
  for (auto& f : frames)
    sent += f.body.size();
  CHECK(sent == 300000 - initial_window);
}

TEST_CASE("consumed data returns credit once half the window is used") {
  auto cfg = quiet_config();
  cfg.auto_consume = false;
  session s{role::server, cfg};
  bytes chunk(100000, 0x33);
  s.handle_input(make_frame(syn_data(1, 100000), chunk), t0());
  s.handle_input(make_frame({0, frame_type::data, 0, 1, 100000}, chunk), t0());
  drain(s);
  CHECK(s.stream_info(stream_id{1})->recv_avail == initial_window - 200000);
  s.consume(stream_id{1}, 100000, t0());
  CHECK(s.take_output().empty()); // 100000 < half of 262144.
  s.consume(stream_id{1}, 100000, t0());
  auto frames = output_frames(s);
  REQUIRE(frames.size() == 1);
  // No RTT is known, so the window does not grow: credit is what was used.
  CHECK(frames[0].h
        == header{0, frame_type::window_update, flag_ack, 1, 200000});
  CHECK(s.stream_info(stream_id{1})->recv_avail == initial_window);
}

TEST_CASE("the window doubles when half of it is consumed within one RTT") {
  session s{role::server, config{}};
  // Learn an RTT of 10 ms from the start-up ping.
  auto frames = [&] {
    s.handle_input({}, t0());
    return output_frames(s);
  }();
  REQUIRE(frames.size() == 1);
  REQUIRE(frames[0].h.type == frame_type::ping);
  s.handle_input(make_frame(
                   {0, frame_type::ping, flag_ack, 0, frames[0].h.length}),
                 t0() + 10ms);
  REQUIRE(s.rtt() == 10ms);
  drain(s);
  bytes chunk(initial_window / 2, 0x44);
  s.handle_input(make_frame(syn_data(1, initial_window / 2), chunk),
                 t0() + 15ms);
  drain(s); // Auto-consumed at 15 ms, 5 ms after the stream opened.
  frames = output_frames(s);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h.length == initial_window + initial_window / 2);
  CHECK(s.stream_info(stream_id{1})->recv_window == 2 * initial_window);
  CHECK(s.stats().largest_recv_window == 2 * initial_window);
  // Consumed slowly (after more than one RTT): no growth.
  bytes more(initial_window, 0x45);
  s.handle_input(make_frame({0, frame_type::data, 0, 1, initial_window}, more),
                 t0() + 100ms);
  drain(s);
  frames = output_frames(s);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h.length == initial_window);
  CHECK(s.stream_info(stream_id{1})->recv_window == 2 * initial_window);
}

TEST_CASE("window growth stops at the session-wide receive budget") {
  auto cfg = config{};
  cfg.max_stream_window = 1024 * 1024;
  cfg.max_session_receive_window = 1152 * 1024; // 1 MiB + 128 KiB.
  session s{role::server, cfg};
  s.handle_input({}, t0());
  auto ping = output_frames(s);
  REQUIRE(ping.size() == 1);
  // An RTT of 0: every consumption counts as fast.
  s.handle_input(make_frame(
                   {0, frame_type::ping, flag_ack, 0, ping[0].h.length}),
                 t0());
  s.handle_input(make_frame({0, frame_type::window_update, flag_syn, 3, 0}),
                 t0()); // A second, idle stream holds 256 KiB.
  s.handle_input(make_frame(syn_data(1, 0)), t0());
  drain(s);
  for (int i = 0; i < 6; ++i) {
    auto avail = s.stream_info(stream_id{1})->recv_avail;
    bytes body(avail, 0x66);
    s.handle_input(make_frame({0, frame_type::data, 0, 1, avail}, body), t0());
    drain(s);
    s.take_output();
  }
  // 256 -> 512 KiB, then only the 384 KiB left of the budget: 896 KiB.
  CHECK(s.stream_info(stream_id{1})->recv_window == 896 * 1024);
  CHECK(s.stats().total_recv_window == cfg.max_session_receive_window);
}

TEST_CASE("ping measures the round trip and pings are answered") {
  session c{role::client, quiet_config()};
  c.ping(t0());
  c.ping(t0() + 1ms); // One outstanding at a time.
  auto frames = output_frames(c);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h.type == frame_type::ping);
  CHECK(frames[0].h.flags == flag_syn);
  c.handle_input(make_frame(
                   {0, frame_type::ping, flag_ack, 0, frames[0].h.length}),
                 t0() + 30ms);
  auto evs = drain(c);
  REQUIRE(first_of<ping_rtt>(evs));
  CHECK(first_of<ping_rtt>(evs)->rtt == 30ms);
  c.handle_input(make_frame({0, frame_type::ping, flag_syn, 0, 77}), t0());
  frames = output_frames(c);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h == header{0, frame_type::ping, flag_ack, 0, 77});
}

TEST_CASE("an unanswered ping fails the session after the ping timeout") {
  auto cfg = quiet_config();
  cfg.ping_timeout = 5s;
  session c{role::client, cfg};
  c.ping(t0());
  CHECK(c.poll_timeout() == t0() + 5s);
  c.handle_timeout(t0() + 4s);
  CHECK_FALSE(c.closed());
  c.handle_timeout(t0() + 5s);
  CHECK(c.closed());
  auto err = first_of<session_error>(drain(c));
  REQUIRE(err);
  CHECK(err->err.code == errc::timeout);
  CHECK(err->err.message == "ping timeout: no reply within 5000 ms");
}

TEST_CASE("keep-alive pings go out at the configured interval") {
  auto cfg = quiet_config();
  cfg.keep_alive_interval = 20s;
  session c{role::client, cfg};
  c.handle_timeout(t0());
  CHECK(c.poll_timeout() == t0() + 20s);
  c.handle_timeout(t0() + 20s);
  auto frames = output_frames(c);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h.type == frame_type::ping);
  CHECK(c.poll_timeout() == t0() + 20s + cfg.ping_timeout);
}

TEST_CASE("after GO_AWAY no new streams are opened either way") {
  session s{role::server, quiet_config()};
  s.handle_input(make_frame(syn_data(1, 1), as_bytes("a")), t0());
  s.go_away();
  auto frames = output_frames(s);
  REQUIRE(frames.size() == 1);
  CHECK(to_hex(make_frame(frames[0].h)) == "000300000000000000000000");
  auto o = s.open_stream();
  REQUIRE_FALSE(o);
  CHECK(o.error().message == "no new streams after our GO_AWAY");
  s.handle_input(make_frame(syn_data(3, 1), as_bytes("b")), t0());
  frames = output_frames(s);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h == header{0, frame_type::window_update, flag_rst, 3, 0});
  // Stream 1 goes on until both sides close it.
  CHECK_FALSE(s.closed());
  REQUIRE(s.close(stream_id{1}));
  s.take_output();
  s.handle_input(make_frame({0, frame_type::data, flag_fin, 1, 0}), t0());
  CHECK(s.closed());
  CHECK_FALSE(s.failure());
}

TEST_CASE("a remote GO_AWAY is reported once and refuses new streams") {
  session c{role::client, quiet_config()};
  auto go = make_frame({0, frame_type::go_away, 0, 0, 2});
  c.handle_input(go, t0());
  c.handle_input(go, t0());
  auto evs = drain(c);
  REQUIRE(evs.size() == 1);
  CHECK(std::get<go_away_received>(evs[0]).code == 2);
  CHECK(c.open_stream().error().message
        == "no new streams after remote GO_AWAY");
  CHECK(c.closed());
}
