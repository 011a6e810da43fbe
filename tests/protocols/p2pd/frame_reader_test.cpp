// The streaming frame reader: byte-at-a-time input, several requests on one
// connection, raw bytes after a frame, and the bounds.

#include <doctest/doctest.h>

#include <vector>

#include "canswarm/p2pd/codec.hpp"
#include "canswarm/varint/varint.hpp"

using namespace canswarm;
using namespace canswarm::p2pd;

namespace {

/// Feeds `data` one byte at a time, taking every complete frame after each
/// byte, as a control connection does with whatever a read returns.
std::vector<bytes> feed_bytewise(frame_reader& reader, const bytes& data) {
  std::vector<bytes> frames;
  for (auto b : data) {
    auto ok = reader.feed(bytes_view{&b, 1});
    REQUIRE_MESSAGE(ok.ok(), ok.error().describe());
    for (;;) {
      auto f = reader.next();
      REQUIRE_MESSAGE(f.ok(), f.error().describe());
      if (!*f)
        break;
      frames.push_back(std::move(**f));
    }
  }
  return frames;
}

} // namespace

TEST_CASE("frames fed one byte at a time come out whole and in order") {
  request identify;
  request connect;
  connect.type = request_type::connect;
  connect.connect = connect_request{hex("0020"), {hex("047f000001060fa1")}, 0};
  bytes wire;
  write_message(identify, wire);
  write_message(connect, wire);
  write_message(identify, wire);

  frame_reader reader;
  auto frames = feed_bytewise(reader, wire);
  REQUIRE(frames.size() == 3);
  CHECK(to_hex(frames[0]) == "0800");
  auto second = decode_request(frames[1]);
  REQUIRE(second);
  CHECK(*second == connect);
  CHECK(to_hex(frames[2]) == "0800");
  CHECK(reader.buffered() == 0);
}

TEST_CASE("an empty frame is a frame") {
  frame_reader reader;
  REQUIRE(reader.feed(hex("00 00")));
  auto f = reader.next();
  REQUIRE(f);
  REQUIRE(f->has_value());
  CHECK((*f)->empty());
  CHECK(reader.buffered() == 1);
}

TEST_CASE("an oversize length prefix is refused before its body is buffered") {
  // 4 MiB + 1 as a uvarint: 81 80 80 02.
  CHECK(to_hex(varint::encode(max_message_size + 1)) == "81808002");
  frame_reader reader;
  REQUIRE(reader.feed(hex("81")));
  REQUIRE(reader.feed(hex("80")));
  REQUIRE(reader.feed(hex("80")));
  CHECK(reader.buffered() == 3); // an incomplete prefix is not judged yet
  auto err = reader.feed(hex("02 ffffffff"));
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().code == errc::too_large);
  CHECK(err.error().message == "frame length 4194305 over limit 4194304");
  CHECK(reader.buffered() == 0);
  // The reader stays failed.
  auto again = reader.feed(hex("00"));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message == err.error().message);
  CHECK_FALSE(reader.next().ok());
}

TEST_CASE("a prefix and body over the bound in one read are not kept") {
  frame_reader reader(16);
  bytes wire = hex("11"); // 17 > 16
  wire.resize(1 + 17, 0xaa);
  auto err = reader.feed(wire);
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().message == "frame length 17 over limit 16");
  CHECK(reader.buffered() == 0);
}

TEST_CASE("an oversize frame after a good one is refused when reached") {
  frame_reader reader(16);
  REQUIRE(reader.feed(hex("01 aa 11")));
  auto first = reader.next();
  REQUIRE(first);
  CHECK(to_hex(**first) == "aa");
  auto second = reader.next();
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == errc::too_large);
}

TEST_CASE("a length prefix over nine bytes is malformed") {
  frame_reader reader;
  auto err = reader.feed(hex("ffffffffffffffffff"));
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().code == errc::malformed);
}

TEST_CASE("raw stream bytes after a response are handed over, not parsed") {
  // After the OK to STREAM_OPEN the connection is the stream; its first
  // bytes may look like a huge length prefix.
  bytes wire;
  write_message(ok_response(), wire);
  auto raw = hex("ffffffffffffffffffff 68656c6c6f");
  append(wire, raw);
  frame_reader reader(16);
  REQUIRE(reader.feed(wire));
  auto f = reader.next();
  REQUIRE(f);
  REQUIRE(f->has_value());
  auto r = decode_response(**f);
  REQUIRE(r);
  CHECK(r->type == response_type::ok);
  CHECK(to_hex(reader.take_rest()) == to_hex(raw));
  CHECK(reader.buffered() == 0);
}

TEST_CASE("a StreamInfo then stream bytes on a stream-handler connection") {
  bytes wire;
  write_message(stream_info{hex("0020"), hex("047f000001060fa1"), "/echo"},
                wire);
  CHECK(wire.size() < js_max_stream_info_size);
  append(wire, to_bytes("ping"));
  frame_reader reader;
  auto frames = feed_bytewise(reader, bytes(wire.begin(), wire.end() - 4));
  REQUIRE(frames.size() == 1);
  auto info = decode_stream_info(frames[0]);
  REQUIRE(info);
  CHECK(info->proto == "/echo");
  REQUIRE(reader.feed(to_bytes("ping")));
  CHECK(reader.take_rest() == to_bytes("ping"));
}

TEST_CASE("undrained frames beyond two maximal frames are refused") {
  frame_reader reader(16);
  CHECK(reader.max_buffered() == 50); // 2 * (16 + 9)
  bytes frame = hex("10");
  frame.resize(17, 0x55);
  REQUIRE(reader.feed(frame));
  REQUIRE(reader.feed(frame));
  auto err = reader.feed(frame); // 51 bytes without a next() in between
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().code == errc::too_large);
  CHECK(err.error().message
        == "51 bytes buffered over limit 50 (take frames with next())");
}

TEST_CASE("draining keeps a long conversation within the bound") {
  frame_reader reader(16);
  bytes frame = hex("10");
  frame.resize(17, 0x55);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(reader.feed(frame));
    auto f = reader.next();
    REQUIRE(f);
    REQUIRE(f->has_value());
    CHECK((*f)->size() == 16);
  }
  CHECK(reader.buffered() == 0);
}
