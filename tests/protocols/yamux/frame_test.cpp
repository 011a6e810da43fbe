#include <doctest/doctest.h>

#include <string>

#include "canswarm/yamux/frame.hpp"

using namespace canswarm;
using namespace canswarm::yamux;

namespace {

struct golden {
  const char* name;
  header h;
  const char* hex_text; // Annotated, white space ignored.
};

// Layout from hashicorp/yamux spec.md "Framing": version (8) type (8)
// flags (16) stream id (32) length (32), all big endian.
const golden vectors[] = {
  {"DATA with SYN opening stream 1",
   {0, frame_type::data, flag_syn, 1, 5},
   "00" // version 0
   "00" // type 0x0 DATA
   "0001" // flags SYN
   "00000001" // stream 1 (client: odd)
   "00000005"}, // length: 5 body bytes follow
  {"WINDOW_UPDATE with ACK granting 256 KiB on stream 2",
   {0, frame_type::window_update, flag_ack, 2, 262144},
   "00" // version 0
   "01" // type 0x1 WINDOW_UPDATE
   "0002" // flags ACK
   "00000002" // stream 2 (server: even)
   "00040000"}, // delta 0x40000 = 262144
  {"PING with SYN",
   {0, frame_type::ping, flag_syn, 0, 42},
   "00" // version 0
   "02" // type 0x2 PING
   "0001" // flags SYN: request
   "00000000" // stream 0: the session
   "0000002a"}, // opaque value 42
  {"PING with ACK",
   {0, frame_type::ping, flag_ack, 0, 42},
   "00" // version 0
   "02" // type 0x2 PING
   "0002" // flags ACK: response
   "00000000" // stream 0
   "0000002a"}, // echoed opaque value 42
  {"GO_AWAY with protocol error",
   {0, frame_type::go_away, 0, 0, 1},
   "00" // version 0
   "03" // type 0x3 GO_AWAY
   "0000" // no flags
   "00000000" // stream 0
   "00000001"}, // code 1: protocol error
  {"DATA with FIN and an empty body on stream 3",
   {0, frame_type::data, flag_fin, 3, 0},
   "00 00 0004 00000003 00000000"},
  {"WINDOW_UPDATE with RST on stream 0xfffffffe",
   {0, frame_type::window_update, flag_rst, 0xfffffffe, 0},
   "00 01 0008 fffffffe 00000000"},
};

} // namespace

TEST_CASE("yamux frame headers match the golden vectors both ways") {
  for (const auto& v : vectors) {
    CAPTURE(v.name);
    auto wire = hex(v.hex_text);
    REQUIRE(wire.size() == header_size);
    CHECK(to_hex(encode_header(v.h)) == to_hex(wire));
    auto d = decode_header(wire);
    REQUIRE(d);
    CHECK(*d == v.h);
  }
}

TEST_CASE("a DATA frame is its header followed by the body") {
  bytes frame;
  encode_header({0, frame_type::data, flag_syn, 1, 5}, frame);
  append(frame, as_bytes("hello"));
  CHECK(to_hex(frame)
        == "000000010000000100000005"
           "68656c6c6f");
  auto d = decode_header(frame);
  REQUIRE(d);
  CHECK(d->length == 5);
  CHECK(describe(*d) == "DATA flags=SYN stream=1 length=5");
}

TEST_CASE("the largest field values round-trip") {
  header h{0, frame_type::window_update, flag_fin | flag_rst, 0xffffffff,
           0xffffffff};
  CHECK(to_hex(encode_header(h)) == "0001000cffffffffffffffff");
  auto d = decode_header(encode_header(h));
  REQUIRE(d);
  CHECK(*d == h);
}

TEST_CASE("bad yamux headers are rejected with the field named") {
  struct bad {
    const char* hex_text;
    errc code;
    const char* message;
  };
  const bad cases[] = {
    {"0000000100000001000000", errc::malformed,
     "yamux header needs 12 bytes, got 11"},
    {"01 00 0001 00000001 00000000", errc::protocol,
     "unsupported yamux version 1"},
    {"00 04 0000 00000001 00000000", errc::protocol,
     "unknown yamux frame type 0x04"},
    {"00 00 0010 00000001 00000000", errc::protocol,
     "unknown flags 0x10 on DATA frame"},
    {"00 02 0001 00000001 00000000", errc::protocol,
     "PING on stream 1 instead of 0"},
    {"00 02 0003 00000000 00000000", errc::protocol,
     "PING needs exactly one of SYN and ACK, has SYN|ACK"},
    {"00 02 0000 00000000 00000000", errc::protocol,
     "PING needs exactly one of SYN and ACK, has 0"},
    {"00 03 0000 00000003 00000000", errc::protocol,
     "GO_AWAY on stream 3 instead of 0"},
    {"00 00 0000 00000000 00000000", errc::protocol,
     "DATA frame on session stream 0"},
    {"00 01 0003 00000005 00000000", errc::protocol,
     "WINDOW_UPDATE frame on stream 5 has both SYN and ACK"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.hex_text);
    auto d = decode_header(hex(c.hex_text));
    REQUIRE_FALSE(d);
    CHECK(d.error().code == c.code);
    CHECK(d.error().message == c.message);
  }
}
