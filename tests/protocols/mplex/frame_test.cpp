// mplex frame headers: annotated golden vectors decoded and encoded, the
// flag helpers, streaming (incomplete) input and refusals.

#include <doctest/doctest.h>

#include <string>

#include "canswarm/mplex/frame.hpp"

using namespace canswarm;
using namespace canswarm::mplex;

namespace {

std::string as_text(bytes_view data) {
  return {data.begin(), data.end()};
}

} // namespace

TEST_CASE("mplex frames match golden vectors both ways") {
  struct vec {
    const char* hex;
    std::uint64_t stream;
    flag tag;
    const char* body;
  };
  vec vectors[] = {
    // 00 = stream 0 << 3 | NewStream, 01 = 1 byte, "0" (the name).
    {"00 01 30", 0, flag::new_stream, "0"},
    // 02 = stream 0 | MessageInitiator, 05 bytes "hello".
    {"02 05 68656c6c6f", 0, flag::message_initiator, "hello"},
    // 19 = stream 3 << 3 | MessageReceiver (1), "hi".
    {"19 02 6869", 3, flag::message_receiver, "hi"},
    // 1b = stream 3 | CloseReceiver (3), empty.
    {"1b 00", 3, flag::close_receiver, ""},
    // 8c01 = 140 = stream 17 << 3 | CloseInitiator (4).
    {"8c01 00", 17, flag::close_initiator, ""},
    // c53e = 8005 = stream 1000 << 3 | ResetReceiver (5).
    {"c53e 00", 1000, flag::reset_receiver, ""},
    // The largest stream number (2^60 - 1) with ResetInitiator (6): a
    // 9-byte varint of 2^63 - 2.
    {"feffffffffffffff7f 00", max_stream_number, flag::reset_initiator, ""},
  };
  for (const auto& v : vectors) {
    CAPTURE(v.hex);
    auto wire = hex(v.hex);
    auto d = decode_header(wire);
    REQUIRE(d.st == decoded_header::status::ok);
    CHECK(d.value.stream == v.stream);
    CHECK(d.value.tag == v.tag);
    CHECK(d.value.length == std::string{v.body}.size());
    CHECK(as_text(bytes_view{wire}.subspan(d.size)) == v.body);
    bytes encoded;
    encode_frame(v.stream, v.tag, as_bytes(v.body), encoded);
    CHECK(encoded == wire);
  }
}

TEST_CASE("flags name their kind and sender") {
  CHECK(std::string{to_string(flag::message_receiver)} == "MessageReceiver");
  CHECK(kind_of(flag::close_initiator) == frame_kind::close);
  CHECK(from_initiator(flag::reset_initiator));
  CHECK_FALSE(from_initiator(flag::message_receiver));
  CHECK(from_initiator(flag::new_stream));
  for (auto kind : {frame_kind::message, frame_kind::close, frame_kind::reset})
    for (bool initiator : {false, true}) {
      auto f = flag_for(kind, initiator);
      CHECK(kind_of(f) == kind);
      CHECK(from_initiator(f) == initiator);
    }
}

TEST_CASE("a header split anywhere decodes once complete") {
  // 8c01 = stream 17 CloseInitiator, then a 2-byte length 8001 = 128.
  auto wire = hex("8c01 8001");
  for (std::size_t n = 0; n < wire.size(); ++n) {
    CAPTURE(n);
    CHECK(decode_header(bytes_view{wire}.first(n)).st
          == decoded_header::status::incomplete);
  }
  auto d = decode_header(wire);
  REQUIRE(d.st == decoded_header::status::ok);
  CHECK(d.size == 4);
  CHECK(d.value == header{17, flag::close_initiator, 128});
}

TEST_CASE("the 1 MiB message bound is enforced from the header") {
  // 80 80 40 = 1048576: exactly the limit, accepted without any body.
  auto at_limit = decode_header(hex("02 808040"));
  REQUIRE(at_limit.st == decoded_header::status::ok);
  CHECK(at_limit.value.length == max_message_size);
  // 81 80 40 = 1048577.
  auto over = decode_header(hex("02 818040"));
  REQUIRE(over.st == decoded_header::status::failed);
  CHECK(over.err.code == errc::too_large);
  CHECK(over.err.message
        == "mplex MessageInitiator frame of 1048577 bytes for stream 0, over "
           "the 1048576-byte message limit");
}

TEST_CASE("bad headers are refused with the reason") {
  // 0f = stream 1 << 3 | 7.
  auto unknown = decode_header(hex("0f 00"));
  REQUIRE(unknown.st == decoded_header::status::failed);
  CHECK(unknown.err.code == errc::protocol);
  CHECK(unknown.err.message == "mplex frame with unknown flag 7 (stream 1)");
  auto long_varint = decode_header(hex("ffffffffffffffffff01 00"));
  REQUIRE(long_varint.st == decoded_header::status::failed);
  CHECK(long_varint.err.code == errc::malformed);
  CHECK(long_varint.err.message
        == "mplex frame header: varint longer than 9 bytes");
  auto padded = decode_header(hex("02 8000"));
  REQUIRE(padded.st == decoded_header::status::failed);
  CHECK(padded.err.message
        == "mplex frame length: varint not minimally encoded");
}
