// Elliptic-curve keys: go-libp2p's secp256k1 and ECDSA (P-256) fixtures,
// low-S secp256k1 signatures, generation, invalid points, other curves and
// malformed signatures.

#include <doctest/doctest.h>

#include <string>

#include "canswarm/identity/peer_id.hpp"
#include "der_builder.hpp"
#include "go_fixtures.hpp"
#include "spec_vectors.hpp"

using namespace canswarm;
using namespace canswarm::identity;
using test_der::der;

namespace {

/// The secp256k1 group order n, and n / 2 (rounded down), big-endian hex.
constexpr const char* secp256k1_order = "ffffffffffffffffffffffffffffffff"
                                        "baaedce6af48a03bbfd25e8cd0364141";
constexpr const char* secp256k1_half_order = "7fffffffffffffffffffffffffffffff"
                                             "5d576e7357a4501ddfe92f46681b20a0";

/// The S value of a DER ECDSA signature as 64 hex digits.
std::string s_of(const bytes& der_sig) {
  // 30 len 02 rlen r 02 slen s
  std::size_t r_len = der_sig[3];
  std::size_t s_len = der_sig[4 + r_len + 1];
  auto s = bytes_view{der_sig}.subspan(4 + r_len + 2, s_len);
  while (s.size() > 32 && s[0] == 0)
    s = s.subspan(1);
  return std::string(64 - 2 * s.size(), '0') + to_hex(s);
}

/// The go fixture's secp256k1 point, uncompressed (04 || x || y).
constexpr const char* go_secp256k1_uncompressed
  = "043540ad842af8a43551a94d8383a555a99226506b88f953d2e70316a3a1b3d6a2"
    "21492822e949cbfdf0f47279c2e0e6e05052fc948806f2f274e11b3943a5b612";

} // namespace

TEST_CASE("go-libp2p's secp256k1 fixture loads and verifies go's signature") {
  auto message = as_bytes(go_fixtures::message);
  auto key = private_key::from_protobuf(hex(go_fixtures::secp256k1_private));
  REQUIRE_MESSAGE(key, key.error().describe());
  CHECK(key->type() == key_type::secp256k1);
  CHECK(to_hex(key->to_protobuf()) == go_fixtures::secp256k1_private);
  CHECK(to_hex(key->public_key().to_protobuf())
        == go_fixtures::secp256k1_public);
  auto pub = public_key::from_protobuf(hex(go_fixtures::secp256k1_public));
  REQUIRE_MESSAGE(pub, pub.error().describe());
  auto checked = pub->check_verify(message,
                                   hex(go_fixtures::secp256k1_signature));
  CHECK_MESSAGE(checked.ok(), checked.error().describe());
  // 37-byte protobuf: identity multihash, as js-libp2p computes it.
  auto id = peer_id::from_public_key(*pub);
  CHECK(id.to_string()
        == "16Uiu2HAky1YnjeGryCtGu69pvjeHXSwTHUgDNFF4zxtD5WrCPury");
  REQUIRE(id.extract_public_key().has_value());
  CHECK(*id.extract_public_key() == *pub);
}

TEST_CASE("our secp256k1 signatures are low-S; high-S ones still verify") {
  auto key = private_key::from_protobuf(hex(go_fixtures::secp256k1_private));
  REQUIRE(key);
  auto message = as_bytes(go_fixtures::message);
  // OpenSSL draws random nonces: about half the raw signatures have a high
  // S, which sign() must flip to n - S.
  for (int i = 0; i < 32; ++i) {
    auto signature = key->sign(message);
    CAPTURE(to_hex(signature));
    CHECK(s_of(signature) <= std::string{secp256k1_half_order});
    CHECK(key->public_key().verify(message, signature));
  }
  // go's signature with S replaced by n - S (a valid high-S signature):
  // accepted, as go-libp2p accepts it.
  // 30 45 | 02 20 r | 02 21 00 (n - s).
  auto high_s = hex("3045"
                    "022031a7d633c2f3e45a16128d43751afaa8dc9ba24092c5f5b3ca"
                    "d2c8fe4cf388f2"
                    "022100b61572de60ba797c2db88a2abc15704c2a3e999eb41356ff"
                    "7f969bca7683a3a3");
  CHECK(s_of(high_s) > std::string{secp256k1_half_order});
  CHECK(s_of(high_s) < std::string{secp256k1_order});
  CHECK(key->public_key().verify(message, high_s));
}

TEST_CASE("go-libp2p's ECDSA fixture loads and verifies go's signature") {
  auto message = as_bytes(go_fixtures::message);
  auto key = private_key::from_protobuf(hex(go_fixtures::ecdsa_private));
  REQUIRE_MESSAGE(key, key.error().describe());
  CHECK(key->type() == key_type::ecdsa);
  CHECK(to_hex(key->to_protobuf()) == go_fixtures::ecdsa_private);
  CHECK(to_hex(key->public_key().to_protobuf()) == go_fixtures::ecdsa_public);
  auto pub = public_key::from_protobuf(hex(go_fixtures::ecdsa_public));
  REQUIRE(pub);
  // go's signature has a high S (P-256 has no low-S rule).
  auto checked = pub->check_verify(message, hex(go_fixtures::ecdsa_signature));
  CHECK_MESSAGE(checked.ok(), checked.error().describe());
  auto ours = key->sign(message);
  CHECK(pub->verify(message, ours));
  CHECK_FALSE(pub->verify(as_bytes("another message"), ours));
  CHECK(peer_id::from_public_key(*pub).to_string().rfind("Qm", 0) == 0);
}

TEST_CASE("generated secp256k1 and ECDSA keys round-trip") {
  auto k1 = private_key::generate_secp256k1();
  CHECK(k1.type() == key_type::secp256k1);
  CHECK(k1.public_key().data().size() == 33);
  // 08 02 12 20: a 32-byte scalar.
  CHECK(to_hex(bytes_view{k1.to_protobuf()}.first(4)) == "08021220");
  auto k1_id = peer_id::from_public_key(k1.public_key());
  CHECK(k1_id.to_string().rfind("16Uiu2HA", 0) == 0);

  auto p256 = private_key::generate_ecdsa();
  CHECK(p256.type() == key_type::ecdsa);
  // 08 03 12 79: 121 bytes of SEC1 DER, as go writes them.
  CHECK(to_hex(bytes_view{p256.to_protobuf()}.first(4)) == "08031279");
  CHECK(to_hex(bytes_view{p256.public_key().to_protobuf()}.first(4))
        == "0803125b");

  for (const auto& key : {k1, p256}) {
    CAPTURE(to_string(key.type()));
    auto reloaded = private_key::from_protobuf(key.to_protobuf());
    REQUIRE_MESSAGE(reloaded, reloaded.error().describe());
    CHECK(reloaded->public_key() == key.public_key());
    auto message = to_bytes("ec message");
    auto signature = reloaded->sign(message);
    CHECK(key.public_key().verify(message, signature));
    CHECK_FALSE(
      private_key::generate_secp256k1().public_key().verify(message,
                                                            signature));
  }
}

TEST_CASE("bad secp256k1 keys are refused with the reason") {
  auto pub_fails = [](const std::string& data_hex, errc code,
                      const std::string& message) {
    CAPTURE(message);
    auto r = public_key::from_data(key_type::secp256k1, hex(data_hex));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == code);
    CHECK(r.error().message == message);
  };
  pub_fails(go_secp256k1_uncompressed, errc::malformed,
            "Secp256k1 public key must be a 33-byte compressed point, got 65 "
            "bytes");
  pub_fails("05" + std::string(64, '1'), errc::malformed,
            "Secp256k1 public key must start with 0x02 or 0x03, got 0x05");
  // x = 5: 5^3 + 7 = 132 has no square root mod p, so no point has it.
  pub_fails("02" + std::string(63, '0') + "5", errc::crypto,
            "Secp256k1 public key is not a valid secp256k1 curve point");

  auto priv_fails = [](const std::string& data_hex, errc code,
                       const std::string& message) {
    CAPTURE(message);
    auto r = private_key::from_protobuf(
      test_der::key_protobuf(2, hex(data_hex)));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == code);
    CHECK(r.error().message == message);
  };
  priv_fails("0102", errc::malformed,
             "Secp256k1 private key must be a 32-byte scalar, got 2 bytes");
  priv_fails(std::string(64, '0'), errc::crypto,
             "Secp256k1 private key is zero or not below the curve order");
  priv_fails(secp256k1_order, errc::crypto,
             "Secp256k1 private key is zero or not below the curve order");
}

TEST_CASE("ECDSA keys must be valid P-256 keys") {
  // An SPKI for the go fixture's secp256k1 point, labelled as ECDSA.
  auto k1_spki = der(0x30,
                     der(0x30, hex("06072a8648ce3d0201"),
                         hex("06052b8104000a")),
                     der(0x03, hex("00"), hex(go_secp256k1_uncompressed)));
  auto r = public_key::from_data(key_type::ecdsa, k1_spki);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::unsupported);
  CHECK(r.error().message
        == "ECDSA public key: curve secp256k1 is not supported (only P-256)");

  // The same scalar as a SEC1 ECPrivateKey on secp256k1.
  auto key_bytes = hex(go_fixtures::secp256k1_private);
  auto scalar = bytes_view{key_bytes}.subspan(4);
  auto sec1 = der(0x30, hex("020101"), der(0x04, scalar),
                  der(0xa0, hex("06052b8104000a")),
                  der(0xa1,
                      der(0x03, hex("00"), hex(go_secp256k1_uncompressed))));
  auto p = private_key::from_protobuf(test_der::key_protobuf(3, sec1));
  REQUIRE_FALSE(p);
  CHECK(p.error().code == errc::unsupported);
  CHECK(p.error().message
        == "ECDSA private key: curve secp256k1 is not supported (only P-256)");

  // go's P-256 point with the last byte of y changed: off the curve.
  auto off_curve = public_key::from_protobuf(hex(go_fixtures::ecdsa_public))
                     ->data();
  off_curve.back() ^= 0x01;
  auto o = public_key::from_data(key_type::ecdsa, off_curve);
  REQUIRE_FALSE(o);
  CHECK(o.error().code == errc::crypto);
  CHECK(o.error().message
        == "ECDSA public key is not a valid prime256v1 curve point");

  // A SEC1 key whose embedded public key belongs to another key.
  auto mixed = hex(spec_vectors::ecdsa_private);
  auto go_pub = hex(go_fixtures::ecdsa_public);
  std::copy(go_pub.end() - 64, go_pub.end(), mixed.end() - 64);
  auto m = private_key::from_protobuf(mixed);
  REQUIRE_FALSE(m);
  CHECK(m.error().code == errc::crypto);
  CHECK(m.error().message
        == "ECDSA private key is inconsistent: its signature does not verify "
           "under its public key");

  auto garbage = private_key::from_protobuf(
    test_der::key_protobuf(3, hex("3003020101")));
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().code == errc::malformed);
  CHECK(garbage.error().message
        == "ECDSA private key: not a valid SEC1 ECPrivateKey with named curve");
}

TEST_CASE("malformed ECDSA signatures are refused before verification") {
  auto pub = public_key::from_protobuf(hex(go_fixtures::secp256k1_public));
  REQUIRE(pub);
  auto message = as_bytes(go_fixtures::message);
  auto signature = hex(go_fixtures::secp256k1_signature);
  auto fails = [&](const bytes& sig, const std::string& text) {
    CAPTURE(text);
    auto r = pub->check_verify(message, sig);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::crypto);
    CHECK(r.error().message == text);
  };
  auto trailing = signature;
  trailing.push_back(0);
  fails(trailing, "Secp256k1 signature is not a strict DER ECDSA signature");
  // The same signature with a long-form SEQUENCE length (BER, not DER).
  bytes ber = hex("308144");
  ber.insert(ber.end(), signature.begin() + 2, signature.end());
  fails(ber, "Secp256k1 signature is not a strict DER ECDSA signature");
  fails(bytes(73, 0x30),
        "Secp256k1 signature of 73 bytes, over the 72-byte DER maximum");
  auto flipped = signature;
  flipped[10] ^= 0x01;
  fails(flipped, "Secp256k1 signature does not verify");
  fails(bytes(64, 1), "Secp256k1 signature is not a strict DER ECDSA "
                      "signature");
}
