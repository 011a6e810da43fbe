#include <doctest/doctest.h>

#include "canswarm/identify/reader.hpp"

using namespace canswarm;
namespace id = canswarm::identify;

namespace {

id::message sample() {
  id::message m;
  m.agent_version = "canswarm/0.1.0";
  m.listen_addrs = {hex("047f000001060fa1")};
  m.protocols = {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"};
  return m;
}

} // namespace

TEST_CASE("the reader returns the message once the stream closes") {
  auto frame = id::encode_frame(sample());
  REQUIRE(frame);
  for (bool byte_at_a_time : {false, true}) {
    CAPTURE(byte_at_a_time);
    id::reader r;
    if (byte_at_a_time) {
      for (auto b : *frame)
        REQUIRE(r.handle_input(bytes_view{&b, 1}));
    } else {
      REQUIRE(r.handle_input(*frame));
    }
    CHECK(r.frames() == 1);
    auto m = r.finish();
    REQUIRE(m);
    CHECK(*m == sample());
  }
}

TEST_CASE("a message split over two frames is merged") {
  // go-libp2p sends a large message without the signed peer record first,
  // then the record alone.
  id::message rest;
  rest.signed_peer_record = hex("0102030405");
  auto first = id::encode_frame(sample());
  auto second = id::encode_frame(rest);
  REQUIRE(first);
  REQUIRE(second);
  // field 8, length 5, record
  CHECK(to_hex(*second)
        == "07"
           "4205"
           "0102030405");
  id::reader r;
  auto both = *first;
  append(both, *second);
  REQUIRE(r.handle_input(both));
  auto m = r.finish();
  REQUIRE(m);
  auto expected = sample();
  expected.signed_peer_record = hex("0102030405");
  CHECK(*m == expected);
  CHECK(r.frames() == 2);
}

TEST_CASE("an oversize frame is refused from its length prefix") {
  id::reader r;
  auto res = r.handle_input(hex("8140")); // 8193
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::too_large);
  CHECK(res.error().message
        == "identify frame: frame length 8193 over limit 8192 "
           "(max_message_size)");
  // The failure sticks.
  CHECK_FALSE(r.handle_input(hex("00")));
  CHECK_FALSE(r.finish());
}

TEST_CASE("more than ten frames are refused") {
  id::reader r;
  bytes frames;
  for (int i = 0; i < 11; ++i)
    append(frames, hex("00")); // empty message frames
  auto res = r.handle_input(frames);
  REQUIRE_FALSE(res);
  CHECK(res.error().message == "more than 10 identify frames (max_messages)");
}

TEST_CASE("frames whose merge exceeds a cap are refused") {
  id::message half;
  half.listen_addrs.assign(60, hex("047f000001060fa1"));
  auto frame = id::encode_frame(half);
  REQUIRE(frame);
  id::reader r;
  REQUIRE(r.handle_input(*frame));
  auto res = r.handle_input(*frame);
  REQUIRE_FALSE(res);
  CHECK(res.error().message
        == "120 listen addresses over limit 100 (max_listen_addrs)");
}

TEST_CASE("a stream closed early is malformed") {
  id::reader empty;
  auto none = empty.finish();
  REQUIRE_FALSE(none);
  CHECK(none.error().message == "stream closed before an identify message");

  auto frame = id::encode_frame(sample());
  REQUIRE(frame);
  id::reader cut;
  REQUIRE(cut.handle_input(bytes_view{*frame}.first(frame->size() - 1)));
  auto partial = cut.finish();
  REQUIRE_FALSE(partial);
  CHECK(partial.error().code == errc::malformed);
  CHECK(partial.error().message
        == "stream closed inside an identify frame ("
             + std::to_string(frame->size() - 1) + " bytes left)");
}

TEST_CASE("a frame that is not a protobuf fails the reader") {
  id::reader r;
  auto res = r.handle_input(hex("02 ffff"));
  REQUIRE_FALSE(res);
  CHECK(res.error().code == errc::malformed);
}
