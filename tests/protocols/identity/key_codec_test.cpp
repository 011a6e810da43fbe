// Strict decoding of the libp2p key protobuf: every malformed shape is
// refused with its reason.

#include <doctest/doctest.h>

#include <string>

#include "canswarm/identity/keys.hpp"

using namespace canswarm;
using namespace canswarm::identity;

namespace {

const std::string pub32 = "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e"
                          "42d474fce27e";

void public_fails(const std::string& hex_text, errc code,
                  const std::string& message) {
  CAPTURE(hex_text);
  auto r = public_key::from_protobuf(hex(hex_text));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == code);
  CHECK(r.error().message == message);
}

} // namespace

TEST_CASE("fields in either order decode to the same key") {
  // 12 20 <data> first, then 08 01.
  auto swapped = public_key::from_protobuf(hex("1220" + pub32 + "0801"));
  auto canonical = public_key::from_protobuf(hex("08011220" + pub32));
  REQUIRE(swapped);
  REQUIRE(canonical);
  CHECK(*swapped == *canonical);
  // Encoding is always Type then Data.
  CHECK(to_hex(swapped->to_protobuf()) == "08011220" + pub32);
}

TEST_CASE("malformed key protobufs are refused with the reason") {
  auto m = errc::malformed;
  public_fails("", m, "PublicKey protobuf: missing field 1 (Type)");
  public_fails("0801", m, "PublicKey protobuf: missing field 2 (Data)");
  public_fails("1220" + pub32, m, "PublicKey protobuf: missing field 1 (Type)");
  public_fails("0801 0801 1220" + pub32, m,
               "PublicKey protobuf: duplicate field 1 (Type)");
  public_fails("0801 1220" + pub32 + "1220" + pub32, m,
               "PublicKey protobuf: duplicate field 2 (Data)");
  // 1a = field 3, wire type 2.
  public_fails("0801 1220" + pub32 + "1a00", m,
               "PublicKey protobuf: unknown field 3 (wire type 2)");
  // 0a = field 1 with wire type 2; 10 = field 2 with wire type 0.
  public_fails("0a01 01 1220" + pub32, m,
               "PublicKey protobuf: field 1 (Type) has wire type 2, "
               "expected 0");
  public_fails("0801 1001", m,
               "PublicKey protobuf: field 2 (Data) has wire type 0, "
               "expected 2");
  public_fails("0804 1220" + pub32, m,
               "PublicKey protobuf: unknown key type 4");
  public_fails("0801 1221" + pub32, m, "PublicKey protobuf: Data truncated");
  public_fails("08", m, "PublicKey protobuf: bad Type value: truncated varint");
  public_fails("0801 12", m, "PublicKey protobuf: Data truncated");
  public_fails("ffffffffffffffffff01", m,
               "PublicKey protobuf: bad field tag at offset 0: varint longer "
               "than 9 bytes");
  public_fails("0802 1200", m, "Secp256k1 public key data is empty");
}

TEST_CASE("key protobufs over the size bound are refused") {
  bytes big(max_key_protobuf_size + 1, 0);
  auto r = public_key::from_protobuf(big);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::too_large);
  CHECK(r.error().message
        == "PublicKey protobuf is 4097 bytes, over the 4096-byte limit");
  // Private keys (key files only) may be larger: RSA-8192 is ~4.7 KiB.
  auto p = private_key::from_protobuf(big);
  REQUIRE_FALSE(p);
  CHECK(p.error().code == errc::malformed);
  bytes bigger(max_private_key_protobuf_size + 1, 0);
  auto q = private_key::from_protobuf(bigger);
  REQUIRE_FALSE(q);
  CHECK(q.error().code == errc::too_large);
  CHECK(q.error().message
        == "PrivateKey protobuf is 8193 bytes, over the 8192-byte limit");
}

TEST_CASE("private key protobufs get the same strict checks") {
  auto r = private_key::from_protobuf(hex("0801 1a00"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::malformed);
  CHECK(r.error().message
        == "PrivateKey protobuf: unknown field 3 (wire type 2)");
}
