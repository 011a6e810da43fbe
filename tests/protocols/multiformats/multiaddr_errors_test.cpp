// Malformed multiaddrs: each case yields a specific error.

#include <doctest/doctest.h>

#include <string>

#include "canswarm/multiformats/multiaddr.hpp"

using namespace canswarm;

namespace {

void text_fails(const std::string& text, errc code,
                const std::string& message) {
  CAPTURE(text);
  auto r = multiaddr::parse(text);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK(r.error().message == message);
}

void binary_fails(const std::string& hex_text, errc code,
                  const std::string& message) {
  CAPTURE(hex_text);
  auto r = multiaddr::from_bytes(hex(hex_text));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK(r.error().message == message);
}

} // namespace

TEST_CASE("malformed multiaddr text is refused with the reason") {
  auto m = errc::malformed;
  text_fails("", m, "empty multiaddr");
  text_fails("ip4/1.2.3.4", m,
             "multiaddr 'ip4/1.2.3.4' does not start with '/'");
  text_fails("/ip5/1.2.3.4", m, "unknown protocol 'ip5'");
  text_fails("/ip4", m, "missing value for /ip4");
  text_fails("/ip4/", m, "missing value for /ip4");
  text_fails("/tcp", m, "missing value for /tcp");
  text_fails("/ip4/1.2.3.4/tcp", m, "missing value for /tcp");
  text_fails("/ip4/1.2.3.4/p2p", m, "missing value for /p2p");
  text_fails("/dns4", m, "missing value for /dns4");
  text_fails("/ip4/1.2.3", m, "bad ip4 address '1.2.3'");
  text_fails("/ip4/256.1.1.1", m, "bad ip4 address '256.1.1.1'");
  text_fails("/ip4/::1", m, "bad ip4 address '::1'");
  text_fails("/ip6/1.2.3.4", m, "bad ip6 address '1.2.3.4'");
  text_fails("/ip6/1::2::3", m, "bad ip6 address '1::2::3'");
  text_fails("/tcp/65536", m, "/tcp port '65536' is out of range 0..65535");
  text_fails("/udp/99999999999", m,
             "/udp port '99999999999' is out of range 0..65535");
  text_fails("/tcp/-1", m, "/tcp port '-1' is not a decimal number");
  text_fails("/tcp/0x50", m, "/tcp port '0x50' is not a decimal number");
  text_fails("/unix", m, "empty unix path");
  text_fails("/unix/", m, "empty unix path");
  text_fails("/p2p/QmNotBase58O0", m,
             "bad /p2p peer id 'QmNotBase58O0': invalid base58 character "
             "'O' at offset 11");
  text_fails("/p2p/xyz", m,
             "bad /p2p peer id 'xyz': unsupported multibase prefix 'x' "
             "(expected 'b' or 'z')");
}

TEST_CASE("trailing garbage after a multiaddr is refused") {
  auto m = errc::malformed;
  text_fails("/ip4/1.2.3.4/", m,
             "empty protocol name at offset 13 (a doubled or trailing '/')");
  text_fails("/ip4/1.2.3.4//tcp/1", m,
             "empty protocol name at offset 13 (a doubled or trailing '/')");
  text_fails("/ip4/1.2.3.4/tcp/80/garbage", m, "unknown protocol 'garbage'");
  text_fails("/ip4/1.2.3.4/tcp/80x", m,
             "/tcp port '80x' is not a decimal number");
  text_fails("/ip4/1.2.3.4 ", m, "bad ip4 address '1.2.3.4 '");
  text_fails("/ip4/1.2.3.4/quic-v1/9", m, "unknown protocol '9'");
  // Binary: a complete address followed by a stray byte.
  binary_fails("04 7f000001 ff", m, "truncated protocol code at offset 5");
  binary_fails("04 7f000001 07", m, "unknown protocol code 7 at offset 5");
}

TEST_CASE("malformed binary multiaddrs are refused with the reason") {
  auto m = errc::malformed;
  binary_fails("", m, "empty multiaddr");
  binary_fails("04 7f0000", m,
               "truncated /ip4 value at offset 1: need 4 bytes, have 3");
  binary_fails("06 04", m,
               "truncated /tcp value at offset 1: need 2 bytes, have 1");
  binary_fails("29 0000", m,
               "truncated /ip6 value at offset 1: need 16 bytes, have 2");
  binary_fails("36 0b 6578616d706c65", m,
               "truncated /dns4 value at offset 2: need 11 bytes, have 7");
  binary_fails("a503", m, "truncated value length at offset 2");
  // A 10-byte varint as the protocol code.
  binary_fails("ffffffffffffffffff01", m,
               "bad protocol code at offset 0: varint longer than 9 bytes");
  binary_fails("8180808080808080808001", m,
               "bad protocol code at offset 0: varint longer than 9 bytes");
  binary_fails("36 80808080808080808001", m,
               "bad value length at offset 1: varint longer than 9 bytes");
  binary_fails("8400 7f000001", m,
               "bad protocol code at offset 0: varint not "
               "minimally encoded");
  binary_fails("9003 00", m, "empty unix path");
  binary_fails("9003 01 61", m, "unix path does not start with '/'");
  binary_fails("9003 02 2f61 06 0050", m,
               "component after the /unix path at offset 5");
  binary_fails("36 00", m, "/dns4 name is empty");
  binary_fails("36 03 612f62", m,
               "/dns4 name contains a '/', space or control character");
  // 13 = sha2-512: a valid multihash, but not a peer id hash.
  binary_fails("a503 03 1301aa", m,
               "bad /p2p multihash: code 0x13 is neither identity nor "
               "sha2-256");
  binary_fails("a503 03 1202aa", m,
               "bad /p2p multihash: multihash digest truncated: length 2, "
               "1 bytes present");
}

TEST_CASE("multiaddrs over the size bound are refused before parsing") {
  std::string text = "/dns4/";
  text += std::string(max_multiaddr_text_size, 'a');
  auto r = multiaddr::parse(text);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::too_large);
  CHECK(r.error().message
        == "multiaddr text is 4102 bytes, over the 4096-byte limit");
  bytes big(max_multiaddr_size + 1, 0x04);
  auto b = multiaddr::from_bytes(big);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == errc::too_large);
  CHECK(b.error().message
        == "multiaddr binary form is 1025 bytes, over the 1024-byte limit");
  // Short text that expands past the bound in binary: 61 x "/ip6/::" is
  // 427 characters but 61 x 17 = 1037 bytes.
  std::string six;
  for (int i = 0; i < 61; ++i)
    six += "/ip6/::";
  auto s = multiaddr::parse(six);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == errc::too_large);
}

TEST_CASE("a dns name over 255 bytes is refused") {
  auto r = multiaddr::parse("/dns/" + std::string(256, 'a'));
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "/dns name is 256 bytes, over the 255-byte limit");
}
