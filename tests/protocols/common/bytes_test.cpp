#include <doctest/doctest.h>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

#include <stdexcept>

using namespace canswarm;

TEST_CASE("hex round-trips and tolerates white space in annotated vectors") {
  auto b = hex("00 ff\n 10 Ab");
  CHECK(b == bytes{0x00, 0xff, 0x10, 0xab});
  CHECK(to_hex(b) == "00ff10ab");
}

TEST_CASE("hex rejects odd digit counts and non-hex characters") {
  bytes out;
  CHECK_FALSE(from_hex("abc", out));
  CHECK_FALSE(from_hex("zz", out));
  CHECK_THROWS_AS(hex("0g"), std::invalid_argument);
}

TEST_CASE("a result carries either a value or a described error") {
  result<int> good = 5;
  REQUIRE(good);
  CHECK(*good == 5);
  result<int> bad = make_error(errc::too_large, "frame of 70000 bytes");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().describe() == "too_large: frame of 70000 bytes");
}
