// libp2p keys: the peer-ids spec vectors of every key type, the legacy
// 96-byte Ed25519 layout and Ed25519 signatures (RFC 8032).

#include <doctest/doctest.h>

#include <string>

#include "canswarm/identity/keys.hpp"
#include "spec_vectors.hpp"

using namespace canswarm;
using namespace canswarm::identity;

namespace {

// The peer-ids spec Ed25519 key: seed and public key.
const char* spec_seed = "7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec"
                        "9da60fee7d";
const char* spec_pub = "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d"
                       "474fce27e";

} // namespace

TEST_CASE("the spec Ed25519 private key yields the spec public key") {
  // 08 01 = Type Ed25519, 12 40 = Data of 64 bytes (seed || public key).
  auto encoded = hex(spec_vectors::ed25519_private);
  CHECK(to_hex(bytes_view{encoded}.first(4)) == "08011240");
  auto key = private_key::from_protobuf(encoded);
  REQUIRE_MESSAGE(key, key.error().describe());
  CHECK(key->type() == key_type::ed25519);
  CHECK(to_hex(key->public_key().data()) == spec_pub);
  // 08 01 = Type Ed25519, 12 20 = Data of 32 bytes.
  CHECK(to_hex(key->public_key().to_protobuf())
        == spec_vectors::ed25519_public);
  CHECK(to_hex(key->to_protobuf()) == spec_vectors::ed25519_private);
  auto from_seed = private_key::ed25519_from_seed(hex(spec_seed));
  REQUIRE(from_seed);
  CHECK(from_seed->to_protobuf() == encoded);
}

TEST_CASE("the spec Ed25519 public key decodes and re-encodes identically") {
  auto encoded = hex(spec_vectors::ed25519_public);
  auto key = public_key::from_protobuf(encoded);
  REQUIRE(key);
  CHECK(key->type() == key_type::ed25519);
  CHECK(to_hex(key->data()) == spec_pub);
  CHECK(key->to_protobuf() == encoded);
  auto raw = public_key::ed25519(hex(spec_pub));
  REQUIRE(raw);
  CHECK(*raw == *key);
}

TEST_CASE("go's legacy 96-byte Ed25519 layout is accepted and saved as 64") {
  // 12 60 = Data of 96 bytes: seed || public key || public key.
  auto legacy = hex(std::string{"08011260"} + spec_seed + spec_pub + spec_pub);
  auto key = private_key::from_protobuf(legacy);
  REQUIRE_MESSAGE(key, key.error().describe());
  CHECK(to_hex(key->public_key().data()) == spec_pub);
  CHECK(to_hex(key->to_protobuf()) == spec_vectors::ed25519_private);
}

TEST_CASE("a legacy layout whose repeated public key differs is refused") {
  std::string other(64, '0');
  auto r = private_key::from_protobuf(
    hex(std::string{"08011260"} + spec_seed + spec_pub + other));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::malformed);
  CHECK(r.error().message
        == "Ed25519 96-byte private key repeats a different public key");
}

TEST_CASE("a private key whose public half does not match its seed fails") {
  std::string other(64, '0');
  auto r = private_key::from_protobuf(
    hex(std::string{"08011240"} + spec_seed + other));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::crypto);
  CHECK(r.error().message
        == "Ed25519 private key holds a public key that does not match its "
           "seed");
}

TEST_CASE("Ed25519 keys of the wrong size are refused") {
  auto r = private_key::from_protobuf(hex("0801 1203 010203"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::malformed);
  CHECK(r.error().message
        == "Ed25519 private key must be 64 or 96 bytes, got 3");
  auto p = public_key::from_protobuf(hex("0801 1203 010203"));
  REQUIRE_FALSE(p);
  CHECK(p.error().message == "Ed25519 public key must be 32 bytes, got 3");
  auto s = private_key::ed25519_from_seed(hex("0102"));
  REQUIRE_FALSE(s);
  CHECK(s.error().message == "Ed25519 seed must be 32 bytes, got 2");
}

TEST_CASE("the spec private keys of every type yield the spec public keys") {
  struct vec {
    const char* private_hex;
    const char* public_hex;
    key_type type;
  };
  vec vectors[] = {
    {spec_vectors::rsa_private, spec_vectors::rsa_public, key_type::rsa},
    {spec_vectors::secp256k1_private, spec_vectors::secp256k1_public,
     key_type::secp256k1},
    {spec_vectors::ecdsa_private, spec_vectors::ecdsa_public, key_type::ecdsa},
  };
  for (const auto& v : vectors) {
    CAPTURE(to_string(v.type));
    auto key = private_key::from_protobuf(hex(v.private_hex));
    REQUIRE_MESSAGE(key, key.error().describe());
    CHECK(key->type() == v.type);
    CHECK(key->public_key().type() == v.type);
    // Re-encoding reproduces the spec bytes exactly (canonical DER / scalar).
    CHECK(to_hex(key->to_protobuf()) == v.private_hex);
    CHECK(to_hex(key->public_key().to_protobuf()) == v.public_hex);
    auto message = to_bytes("signed by a spec key");
    auto signature = key->sign(message);
    CHECK(key->public_key().check_verify(message, signature).ok());
    message.back() ^= 1;
    CHECK_FALSE(key->public_key().verify(message, signature));
  }
}

TEST_CASE("the spec public keys of every type decode and re-encode") {
  struct vec {
    const char* hex;
    key_type type;
    const char* prefix; // Type, Data tag and length.
  };
  vec vectors[] = {
    // 08 00 = RSA, 12 a604 = 550 bytes of SubjectPublicKeyInfo DER.
    {spec_vectors::rsa_public, key_type::rsa, "080012a604"},
    // 08 02 = Secp256k1, 12 21 = 33 bytes: compressed point (03 = odd y).
    {spec_vectors::secp256k1_public, key_type::secp256k1, "0802122103"},
    // 08 03 = ECDSA, 12 5b = 91 bytes of SubjectPublicKeyInfo DER.
    {spec_vectors::ecdsa_public, key_type::ecdsa, "0803125b30"},
  };
  for (const auto& v : vectors) {
    CAPTURE(v.hex);
    auto encoded = hex(v.hex);
    CHECK(to_hex(bytes_view{encoded}.first(5)) == v.prefix);
    auto key = public_key::from_protobuf(encoded);
    REQUIRE_MESSAGE(key, key.error().describe());
    CHECK(key->type() == v.type);
    CHECK(key->to_protobuf() == encoded);
    auto same = public_key::from_data(v.type, key->data());
    REQUIRE(same);
    CHECK(*same == *key);
    // A signature of the wrong shape is refused with the reason.
    bytes signature(64, 1);
    auto checked = key->check_verify(as_bytes("msg"), signature);
    REQUIRE_FALSE(checked);
    CHECK(checked.error().code == errc::crypto);
  }
}

TEST_CASE("Ed25519 signatures match RFC 8032 and verify") {
  struct vec {
    const char* seed;
    const char* pub;
    const char* message;
    const char* signature;
  };
  // RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte).
  vec vectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb882"
     "1590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1"
     "e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
  };
  for (const auto& v : vectors) {
    CAPTURE(v.pub);
    auto key = private_key::ed25519_from_seed(hex(v.seed));
    REQUIRE(key);
    CHECK(to_hex(key->public_key().data()) == v.pub);
    auto message = hex(v.message);
    CHECK(to_hex(key->sign(message)) == v.signature);
    CHECK(key->public_key().verify(message, hex(v.signature)));
  }
}

TEST_CASE("a signature round-trips and tampering makes it fail") {
  auto key = private_key::generate_ed25519();
  auto pub = key.public_key();
  auto message = to_bytes("canswarm signed payload");
  auto signature = key.sign(message);
  REQUIRE(signature.size() == 64);
  CHECK(pub.verify(message, signature));
  CHECK(pub.check_verify(message, signature).ok());

  auto tampered = signature;
  tampered[10] ^= 0x01;
  CHECK_FALSE(pub.verify(message, tampered));
  auto r = pub.check_verify(message, tampered);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::crypto);
  CHECK(r.error().message == "Ed25519 signature does not verify");

  auto other_message = message;
  other_message.back() ^= 0x01;
  CHECK_FALSE(pub.verify(other_message, signature));

  auto other_key = private_key::generate_ed25519();
  CHECK_FALSE(other_key.public_key().verify(message, signature));
  CHECK_FALSE(other_key.public_key() == pub);

  auto short_sig = pub.check_verify(message, bytes_view{signature}.first(63));
  REQUIRE_FALSE(short_sig);
  CHECK(short_sig.error().message
        == "Ed25519 signature must be 64 bytes, got 63");
}

TEST_CASE("key types have their libp2p names") {
  CHECK(std::string{to_string(key_type::rsa)} == "RSA");
  CHECK(std::string{to_string(key_type::ed25519)} == "Ed25519");
  CHECK(std::string{to_string(key_type::secp256k1)} == "Secp256k1");
  CHECK(std::string{to_string(key_type::ecdsa)} == "ECDSA");
}

TEST_CASE("a default-constructed public key verifies nothing") {
  public_key empty;
  auto r = empty.check_verify(as_bytes("m"), bytes(64, 0));
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "empty public key");
}
