// Hostile or broken peers: each case fails the session with a specific
// error (or, for stream limits, resets just the offending stream).

#include <doctest/doctest.h>

#include "yamux_test_util.hpp"

using namespace canswarm;
using namespace canswarm::yamux;
using namespace canswarm::yamux::test;
using namespace std::chrono_literals;

namespace {

// GO_AWAY with code 1 (protocol error), as the failed session's last output.
constexpr const char* go_away_protocol_error = "00 03 0000 00000000 00000001";

/// Feeds `input` to a fresh server and returns its session_error.
error fail_with(session& s, bytes_view input) {
  s.handle_input(input, t0());
  auto evs = drain(s);
  auto err = first_of<session_error>(evs);
  REQUIRE(err);
  CHECK(s.closed());
  CHECK(s.failure());
  // Nothing but the GO_AWAY goes out after a protocol error.
  CHECK(to_hex(s.take_output()) == to_hex(hex(go_away_protocol_error)));
  // Further input is ignored and the API refuses.
  s.handle_input(input, t0());
  CHECK(drain(s).empty());
  CHECK(s.open_stream().error().code == errc::refused);
  return err->err;
}

bytes wu(std::uint16_t flags, std::uint32_t id, std::uint32_t delta) {
  return make_frame({0, frame_type::window_update, flags, id, delta});
}

} // namespace

TEST_CASE("a window update overflowing the 32-bit send window is a protocol "
          "error") {
  session s{role::server, quiet_config()};
  auto in = wu(flag_syn, 1, 0);
  append(in, wu(0, 1, 0xffff0000)); // On top of the initial 256 KiB.
  auto err = fail_with(s, in);
  CHECK(err.code == errc::protocol);
  CHECK(err.message
        == "window update of 4294901760 overflows the send "
           "window of 262144 on stream 1");
}

TEST_CASE("a first DATA frame of 262,145 bytes exceeds the initial window") {
  session s{role::server, quiet_config()};
  // Only the header: the violation is known before any body arrives.
  auto err = fail_with(s, encode_header({0, frame_type::data, flag_syn, 1,
                                         initial_window + 1}));
  CHECK(err.code == errc::too_large);
  CHECK(err.message
        == "DATA frame of 262145 bytes exceeds the receive "
           "window of 262144 on stream 1");
  CHECK(s.stats().streams == 0);
}

TEST_CASE("a DATA header announcing 0xFFFFFFFF bytes fails at once without "
          "buffering") {
  session s{role::server, quiet_config()};
  auto in = make_frame({0, frame_type::data, flag_syn, 1, 4}, as_bytes("ping"));
  s.handle_input(in, t0());
  REQUIRE(count_of<stream_opened>(drain(s)) == 1);
  // The header, then silence.
  auto err = fail_with(s,
                       encode_header({0, frame_type::data, 0, 1, 0xffffffff}));
  CHECK(err.code == errc::too_large);
  CHECK(err.message
        == "DATA frame of 4294967295 bytes exceeds the receive "
           "window of 262140 on stream 1");
  CHECK(s.stats().streams == 0);
  CHECK(s.stats().events_pending == 0);
}

TEST_CASE("a huge DATA header for a closed stream is refused too") {
  session s{role::server, quiet_config()};
  s.handle_input(make_frame({0, frame_type::data, flag_syn, 1, 0}), t0());
  REQUIRE(s.reset(stream_id{1}));
  s.take_output();
  auto err = fail_with(s,
                       encode_header({0, frame_type::data, 0, 1, 0xffffffff}));
  CHECK(err.code == errc::too_large);
  CHECK(err.message
        == "DATA frame of 4294967295 bytes exceeds the receive "
           "window of 16777216 on stream 1");
}

TEST_CASE("data beyond the receive window is a session error") {
  session s{role::server, quiet_config()};
  bytes body(200000, 0);
  auto in = make_frame({0, frame_type::data, flag_syn, 1, 200000}, body);
  append(in, make_frame({0, frame_type::data, 0, 1, 70000}, body));
  auto err = fail_with(s, in);
  CHECK(err.code == errc::too_large);
  CHECK(err.message
        == "DATA frame of 70000 bytes exceeds the receive "
           "window of 62144 on stream 1");
}

TEST_CASE("unknown frame types and versions are protocol errors") {
  session a{role::server, quiet_config()};
  auto err = fail_with(a, hex("00 04 0000 00000001 00000000"));
  CHECK(err.code == errc::protocol);
  CHECK(err.message == "unknown yamux frame type 0x04");
  session b{role::server, quiet_config()};
  err = fail_with(b, hex("01 00 0001 00000001 00000000"));
  CHECK(err.message == "unsupported yamux version 1");
  session c{role::server, quiet_config()};
  err = fail_with(c, hex("00 02 0003 00000000 00000000"));
  CHECK(err.message == "PING needs exactly one of SYN and ACK, has SYN|ACK");
}

TEST_CASE("a remote stream with our parity is a protocol error") {
  session c{role::client, quiet_config()};
  auto err = fail_with(c, make_frame({0, frame_type::data, flag_syn, 7, 1},
                                     as_bytes("x")));
  CHECK(err.code == errc::protocol);
  CHECK(err.message
        == "remote opened stream 7, which has our parity (odd "
           "ids)");
}

TEST_CASE("frames for never-opened streams, duplicate SYNs and data after "
          "FIN are protocol errors") {
  session a{role::server, quiet_config()};
  auto err = fail_with(a, make_frame({0, frame_type::data, 0, 9, 1},
                                     as_bytes("x")));
  CHECK(err.message == "DATA frame for stream 9 that was never opened");
  session b{role::server, quiet_config()};
  auto in = wu(flag_syn, 1, 0);
  append(in, wu(flag_syn, 1, 0));
  err = fail_with(b, in);
  CHECK(err.message == "SYN for stream 1 which is open");
  session c{role::server, quiet_config()};
  in = wu(flag_syn | flag_fin, 1, 0);
  append(in, make_frame({0, frame_type::data, 0, 1, 1}, as_bytes("x")));
  err = fail_with(c, in);
  CHECK(err.message == "DATA after FIN on stream 1");
}

TEST_CASE("the 257th unacknowledged inbound stream is reset while stream 1 "
          "still works") {
  session s{role::server, quiet_config()};
  bytes in;
  for (std::uint32_t i = 0; i < 257; ++i)
    append(in, wu(flag_syn, 2 * i + 1, 0));
  s.handle_input(in, t0());
  auto evs = drain(s);
  CHECK(count_of<stream_opened>(evs) == 256);
  CHECK_FALSE(s.closed());
  auto frames = output_frames(s);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h == header{0, frame_type::window_update, flag_rst, 513, 0});
  CHECK(s.stats().streams == 256);
  CHECK(s.stats().inbound_unacked == 256);
  CHECK(s.stats().streams_refused == 1);
  // Stream 1 still carries data both ways.
  s.handle_input(make_frame({0, frame_type::data, 0, 1, 2}, as_bytes("hi")),
                 t0());
  CHECK(data_of(drain(s), stream_id{1}) == to_bytes("hi"));
  REQUIRE(*s.write(stream_id{1}, as_bytes("yo"), t0()) == 2);
  frames = output_frames(s);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h == header{0, frame_type::data, flag_ack, 1, 2});
  // A reset frees a slot for the next stream.
  REQUIRE(s.reset(stream_id{3}));
  s.take_output();
  s.handle_input(wu(flag_syn, 515, 0), t0());
  CHECK(count_of<stream_opened>(drain(s)) == 1);
  CHECK(s.take_output().empty());
}

TEST_CASE("the ACK backlog, not the stream count, refuses when streams are "
          "plentiful") {
  auto cfg = quiet_config();
  cfg.max_concurrent_streams = 1024;
  cfg.max_inbound_ack_backlog = 4;
  session s{role::server, cfg};
  bytes in;
  for (std::uint32_t id : {1, 3, 5, 7, 9})
    append(in, wu(flag_syn, id, 0));
  s.handle_input(in, t0());
  CHECK(count_of<stream_opened>(drain(s)) == 4);
  auto frames = output_frames(s);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].h.stream == 9);
  CHECK(frames[0].h.flags == flag_rst);
  // Acknowledging stream 1 (by writing on it) makes room for one more.
  REQUIRE(*s.write(stream_id{1}, as_bytes("a"), t0()) == 1);
  s.take_output();
  s.handle_input(wu(flag_syn, 11, 0), t0());
  CHECK(count_of<stream_opened>(drain(s)) == 1);
  CHECK(s.take_output().empty());
}

TEST_CASE("max_refused_streams counts refusals in a row: an accepted stream "
          "starts the count again") {
  auto cfg = quiet_config();
  cfg.max_concurrent_streams = 2;
  cfg.max_inbound_ack_backlog = 2;
  cfg.max_refused_streams = 3;
  session s{role::server, cfg};
  auto open = [&](std::uint32_t id) {
    s.handle_input(wu(flag_syn, id, 0), t0());
    return count_of<stream_opened>(drain(s)) == 1;
  };
  CHECK(open(1));
  CHECK(open(3));
  // Full: three refusals are within the bound.
  for (std::uint32_t id : {5, 7, 9})
    CHECK_FALSE(open(id));
  CHECK_FALSE(s.closed());
  // A slot frees up and the next stream is accepted: the count restarts.
  REQUIRE(s.reset(stream_id{1}));
  CHECK(open(11));
  for (std::uint32_t id : {13, 15, 17})
    CHECK_FALSE(open(id));
  CHECK_FALSE(s.closed());
  CHECK(s.stats().streams_refused == 6);
  // The fourth in a row fails the session.
  s.take_output();
  auto err = fail_with(s, wu(flag_syn, 19, 0));
  CHECK(err.code == errc::protocol);
  CHECK(err.message.find("max_refused_streams 3 exceeded")
        != std::string::npos);
}

TEST_CASE("a peer flooding pings without reading overflows the control "
          "queue") {
  auto cfg = quiet_config();
  cfg.max_pending_control_frames = 8;
  session s{role::server, cfg};
  bytes in;
  for (std::uint32_t i = 0; i < 9; ++i)
    append(in, make_frame({0, frame_type::ping, flag_syn, 0, i}));
  auto err = fail_with(s, in);
  CHECK(err.code == errc::too_large);
  CHECK(err.message
        == "more than 8 control frames pending: the peer sends "
           "PING or SYN faster than it reads");
}

TEST_CASE("a peer that stops reading makes our writes stall within the "
          "buffer bound and then time out") {
  auto cfg = quiet_config();
  cfg.max_stream_send_buffer = 512 * 1024;
  cfg.max_session_send_buffer = 512 * 1024;
  cfg.write_timeout = 30s;
  session c{role::client, cfg};
  auto id = *c.open_stream();
  bytes chunk(64 * 1024, 0x5a);
  std::size_t written = 0;
  auto now = t0();
  // The peer never sends WINDOW_UPDATE: after 256 KiB nothing leaves.
  for (int round = 0; round < 100; ++round) {
    now += 100ms;
    auto n = c.write(id, chunk, now);
    REQUIRE(n);
    written += *n;
    c.take_output();
    CHECK(c.stats().send_buffered <= cfg.max_stream_send_buffer);
    c.handle_timeout(now);
    REQUIRE_FALSE(c.closed());
  }
  CHECK(written == initial_window + cfg.max_stream_send_buffer);
  CHECK(c.stats().data_bytes_sent == initial_window);
  // The stall began when the window ran out (the 5th write, at 500 ms).
  CHECK(c.poll_timeout() == t0() + 500ms + 30s);
  c.handle_timeout(t0() + 500ms + 30s - 1ms);
  CHECK_FALSE(c.closed());
  c.handle_timeout(t0() + 500ms + 30s);
  REQUIRE(c.closed());
  auto err = first_of<session_error>(drain(c));
  REQUIRE(err);
  CHECK(err->err.code == errc::timeout);
  CHECK(err->err.message
        == "write timeout: 524288 bytes queued without "
           "progress for 30000 ms");
  CHECK(c.stats().send_buffered == 0);
}

TEST_CASE("seeded random frames never break the session's bounds") {
  std::uint64_t rng = 12345;
  auto next = [&] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  int failures = 0;
  for (int round = 0; round < 300; ++round) {
    session s{round % 2 ? role::client : role::server, config{}};
    auto now = t0();
    for (int i = 0; i < 200 && !s.closed(); ++i) {
      bytes in;
      if (next() % 8 == 0) {
        in.resize(next() % 40); // Raw noise.
        for (auto& b : in)
          b = static_cast<std::uint8_t>(next());
      } else {
        // Mostly well-formed headers with hostile field values.
        header h;
        h.type = static_cast<frame_type>(next() % 4);
        h.flags = static_cast<std::uint16_t>(next() % 16);
        h.stream = static_cast<std::uint32_t>(next() % 12);
        if (h.type == frame_type::ping || h.type == frame_type::go_away)
          h.stream = 0;
        h.length = next() % 4 == 0 ? static_cast<std::uint32_t>(next())
                                   : static_cast<std::uint32_t>(next() % 64);
        auto body = h.type == frame_type::data ? std::min(h.length, 64u) : 0;
        in = encode_header(h);
        in.resize(in.size() + body, 0xab);
      }
      now += std::chrono::milliseconds{next() % 50};
      s.handle_input(in, now);
      if (next() % 3 == 0)
        (void)s.open_stream();
      s.take_output();
      s.handle_timeout(now);
      auto st = s.stats();
      CHECK(st.streams <= s.settings().max_concurrent_streams);
      CHECK(st.total_recv_window <= s.settings().max_session_receive_window);
      CHECK(st.events_pending <= max_pending_events + 1);
    }
    for (auto& ev : drain(s))
      if (auto* e = std::get_if<session_error>(&ev)) {
        ++failures;
        CHECK(e->err.message.size() > 0);
        CHECK(e->err.code != errc::invalid_argument);
      }
  }
  CHECK(failures > 0); // The generator does reach the error paths.
}
