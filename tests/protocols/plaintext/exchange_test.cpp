// The plaintext Exchange codec: a golden vector both ways (the same bytes
// js-libp2p's @libp2p/plaintext encoder produces for this key), keys of
// every type, unknown fields and bad input.

#include <doctest/doctest.h>

#include <string>

#include "canswarm/plaintext/exchange.hpp"

using namespace canswarm;
using namespace canswarm::plaintext;

namespace {

// The peer-ids spec Ed25519 public key protobuf.
const std::string spec_pub = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c"
                             "3cacf6010f0e42d474fce27e";

// Exchange of the spec key (78 bytes).
const std::string golden = "0a26" // field 1 (id), 38 bytes:
                           "0024" //   identity multihash, 36 bytes
                           + spec_pub // of the PublicKey protobuf
                           + "1224" // field 2 (pubkey), 36 bytes:
                           + spec_pub; // PublicKey{Type Ed25519, Data}

identity::public_key spec_key() {
  return *identity::public_key::from_protobuf(hex(spec_pub));
}

} // namespace

TEST_CASE("an Exchange encodes and decodes as the golden vector") {
  auto key = spec_key();
  auto encoded = encode_exchange(key);
  CHECK(to_hex(encoded) == golden);
  CHECK(encoded.size() == 78);

  auto decoded = decode_exchange(hex(golden));
  REQUIRE_MESSAGE(decoded, decoded.error().describe());
  CHECK(decoded->key == key);
  CHECK(decoded->id.to_string()
        == "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq");
  CHECK(encode_exchange(*decoded) == encoded);
}

TEST_CASE("Exchanges of every key type round-trip") {
  auto rsa = identity::private_key::generate_rsa(2048);
  REQUIRE(rsa);
  identity::public_key keys[] = {
    identity::private_key::generate_ed25519().public_key(),
    rsa->public_key(),
    identity::private_key::generate_secp256k1().public_key(),
    identity::private_key::generate_ecdsa().public_key(),
  };
  for (const auto& key : keys) {
    CAPTURE(identity::to_string(key.type()));
    auto encoded = encode_exchange(key);
    auto decoded = decode_exchange(encoded);
    REQUIRE_MESSAGE(decoded, decoded.error().describe());
    CHECK(decoded->key == key);
    CHECK(decoded->id == peer_id::from_public_key(key));
  }
}

TEST_CASE("unknown Exchange fields are skipped") {
  // 18 07 (field 3, varint 7), 25 01020304 (field 4, fixed32),
  // 2a 02 abcd (field 5, 2 bytes), 31 <8 bytes> (field 6, fixed64).
  auto with_unknown = hex("1807" + golden + "2501020304 2a02abcd"
                          + "31 0102030405060708");
  auto decoded = decode_exchange(with_unknown);
  REQUIRE_MESSAGE(decoded, decoded.error().describe());
  CHECK(decoded->key == spec_key());
}

TEST_CASE("bad Exchanges are refused with the reason") {
  auto fails = [](const std::string& hex_body, errc code,
                  const std::string& message) {
    CAPTURE(message);
    auto r = decode_exchange(hex(hex_body));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == code);
    CHECK(r.error().message == message);
  };
  std::string id_field = "0a260024" + spec_pub;
  std::string key_field = "1224" + spec_pub;
  fails(id_field, errc::malformed,
        "Exchange protobuf: missing field 2 (pubkey)");
  fails(key_field, errc::malformed, "Exchange protobuf: missing field 1 (id)");
  fails(id_field + id_field + key_field, errc::malformed,
        "Exchange protobuf: duplicate field 1 (id)");
  fails("0801" + key_field, errc::malformed,
        "Exchange protobuf: field 1 (id) has wire type 0, expected 2");
  fails(id_field + "1250", errc::malformed,
        "Exchange protobuf: field 2 (pubkey) truncated");
  fails("1b" + golden, errc::malformed,
        "Exchange protobuf: field 3 has unsupported wire type 3");
  // An id that is not a multihash of a peer id.
  fails("0a03130100" + key_field, errc::malformed,
        "Exchange id: peer id: multihash code 0x13 is neither identity nor "
        "sha2-256");
  // A pubkey that is not a valid key (secp256k1 point with x = 5).
  fails(id_field + "1225" + "0802122102" + std::string(63, '0') + "5",
        errc::crypto,
        "Exchange pubkey: Secp256k1 public key is not a valid secp256k1 "
        "curve point");
  bytes big(max_exchange_size + 1, 0);
  auto r = decode_exchange(big);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::too_large);
}
