#include <doctest/doctest.h>

#include "canswarm/varint/varint.hpp"

using namespace canswarm;

TEST_CASE("varints match the multiformats spec vectors both ways") {
  struct vec {
    std::uint64_t value;
    const char* hex;
  };
  // From the unsigned-varint spec's examples.
  vec vectors[] = {{1, "01"},
                   {127, "7f"},
                   {128, "8001"},
                   {255, "ff01"},
                   {300, "ac02"},
                   {16384, "808001"},
                   {varint::max_value, "ffffffffffffffff7f"}};
  for (auto& v : vectors) {
    CHECK(to_hex(varint::encode(v.value)) == v.hex);
    CHECK(varint::encoded_size(v.value) == std::string{v.hex}.size() / 2);
    auto d = varint::decode(hex(v.hex));
    REQUIRE(d.st == varint::status::ok);
    CHECK(d.value == v.value);
    CHECK(d.size == std::string{v.hex}.size() / 2);
  }
}

TEST_CASE("a truncated varint asks for more bytes") {
  CHECK(varint::decode(hex("80")).st == varint::status::incomplete);
  CHECK(varint::decode(bytes{}).st == varint::status::incomplete);
  CHECK_FALSE(varint::read(hex("ff")));
}

TEST_CASE("varints longer than nine bytes are malformed") {
  auto d = varint::decode(hex("ffffffffffffffffff01"));
  CHECK(d.st == varint::status::malformed);
  CHECK(d.reason == "varint longer than 9 bytes");
  // Nine continuation bytes are already malformed before the tenth arrives.
  CHECK(varint::decode(hex("808080808080808080")).st
        == varint::status::malformed);
}

TEST_CASE("non-minimal varints are malformed") {
  auto d = varint::decode(hex("8100"));
  CHECK(d.st == varint::status::malformed);
  CHECK(d.reason == "varint not minimally encoded");
}

TEST_CASE("a value above the caller's bound is too large") {
  auto d = varint::decode(hex("ac02"), 299);
  CHECK(d.st == varint::status::too_large);
  auto r = varint::read(hex("ac02"), 299);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::too_large);
}

TEST_CASE("frames are refused as soon as an oversize prefix is readable") {
  bytes buf;
  varint::write_frame(as_bytes("hello"), buf);
  CHECK(to_hex(buf) == "0568656c6c6f");
  auto f = varint::read_frame(buf, 1024);
  REQUIRE(f.st == varint::status::ok);
  CHECK(f.size == 6);
  CHECK(std::string(f.body.begin(), f.body.end()) == "hello");
  // Only the prefix of a 70,000-byte frame has arrived.
  auto big = varint::encode(70000);
  auto g = varint::read_frame(big, 65535);
  CHECK(g.st == varint::status::too_large);
  CHECK(g.reason == "frame length 70000 over limit 65535");
  // A partial body waits.
  CHECK(varint::read_frame(bytes_view{buf}.first(3), 1024).st
        == varint::status::incomplete);
}
