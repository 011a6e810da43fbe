// What a misbehaving remote gets: a frame over 1 MiB or an unknown flag
// fails the session from the header; streams over the inbound bound are
// reset; data for unknown streams is dropped (or fails the session when it
// names a stream we never opened); data after Close and unread data over
// the receive bounds cost the stream; floods of resets and events are
// bounded.

#include <doctest/doctest.h>

#include <string>

#include "canswarm/varint/varint.hpp"
#include "mplex_test_util.hpp"

using namespace mplex_test;

namespace {

/// The session_error event that must be the last one.
error last_error(session& s) {
  auto evs = events_of(s);
  REQUIRE_FALSE(evs.empty());
  return as<session_error>(evs.back()).err;
}

bytes frame(std::uint64_t stream, flag tag, bytes_view body) {
  bytes out;
  encode_frame(stream, tag, body, out);
  return out;
}

} // namespace

TEST_CASE("a frame over 1 MiB fails the session before its body arrives") {
  session s{role::server};
  s.handle_input(hex("0001 30"), t0);
  // MessageInitiator 0 announcing 1048577 bytes, and 3 bytes of body.
  s.handle_input(hex("02 818040 616263"), t0);
  REQUIRE(s.closed());
  REQUIRE(s.failure());
  CHECK(s.failure()->code == errc::too_large);
  CHECK(s.failure()->message
        == "mplex MessageInitiator frame of 1048577 bytes for stream 0, over "
           "the 1048576-byte message limit");
  auto evs = events_of(s);
  REQUIRE(evs.size() == 2); // The stream opened, then the error.
  CHECK(as<session_error>(evs[1]).err.code == errc::too_large);
  CHECK(s.stats().streams == 0);
  CHECK(s.stats().data_bytes_received == 0);
  // Closed for good.
  CHECK(s.open_stream().error().code == errc::refused);
  s.handle_input(hex("0801 31"), t0);
  CHECK(events_of(s).empty());
  CHECK(s.take_output().empty());
}

TEST_CASE("a frame of exactly 1 MiB is accepted") {
  session s{role::server};
  s.handle_input(hex("0001 30"), t0);
  auto body = bytes(max_message_size, 0x5a);
  s.handle_input(frame(0, flag::message_initiator, body), t0);
  CHECK_FALSE(s.failure());
  auto evs = events_of(s);
  std::size_t got = 0;
  for (const auto& ev : evs)
    if (auto* d = std::get_if<stream_data>(&ev))
      got += d->data.size();
  CHECK(got == max_message_size);
}

TEST_CASE("an unknown flag fails the session") {
  session s{role::client};
  s.handle_input(hex("0f 00"), t0); // Stream 1, flag 7.
  REQUIRE(s.failure());
  CHECK(s.failure()->code == errc::protocol);
  CHECK(last_error(s).message == "mplex frame with unknown flag 7 (stream 1)");
}

TEST_CASE("streams over the inbound bound are reset, the session lives on") {
  config cfg;
  cfg.max_inbound_streams = 4;
  session s{role::server, cfg};
  bytes input;
  for (std::uint64_t n = 0; n < 6; ++n)
    append(input, frame(n, flag::new_stream, {}));
  // Data for refused stream 5 is dropped, data for stream 3 delivered.
  append(input, frame(5, flag::message_initiator, as_bytes("dropped")));
  append(input, frame(3, flag::message_initiator, as_bytes("kept")));
  s.handle_input(input, t0);
  CHECK_FALSE(s.failure());
  auto evs = events_of(s);
  REQUIRE(evs.size() == 5);
  for (int i = 0; i < 4; ++i)
    CHECK(as<stream_opened>(evs[i]).id.value == (std::uint64_t(i) << 1 | 1));
  CHECK(text(as<stream_data>(evs[4]).data) == "kept");
  // ResetReceiver for streams 4 (25 = 4 << 3 | 5) and 5 (2d).
  CHECK(to_hex(s.take_output())
        == "2500"
           "2d00");
  CHECK(s.stats().streams_refused == 2);
  CHECK(s.stats().inbound_streams == 4);
  CHECK(s.stats().data_bytes_dropped == 7);
  // Once one goes, the next NewStream is accepted.
  REQUIRE(s.reset(stream_id{0 << 1 | 1}));
  s.handle_input(frame(9, flag::new_stream, {}), t0);
  CHECK(as<stream_opened>(events_of(s).at(0)).id.value == (9 << 1 | 1));
}

TEST_CASE("data for an unknown stream is dropped or fails the session") {
  session s{role::client};
  // MessageInitiator for a stream the remote never opened (or that is gone
  // after a crossing reset): dropped, nothing else happens.
  s.handle_input(frame(42, flag::message_initiator, as_bytes("stale")), t0);
  s.handle_input(frame(42, flag::close_initiator, {}), t0);
  s.handle_input(frame(42, flag::reset_initiator, {}), t0);
  CHECK_FALSE(s.failure());
  CHECK(events_of(s).empty());
  CHECK(s.stats().data_bytes_dropped == 5);
  CHECK(s.take_output().empty());

  // We opened and reset stream 0; the remote's data crossed our reset.
  auto id = s.open_stream();
  REQUIRE(id);
  s.take_output();
  REQUIRE(s.reset(*id));
  s.handle_input(frame(0, flag::message_receiver, as_bytes("late")), t0);
  CHECK_FALSE(s.failure());

  // MessageReceiver for stream 7: we have only ever opened stream 0.
  s.handle_input(frame(7, flag::message_receiver, as_bytes("bogus")), t0);
  REQUIRE(s.failure());
  CHECK(s.failure()->code == errc::protocol);
  CHECK(last_error(s).message
        == "mplex MessageReceiver for stream 7, which we never opened");
}

TEST_CASE("a second NewStream for an open stream fails the session") {
  session s{role::server};
  s.handle_input(frame(3, flag::new_stream, as_bytes("3")), t0);
  s.handle_input(frame(3, flag::new_stream, as_bytes("3")), t0);
  REQUIRE(s.failure());
  CHECK(s.failure()->message
        == "mplex NewStream for stream 3, which is already open");
}

TEST_CASE("data after the remote's Close resets that stream only") {
  session s{role::server};
  s.handle_input(frame(0, flag::new_stream, {}), t0);
  s.handle_input(frame(1, flag::new_stream, {}), t0);
  s.handle_input(frame(0, flag::close_initiator, {}), t0);
  s.handle_input(frame(0, flag::message_initiator, as_bytes("late")), t0);
  CHECK_FALSE(s.failure());
  auto evs = events_of(s);
  REQUIRE(evs.size() == 4);
  CHECK(as<stream_remote_closed>(evs[2]).id.value == 1);
  CHECK(as<stream_reset>(evs[3]).id.value == 1);
  CHECK(to_hex(s.take_output()) == "0500"); // ResetReceiver 0
  CHECK(s.stats().streams == 1);
}

TEST_CASE("a stream whose unread data exceeds the bound is reset") {
  config cfg;
  cfg.max_stream_receive_buffer = 1000;
  cfg.max_session_receive_buffer = 1500;
  session s{role::server, cfg};
  s.handle_input(frame(0, flag::new_stream, {}), t0);
  s.handle_input(frame(1, flag::new_stream, {}), t0);
  CHECK(events_of(s).size() == 2);
  // 999 + 2 bytes on stream 0 while the application does not poll.
  s.handle_input(frame(0, flag::message_initiator, bytes(999, 1)), t0);
  CHECK(s.stats().recv_buffered == 999);
  s.handle_input(frame(0, flag::message_initiator, bytes(2, 1)), t0);
  CHECK_FALSE(s.failure());
  CHECK(s.stats().streams == 1);
  CHECK(s.stats().streams_overrun == 1);
  CHECK(s.stats().recv_buffered == 0);
  CHECK(to_hex(s.take_output()) == "0500"); // ResetReceiver 0
  // Stream 1 within its own bound but over the session one (1500).
  s.handle_input(frame(1, flag::message_initiator, bytes(800, 2)), t0);
  s.handle_input(frame(2, flag::new_stream, {}), t0);
  s.handle_input(frame(2, flag::message_initiator, bytes(800, 3)), t0);
  CHECK(s.stats().streams_overrun == 2);
  CHECK(to_hex(s.take_output()) == "1500"); // ResetReceiver 2
  // The application sees the data it had, then the resets.
  auto evs = events_of(s);
  REQUIRE(evs.size() == 5);
  CHECK(as<stream_data>(evs[0]).data.size() == 999);
  CHECK(as<stream_reset>(evs[1]).id.value == 1);
  CHECK(as<stream_data>(evs[2]).data.size() == 800);
  CHECK(as<stream_opened>(evs[3]).id.value == 5);
  CHECK(as<stream_reset>(evs[4]).id.value == 5);
  // A reader that keeps up is never reset.
  for (int i = 0; i < 100; ++i) {
    s.handle_input(frame(1, flag::message_initiator, bytes(500, 4)), t0);
    events_of(s);
  }
  CHECK(s.stats().streams_overrun == 2);
}

TEST_CASE("a peer that makes us reset streams but never reads is cut off") {
  config cfg;
  cfg.max_inbound_streams = 1;
  cfg.max_pending_control_frames = 10;
  session s{role::server, cfg};
  s.handle_input(frame(0, flag::new_stream, {}), t0);
  bytes flood;
  for (std::uint64_t n = 1; n <= 11; ++n)
    append(flood, frame(n, flag::new_stream, {}));
  s.handle_input(flood, t0);
  REQUIRE(s.failure());
  CHECK(s.failure()->code == errc::refused);
  CHECK(s.failure()->message
        == "more than 10 control frames pending: the peer makes us reset "
           "streams but does not read");
}

TEST_CASE("an application that never polls events fails the session") {
  session s{role::server};
  // Alternate two streams so data events cannot merge.
  s.handle_input(frame(0, flag::new_stream, {}), t0);
  s.handle_input(frame(1, flag::new_stream, {}), t0);
  bytes input;
  for (std::size_t i = 0; i < max_pending_events; ++i)
    append(input, frame(i % 2, flag::message_initiator, as_bytes("x")));
  s.handle_input(input, t0);
  REQUIRE(s.failure());
  CHECK(s.failure()->message
        == "more than 16384 events pending: the application does not poll");
}
