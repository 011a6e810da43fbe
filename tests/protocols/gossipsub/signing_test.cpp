// Message signing: the StrictSign vector matches js-libp2p's signature for
// the same key, payload and seqno (Ed25519 is deterministic).

#include <doctest/doctest.h>

#include "canswarm/gossipsub/codec.hpp"
#include "canswarm/gossipsub/limits.hpp"
#include "canswarm/gossipsub/signing.hpp"
#include "canswarm/multiformats/multihash.hpp"
#include "test_util.hpp"

using namespace canswarm;
using namespace canswarm::gossipsub;
using gossipsub_test::key_from_seed;
using gossipsub_test::peer_of;

namespace {

// Signature by the seed-01..20 key over "libp2p-pubsub:" + Message{from,
// data "hello", seqno 1, topic "chat"} (js-libp2p output).
const bytes js_signature = hex(
  "4b4f762710a2d7678b47007a23244ed5a11091d178478ffec62a6c84212f4e10"
  "1d5bb67a88e856515bd964e719a553ffdbb9339a0f7d34f64e3147e0e999a901");

message signed_hello() {
  auto key = key_from_seed(1);
  return make_signed_message(key, peer_of(key), "chat", to_bytes("hello"), 1);
}

} // namespace

TEST_CASE("a StrictSign message from a fixed Ed25519 seed matches js-libp2p") {
  auto key = key_from_seed(1);
  CHECK(peer_of(key).to_string()
        == "12D3KooWJ1TsijH7H5F74hfAD5XishQz3sxrmAtVY37GtNd9CqYf");
  auto m = signed_hello();
  CHECK(m.from == peer_of(key).to_bytes());
  CHECK(m.seqno == hex("0000000000000001"));
  CHECK(m.signature == js_signature);
  CHECK_FALSE(m.key); // Ed25519 keys are inlined in the peer id.
  CHECK_FALSE(check_message(m, signing_policy::strict_sign));
}

TEST_CASE("a js-style signed message carrying its key field verifies") {
  auto m = signed_hello();
  m.key = key_from_seed(1).public_key().to_protobuf();
  CHECK_FALSE(check_message(m, signing_policy::strict_sign));
}

TEST_CASE("a tampered payload is rejected as invalid_signature") {
  auto m = signed_hello();
  m.data = to_bytes("hellO");
  CHECK(check_message(m, signing_policy::strict_sign)
        == reject_reason::invalid_signature);
  auto t = signed_hello();
  t.topic = "other";
  CHECK(check_message(t, signing_policy::strict_sign)
        == reject_reason::invalid_signature);
  auto s = signed_hello();
  (*s.signature)[0] ^= 1;
  CHECK(check_message(s, signing_policy::strict_sign)
        == reject_reason::invalid_signature);
}

TEST_CASE("a wrong from is rejected: key_mismatch with a key, bad signature "
          "without") {
  auto alice = key_from_seed(1);
  auto mallory = key_from_seed(100);
  // Mallory signs a message claiming to come from Alice.
  message m;
  m.from = peer_of(alice).to_bytes();
  m.data = to_bytes("forged");
  m.seqno = seqno_bytes(7);
  m.topic = "chat";
  m.signature = mallory.sign(signing_payload(m));
  CHECK(check_message(m, signing_policy::strict_sign)
        == reject_reason::invalid_signature);
  m.key = mallory.public_key().to_protobuf();
  CHECK(check_message(m, signing_policy::strict_sign)
        == reject_reason::key_mismatch);
  m.key = hex("0801 1203 010203"); // not a valid Ed25519 key
  CHECK(check_message(m, signing_policy::strict_sign)
        == reject_reason::invalid_key);
}

TEST_CASE("StrictSign requires from, an 8-byte seqno and a signature") {
  auto m = signed_hello();
  m.seqno.reset();
  CHECK(check_message(m, signing_policy::strict_sign)
        == reject_reason::missing_seqno);
  m = signed_hello();
  m.seqno = hex("00000000000001");
  CHECK(check_message(m, signing_policy::strict_sign)
        == reject_reason::invalid_seqno);
  m = signed_hello();
  m.signature.reset();
  CHECK(check_message(m, signing_policy::strict_sign)
        == reject_reason::missing_signature);
  m = signed_hello();
  m.from.reset();
  CHECK(check_message(m, signing_policy::strict_sign)
        == reject_reason::missing_from);
  m = signed_hello();
  m.from = hex("ff01");
  CHECK(check_message(m, signing_policy::strict_sign)
        == reject_reason::invalid_from);
}

TEST_CASE("StrictNoSign refuses any authentication field") {
  auto plain = make_unsigned_message("chat", to_bytes("x"));
  CHECK_FALSE(check_message(plain, signing_policy::strict_no_sign));
  CHECK(check_message(plain, signing_policy::strict_sign)
        == reject_reason::missing_from);
  CHECK(check_message(signed_hello(), signing_policy::strict_no_sign)
        == reject_reason::unexpected_auth_field);
  auto only_seqno = plain;
  only_seqno.seqno = seqno_bytes(1);
  CHECK(check_message(only_seqno, signing_policy::strict_no_sign)
        == reject_reason::unexpected_auth_field);
}

TEST_CASE("message ids: from||seqno when signed, sha256(data) when not") {
  auto m = signed_hello();
  auto id = default_message_id(m);
  bytes expected = *m.from;
  append(expected, *m.seqno);
  CHECK(id == message_id{expected});
  auto plain = make_unsigned_message("chat", to_bytes("hello"));
  CHECK(default_message_id(plain)
        == message_id{multihash::sha256(to_bytes("hello"))});
  CHECK(content_message_id(m) == default_message_id(plain));
  CHECK(seqno_bytes(0x0102030405060708) == hex("0102030405060708"));
}
