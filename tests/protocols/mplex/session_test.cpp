// mplex sessions frame by frame: the exact bytes of an open / write /
// close exchange (golden hex), stream numbering on both sides, reset,
// write-buffer limits and the local go_away.

#include <doctest/doctest.h>

#include "mplex_test_util.hpp"

using namespace mplex_test;

TEST_CASE("a stream's life on the wire matches the golden bytes") {
  session client{role::client};
  session server{role::server};
  auto id = client.open_stream();
  REQUIRE(id);
  CHECK(id->value == 0); // Number 0, opened by us: 0 << 1 | 0.
  REQUIRE(client.write(*id, as_bytes("hello"), t0));
  REQUIRE(client.close(*id));
  CHECK(client.wants_transmit());
  auto wire = client.take_output();
  CHECK(to_hex(wire)
        == "000130" // NewStream 0, name "0"
           "020568656c6c6f" // MessageInitiator 0 "hello"
           "0400"); // CloseInitiator 0
  CHECK_FALSE(client.wants_transmit());

  server.handle_input(wire, t0);
  auto evs = events_of(server);
  REQUIRE(evs.size() == 3);
  auto remote_id = as<stream_opened>(evs[0]).id;
  CHECK(remote_id.value == 1); // Number 0, opened by the remote: 0 << 1 | 1.
  CHECK(as<stream_data>(evs[1]).id == remote_id);
  CHECK(text(as<stream_data>(evs[1]).data) == "hello");
  CHECK(as<stream_remote_closed>(evs[2]).id == remote_id);

  REQUIRE(server.write(remote_id, as_bytes("world"), t0));
  REQUIRE(server.close(remote_id));
  auto reply = server.take_output();
  CHECK(to_hex(reply)
        == "0105776f726c64" // MessageReceiver 0 "world"
           "0300"); // CloseReceiver 0
  // Close went both ways: the server forgot the stream.
  CHECK(server.stats().streams == 0);

  client.handle_input(reply, t0);
  evs = events_of(client);
  REQUIRE(evs.size() == 2);
  CHECK(text(as<stream_data>(evs[0]).data) == "world");
  CHECK(as<stream_remote_closed>(evs[1]).id == *id);
  CHECK(client.stats().streams == 0);
  CHECK(client.stats().frames_sent == 3);
  CHECK(client.stats().frames_received == 2);
}

TEST_CASE("both sides may open stream number 0; the streams stay apart") {
  session a{role::client};
  session b{role::server};
  auto a0 = a.open_stream();
  auto b0 = b.open_stream();
  REQUIRE(a0);
  REQUIRE(b0);
  REQUIRE(a.write(*a0, as_bytes("from a"), t0));
  REQUIRE(b.write(*b0, as_bytes("from b"), t0));
  deliver(a, b);
  deliver(b, a);
  auto at_b = events_of(b);
  auto at_a = events_of(a);
  REQUIRE(at_b.size() == 2);
  REQUIRE(at_a.size() == 2);
  CHECK(as<stream_opened>(at_b[0]).id.value == 1);
  CHECK(text(as<stream_data>(at_b[1]).data) == "from a");
  CHECK(as<stream_opened>(at_a[0]).id.value == 1);
  CHECK(text(as<stream_data>(at_a[1]).data) == "from b");
  // Replies on the remote-opened stream 0 reach the opener's stream 0.
  REQUIRE(b.write(stream_id{1}, as_bytes("reply to a"), t0));
  deliver(b, a);
  auto reply = events_of(a);
  REQUIRE(reply.size() == 1);
  CHECK(as<stream_data>(reply[0]).id == *a0);
  CHECK(a.stats().streams == 2);
  CHECK(a.stats().inbound_streams == 1);
  CHECK(a.stats().outbound_streams == 1);
}

TEST_CASE("a reset goes out at once and removes the stream on both sides") {
  session client{role::client};
  session server{role::server};
  auto id = client.open_stream();
  REQUIRE(id);
  deliver(client, server);
  auto remote_id = as<stream_opened>(events_of(server).at(0)).id;
  REQUIRE(client.write(*id, bytes(1000, 7), t0));
  REQUIRE(client.reset(*id));
  // Buffered data is dropped: only ResetInitiator 0 goes out.
  CHECK(to_hex(client.take_output()) == "0600");
  CHECK(client.stats().send_buffered == 0);
  CHECK(client.write(*id, as_bytes("x"), t0).error().code == errc::not_found);
  CHECK(client.reset(*id).error().code == errc::not_found);

  server.handle_input(hex("0600"), t0);
  auto evs = events_of(server);
  REQUIRE(evs.size() == 1);
  CHECK(as<stream_reset>(evs[0]).id == remote_id);
  CHECK(server.stats().streams == 0);
  // The server resets a stream it accepted: ResetReceiver.
  server.handle_input(hex("0801 31"), t0); // NewStream 1, name "1"
  auto second = as<stream_opened>(events_of(server).at(0)).id;
  REQUIRE(server.reset(second));
  CHECK(to_hex(server.take_output()) == "0d00"); // 1 << 3 | 5
}

TEST_CASE("a stream reset before its NewStream left sends nothing") {
  session s{role::client};
  auto id = s.open_stream();
  REQUIRE(id);
  REQUIRE(s.reset(*id));
  CHECK(s.take_output().empty());
  CHECK_FALSE(s.wants_transmit());
}

TEST_CASE("writes are bounded by the send buffers and resume when drained") {
  config cfg;
  cfg.max_stream_send_buffer = 100;
  cfg.max_session_send_buffer = 150;
  cfg.max_frame_body = 40;
  session s{role::client, cfg};
  auto a = s.open_stream();
  auto b = s.open_stream();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*s.write(*a, bytes(120, 1), t0) == 100); // Stream limit.
  CHECK(*s.write(*b, bytes(120, 2), t0) == 50); // Session limit.
  CHECK(*s.write(*b, bytes(10, 2), t0) == 0);
  CHECK(s.stats().send_buffered == 150);
  // One frame per stream per turn; frames of at most 40 bytes.
  bytes out;
  s.poll_transmit(out, 1);
  CHECK(s.stats().send_buffered == 110);
  // 40 bytes of room again, in both buffers: both blocked writers hear.
  auto evs = events_of(s);
  REQUIRE(evs.size() == 2);
  CHECK(as<stream_writable>(evs[0]).id == *a);
  CHECK(as<stream_writable>(evs[1]).id == *b);
  s.poll_transmit(out);
  CHECK(s.stats().send_buffered == 0);
  CHECK(events_of(s).empty());
  // 000130 + 0228 <40>: NewStream 0, then 40 bytes of MessageInitiator 0.
  CHECK(to_hex(bytes_view{out}.first(5)) == "0001300228");

  REQUIRE(s.close(*a));
  REQUIRE(s.close(*a)); // Idempotent.
  auto w = s.write(*a, as_bytes("late"), t0);
  REQUIRE_FALSE(w);
  CHECK(w.error().code == errc::invalid_argument);
}

TEST_CASE("go_away stops new streams both ways") {
  session s{role::server};
  s.handle_input(hex("0001 30"), t0); // NewStream 0
  auto first = as<stream_opened>(events_of(s).at(0)).id;
  s.go_away();
  CHECK_FALSE(s.closed());
  auto refused = s.open_stream();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::refused);
  s.handle_input(hex("0801 31"), t0); // NewStream 1: refused with a reset.
  CHECK(events_of(s).empty());
  CHECK(to_hex(s.take_output()) == "0d00");
  CHECK(s.stats().streams_refused == 1);
  REQUIRE(s.reset(first));
  CHECK(s.closed());
}

TEST_CASE("without auto_consume the application marks data as read") {
  config cfg;
  cfg.auto_consume = false;
  session s{role::server, cfg};
  s.handle_input(hex("0001 30  0203 616263"), t0); // NewStream 0, "abc"
  auto evs = events_of(s);
  REQUIRE(evs.size() == 2);
  auto id = as<stream_opened>(evs[0]).id;
  CHECK(s.stream_info(id)->recv_buffered == 3);
  s.consume(id, 2, t0);
  CHECK(s.stream_info(id)->recv_buffered == 1);
  s.consume(id, 100, t0); // Clamped.
  CHECK(s.stats().recv_buffered == 0);
}

TEST_CASE("invalid settings are refused") {
  config cfg;
  cfg.max_frame_body = max_message_size + 1;
  auto ok = cfg.validate();
  REQUIRE_FALSE(ok);
  CHECK(ok.error().message
        == "mplex config max_frame_body: must be 1..1048576 (the message "
           "limit)");
  CHECK_THROWS_AS(session(role::client, cfg), std::invalid_argument);
}
