// RSA keys: go-libp2p's fixture (loads, re-encodes, verifies go's signature
// and reproduces it byte for byte), the 2048..8192-bit bounds (an oversize
// key is refused from its DER header), generation, type mismatches and bad
// DER.

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "canswarm/identity/peer_id.hpp"
#include "der_builder.hpp"
#include "go_fixtures.hpp"
#include "spec_vectors.hpp"

using namespace canswarm;
using namespace canswarm::identity;
using test_der::der;

namespace {

/// A SubjectPublicKeyInfo for rsaEncryption with a synthetic `bits`-bit
/// modulus (all 0xff bytes) and e = 65537. Only its shape matters: keys out
/// of bounds are refused before their numbers are looked at.
bytes synthetic_rsa_spki(std::size_t bits) {
  bytes modulus(bits / 8 + 1, 0xff);
  modulus[0] = 0x00; // Positive INTEGER.
  bytes rsa_key = der(0x30, der(0x02, modulus), der(0x02, hex("010001")));
  bytes bit_string{0x00};
  append(bit_string, rsa_key);
  // AlgorithmIdentifier { rsaEncryption, NULL }.
  return der(0x30, hex("300d06092a864886f70d0101010500"),
             der(0x03, bit_string));
}

/// A PKCS#1 RSAPrivateKey prefix (version, modulus) of a `bits`-bit key.
bytes synthetic_rsa_pkcs1(std::size_t bits) {
  bytes modulus(bits / 8 + 1, 0xff);
  modulus[0] = 0x00;
  return der(0x30, der(0x02, hex("00")), der(0x02, modulus),
             der(0x02, hex("010001")));
}

bytes protobuf(std::uint8_t type, const bytes& data) {
  return test_der::key_protobuf(type, data);
}

} // namespace

TEST_CASE("go-libp2p's RSA fixture loads, verifies and signs identically") {
  auto message = as_bytes(go_fixtures::message);
  auto key = private_key::from_protobuf(hex(go_fixtures::rsa_private));
  REQUIRE_MESSAGE(key, key.error().describe());
  CHECK(key->type() == key_type::rsa);
  CHECK(to_hex(key->to_protobuf()) == go_fixtures::rsa_private);
  CHECK(to_hex(key->public_key().to_protobuf()) == go_fixtures::rsa_public);

  auto pub = public_key::from_protobuf(hex(go_fixtures::rsa_public));
  REQUIRE_MESSAGE(pub, pub.error().describe());
  CHECK(*pub == key->public_key());
  auto go_signature = hex(go_fixtures::rsa_signature);
  CHECK(pub->check_verify(message, go_signature).ok());
  // PKCS1-v1_5 is deterministic: our signature is go's, byte for byte.
  CHECK(to_hex(key->sign(message)) == go_fixtures::rsa_signature);
  // The peer id as js-libp2p computes it (sha2-256 of the 298-byte
  // protobuf, over the 42-byte inline limit).
  CHECK(peer_id::from_public_key(*pub).to_string()
        == "QmcW3oMdSqoEcjbyd51auqC23vhKX6BqfcZcY2HJ3sKAZR");
}

TEST_CASE("bad RSA signatures are refused with the reason") {
  auto pub = public_key::from_protobuf(hex(go_fixtures::rsa_public));
  REQUIRE(pub);
  auto message = to_bytes(go_fixtures::message);
  auto signature = hex(go_fixtures::rsa_signature);

  auto tampered = signature;
  tampered[100] ^= 0x01;
  auto r = pub->check_verify(message, tampered);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::crypto);
  CHECK(r.error().message == "RSA signature does not verify");

  message.back() ^= 0x01;
  CHECK_FALSE(pub->verify(message, signature));

  auto short_sig = pub->check_verify(as_bytes(go_fixtures::message),
                                     bytes_view{signature}.first(255));
  REQUIRE_FALSE(short_sig);
  CHECK(short_sig.error().message
        == "RSA signature must be 256 bytes (the modulus size), got 255");
}

TEST_CASE("a 16384-bit RSA key is refused from its DER header, quickly") {
  auto spki = synthetic_rsa_spki(16384);
  // 08 00 12 a610: a 2086-byte Data field, under the 4096-byte bound, so
  // only the modulus check stands in the way.
  auto encoded = protobuf(0, spki);
  REQUIRE(encoded.size() < max_key_protobuf_size);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    auto r = public_key::from_protobuf(encoded);
    REQUIRE_FALSE(r);
    REQUIRE(r.error().code == errc::too_large);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  // A thousand refusals take well under a second (no modular arithmetic).
  CHECK(elapsed < std::chrono::seconds{1});
  auto r = public_key::from_protobuf(encoded);
  CHECK(r.error().message
        == "RSA public key: 16384-bit modulus, over the 8192-bit limit");

  auto p = private_key::from_protobuf(protobuf(0, synthetic_rsa_pkcs1(16384)));
  REQUIRE_FALSE(p);
  CHECK(p.error().code == errc::too_large);
  CHECK(p.error().message
        == "RSA private key: 16384-bit modulus, over the 8192-bit limit");
  // 8200 bits: just over.
  auto over = public_key::from_data(key_type::rsa, synthetic_rsa_spki(8200));
  REQUIRE_FALSE(over);
  CHECK(over.error().message
        == "RSA public key: 8200-bit modulus, over the 8192-bit limit");
}

TEST_CASE("RSA keys under 2048 bits are refused (go's 512-bit test key)") {
  // go-libp2p's 512-bit key from js-libp2p's test fixtures (go-key-rsa.ts).
  auto p = private_key::from_protobuf(
    hex("080012c0023082013c020100024100e69da0f24ade57004db45bafd9a6025fc1ef"
        "c38ce03954cf2eac71c4148575cd2d07e02928c3fe7c0e54df9343c6302435a170"
        "2e995a137b5ef7057401ee200f0203010001024100bf3b8cfffe177b5b9413f047"
        "d51ab53344b59699d64194532d67effae1ed7dad6ff4257c57b2560a0ecf3f69d5"
        "255117e604deb39028fca3be07f1dd1c36e1d1022100eb84e59663b6b0c2c641d2"
        "a0b8465231ebc70e0b5c42ed2ddc48eb01f491cd39022100faab92b4bcc20e9834"
        "4026349e562e6d42647a2b58a78f62688fa03cabb91f87022100ce2fffcb64aa89"
        "1f4bf04e54d45f04109e491b1b88ff32a3a6a9d3cc576fd9c9022100b133c2d503"
        "af07542f73bdce6ab42fc3cb306e70e00e2bbd7c7f33de4fe2e15702204317bede"
        "6a16738bd9f4b235996305b0484dc13d438625ee45429f1c2705ee7d"));
  REQUIRE_FALSE(p);
  CHECK(p.error().code == errc::refused);
  CHECK(p.error().message
        == "RSA private key: 512-bit modulus, under the 2048-bit minimum");
  auto pub = public_key::from_protobuf(
    hex("0800125e305c300d06092a864886f70d0101010500034b003048024100e69da0f2"
        "4ade57004db45bafd9a6025fc1efc38ce03954cf2eac71c4148575cd2d07e02928"
        "c3fe7c0e54df9343c6302435a1702e995a137b5ef7057401ee200f0203010001"));
  REQUIRE_FALSE(pub);
  CHECK(pub.error().code == errc::refused);
  CHECK(pub.error().message
        == "RSA public key: 512-bit modulus, under the 2048-bit minimum");
}

TEST_CASE("generated RSA keys round-trip and get Qm peer ids") {
  auto key = private_key::generate_rsa(2048);
  REQUIRE_MESSAGE(key, key.error().describe());
  CHECK(key->type() == key_type::rsa);
  auto reloaded = private_key::from_protobuf(key->to_protobuf());
  REQUIRE_MESSAGE(reloaded, reloaded.error().describe());
  CHECK(reloaded->public_key() == key->public_key());
  auto id = peer_id::from_public_key(key->public_key());
  CHECK(id.to_string().rfind("Qm", 0) == 0);
  CHECK_FALSE(id.extract_public_key().has_value());
  auto message = to_bytes("rsa message");
  auto signature = key->sign(message);
  CHECK(signature.size() == 256);
  CHECK(reloaded->public_key().verify(message, signature));
  // A copy shares the OpenSSL key and signs alike.
  auto copy = *key;
  CHECK(copy.sign(message) == signature);

  auto small = private_key::generate_rsa(1024);
  REQUIRE_FALSE(small);
  CHECK(small.error().message
        == "RSA key generation: 1024-bit modulus, under the 2048-bit minimum");
  auto big = private_key::generate_rsa(16384);
  REQUIRE_FALSE(big);
  CHECK(big.error().code == errc::too_large);
}

TEST_CASE("RSA data of another key type or bad DER is refused") {
  auto fails = [](key_type type, const bytes& data, errc code,
                  const std::string& message) {
    CAPTURE(message);
    auto r = public_key::from_data(type, data);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == code);
    CHECK(r.error().message == message);
  };
  auto rsa_spki = public_key::from_protobuf(hex(go_fixtures::rsa_public))
                    ->data();
  auto ec_spki = public_key::from_protobuf(hex(spec_vectors::ecdsa_public))
                   ->data();
  fails(key_type::rsa, ec_spki, errc::malformed,
        "RSA public key: data holds a id-ecPublicKey key, not rsaEncryption");
  fails(key_type::ecdsa, rsa_spki, errc::malformed,
        "ECDSA public key: data holds a rsaEncryption key, not "
        "id-ecPublicKey");
  // Cut off inside the modulus.
  fails(key_type::rsa, bytes(rsa_spki.begin(), rsa_spki.begin() + 100),
        errc::malformed,
        "RSA public key: DER element of 290 bytes truncated to 96");
  auto trailing = rsa_spki;
  trailing.push_back(0);
  fails(key_type::rsa, trailing, errc::malformed,
        "RSA public key: trailing bytes after the DER structure");
  // Long-form length with a leading zero byte (not DER).
  fails(key_type::rsa, hex("30820010"), errc::malformed,
        "RSA public key: non-minimal DER length");
  fails(key_type::rsa, hex("04020000"), errc::malformed,
        "RSA public key: expected DER tag 0x30, got 0x04");

  // A PKCS#1 key that is an ECDSA SEC1 structure.
  auto sec1 = private_key::from_protobuf(hex(spec_vectors::ecdsa_private));
  REQUIRE(sec1);
  // Skip 08 03 12 79 (Type ECDSA, 121 data bytes).
  auto sec1_protobuf = sec1->to_protobuf();
  bytes ec_der(sec1_protobuf.begin() + 4, sec1_protobuf.end());
  auto p = private_key::from_protobuf(protobuf(0, ec_der));
  REQUIRE_FALSE(p);
  CHECK(p.error().code == errc::malformed);
  CHECK(p.error().message
        == "RSA private key: expected DER tag 0x02, got "
           "0x04");
}

TEST_CASE("an RSA private key whose parts disagree is refused") {
  // Change the last byte of the modulus n in go's fixture: the key still
  // parses, but its signatures no longer verify under its public key.
  auto encoded = hex(go_fixtures::rsa_private);
  // 4 bytes protobuf header, 4 SEQUENCE, 3 version, 4 INTEGER header, 1
  // leading zero, then 256 modulus bytes.
  std::size_t last_modulus_byte = 4 + 4 + 3 + 4 + 1 + 255;
  encoded[last_modulus_byte] ^= 0x02;
  auto r = private_key::from_protobuf(encoded);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::crypto);
  CHECK(r.error().message
        == "RSA private key is inconsistent: its signature does not verify "
           "under its public key");
}
