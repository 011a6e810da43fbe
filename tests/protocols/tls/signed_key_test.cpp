// The SignedKey DER codec: golden vectors both ways (one computed
// independently by signed_key_vector.py, one taken from the go-libp2p /
// rust-libp2p Ed25519 test certificate) and every rejection.

#include <doctest/doctest.h>

#include <string>

#include <openssl/objects.h>

#include "canswarm/tls/signed_key.hpp"
#include "tls_fixtures.hpp"

using namespace canswarm;
using namespace tls_test;

namespace {

// Certificate key of the go/rust Ed25519 test certificate (a P-256 SPKI).
const std::string golden_spki
  = "3059301306072a8648ce3d020106082a8648ce3d030107034200046bf9871220d71dcb"
    "3483ecdfcbfcc7c103f8509d0974b3c18ab1f1be1302d643103a08f7a7722c1b247ba3"
    "876fe2c59e26526f479d7718a85202ddbe47562358";

// signed_key_vector.py with host seed 00 01 .. 1f:
const std::string golden_der
  = "3068" // SEQUENCE, 104 bytes
    "0424" // OCTET STRING publicKey, 36 bytes:
    "08011220" //   protobuf Type=Ed25519, Data (32 bytes)
    "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    "0440" // OCTET STRING signature, 64 bytes
    "944564f81c59ac43bb22cbcb85ed69fd9bae7e32af1aa252b504e2c84fac1801"
    "6c969733907b334758644076f445f67a8dcaea6a45969f065205d9a010e6b206";

// The extension value inside the go/rust Ed25519 test certificate.
const std::string foreign_der
  = "30680424080112207fda21856709c5ae12fd6e8450623f15f11955d384212b89f56e"
    "7e136d2e17280440aaa6bffabe91b6f30c35e3aa4f94b1188fed96b0ffdd393f4c58"
    "c1c047854120e674ce64c788406d1c2c4b116581fd7411b309881c3c7f20b46e54c7"
    "e6fe7f0f";

error decode_error(const std::string& hex_text) {
  auto decoded = tls::decode_signed_key(hex(hex_text));
  REQUIRE_FALSE(decoded);
  return decoded.error();
}

} // namespace

TEST_CASE("the SignedKey golden vector encodes and decodes exactly") {
  auto host = identity_from(0x00);
  auto signed_key = tls::sign_certificate_key(host, hex(golden_spki));
  auto encoded = tls::encode_signed_key(signed_key);
  REQUIRE(encoded);
  CHECK(to_hex(*encoded) == golden_der);
  auto decoded = tls::decode_signed_key(hex(golden_der));
  REQUIRE(decoded);
  CHECK(*decoded == signed_key);
  CHECK(to_hex(decoded->public_key)
        == "0801122003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc866412"
           "5531b8");
  auto key = identity::public_key::from_protobuf(decoded->public_key);
  REQUIRE(key);
  CHECK(key->check_verify(tls::signing_message(hex(golden_spki)),
                          decoded->signature));
}

TEST_CASE("the SignedKey of the go and rust test certificate round-trips") {
  auto decoded = tls::decode_signed_key(hex(foreign_der));
  REQUIRE(decoded);
  CHECK(decoded->public_key.size() == 36);
  CHECK(decoded->signature.size() == 64);
  auto key = identity::public_key::from_protobuf(decoded->public_key);
  REQUIRE(key);
  CHECK(peer_id::from_public_key(*key).to_string()
        == "12D3KooWJRSrypvnpHgc6ZAgyCni4KcSmbV7uGRaMw5LgMKT18fq");
  CHECK(key->check_verify(tls::signing_message(hex(golden_spki)),
                          decoded->signature));
  auto encoded = tls::encode_signed_key(*decoded);
  REQUIRE(encoded);
  CHECK(to_hex(*encoded) == foreign_der);
}

TEST_CASE("the signed message is the prefix followed by the SPKI") {
  auto msg = tls::signing_message(hex("3059"));
  CHECK(std::string(msg.begin(), msg.end() - 2) == "libp2p-tls-handshake:");
  CHECK(to_hex(bytes_view{msg}.last(2)) == "3059");
}

TEST_CASE("the extension OID constant is the DER of 1.3.6.1.4.1.53594.1.1") {
  ASN1_OBJECT* obj = OBJ_txt2obj(std::string{tls::extension_oid}.c_str(), 1);
  REQUIRE(obj != nullptr);
  bytes der(OBJ_get0_data(obj), OBJ_get0_data(obj) + OBJ_length(obj));
  ASN1_OBJECT_free(obj);
  CHECK(der
        == bytes(tls::extension_oid_der.begin(), tls::extension_oid_der.end()));
}

TEST_CASE("long fields use the one- and two-byte DER length forms") {
  tls::signed_key key{bytes(300, 0xaa), bytes(200, 0xbb)};
  auto encoded = tls::encode_signed_key(key);
  REQUIRE(encoded);
  // SEQUENCE 0x82 0x0201 (4+300 + 3+200 = 507 bytes), publicKey 0x82 0x012c,
  // signature 0x81 0xc8.
  CHECK(to_hex(bytes_view{*encoded}.first(8)) == "308201fb0482012c");
  CHECK(to_hex(bytes_view{*encoded}.subspan(4 + 4 + 300, 3)) == "0481c8");
  auto decoded = tls::decode_signed_key(*encoded);
  REQUIRE(decoded);
  CHECK(*decoded == key);
}

TEST_CASE("empty fields encode as zero-length OCTET STRINGs") {
  auto encoded = tls::encode_signed_key({});
  REQUIRE(encoded);
  CHECK(to_hex(*encoded) == "300404000400");
  auto decoded = tls::decode_signed_key(*encoded);
  REQUIRE(decoded);
  CHECK(decoded->public_key.empty());
  CHECK(decoded->signature.empty());
}

TEST_CASE("oversize SignedKey fields are refused before encoding") {
  tls::signed_key big_key{bytes(identity::max_key_protobuf_size + 1),
                          bytes(64)};
  auto e1 = tls::encode_signed_key(big_key);
  REQUIRE_FALSE(e1);
  CHECK(e1.error().code == errc::too_large);
  CHECK(e1.error().message.find("publicKey") != std::string::npos);
  tls::signed_key big_sig{bytes(36), bytes(tls::max_signature_size + 1)};
  auto e2 = tls::encode_signed_key(big_sig);
  REQUIRE_FALSE(e2);
  CHECK(e2.error().code == errc::too_large);
  CHECK(e2.error().message.find("signature") != std::string::npos);
}

TEST_CASE("malformed SignedKey DER is refused with the reason") {
  SUBCASE("empty input") {
    auto err = decode_error("");
    CHECK(err.code == errc::malformed);
    CHECK(err.message.find("truncated") != std::string::npos);
  }
  SUBCASE("not a SEQUENCE") {
    auto err = decode_error("3104040004 00");
    CHECK(err.code == errc::malformed);
    CHECK(err.message.find("expected tag 0x30, got 0x31") != std::string::npos);
  }
  SUBCASE("BIT STRING instead of OCTET STRING") {
    auto err = decode_error("3005030100 0400");
    CHECK(err.code == errc::malformed);
    CHECK(err.message.find("publicKey: expected tag 0x04, got 0x03")
          != std::string::npos);
  }
  SUBCASE("bytes after the SEQUENCE") {
    auto err = decode_error("300404000400ff");
    CHECK(err.code == errc::malformed);
    CHECK(err.message.find("1 trailing bytes") != std::string::npos);
  }
  SUBCASE("a third field (a go-libp2p network cookie)") {
    auto err = decode_error("300a04000400040442434441");
    CHECK(err.code == errc::malformed);
    CHECK(err.message.find("exactly two fields") != std::string::npos);
  }
  SUBCASE("indefinite length") {
    auto err = decode_error("308004000400 0000");
    CHECK(err.code == errc::malformed);
    CHECK(err.message.find("indefinite") != std::string::npos);
  }
  SUBCASE("non-minimal length") {
    auto err = decode_error("30810404000400");
    CHECK(err.code == errc::malformed);
    CHECK(err.message.find("not minimally encoded") != std::string::npos);
  }
  SUBCASE("length running past the end") {
    auto err = decode_error("300604050400 0400");
    CHECK(err.code == errc::malformed);
    CHECK(err.message.find("publicKey truncated: 5 bytes declared")
          != std::string::npos);
  }
  SUBCASE("missing signature") {
    auto err = decode_error("30020400");
    CHECK(err.code == errc::malformed);
    CHECK(err.message.find("signature truncated") != std::string::npos);
  }
}

TEST_CASE("oversize SignedKey lengths are refused before copying") {
  SUBCASE("a publicKey over the key protobuf bound") {
    // SEQUENCE (4103 bytes) { OCTET STRING (4097 bytes), OCTET STRING {} }
    auto der = hex("30821007 04821001");
    der.resize(der.size() + 4097, 0x08);
    append(der, hex("0400"));
    auto decoded = tls::decode_signed_key(der);
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().code == errc::too_large);
    CHECK(decoded.error().message.find("publicKey of 4097 bytes")
          != std::string::npos);
  }
  SUBCASE("a signature over its bound") {
    // SEQUENCE (1031 bytes) { OCTET STRING {}, OCTET STRING (1025 bytes) }
    auto der = hex("30820407 0400 04820401");
    der.resize(der.size() + 1025, 0x55);
    auto decoded = tls::decode_signed_key(der);
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().code == errc::too_large);
    CHECK(decoded.error().message.find("signature of 1025 bytes")
          != std::string::npos);
  }
  SUBCASE("a four-byte length field") {
    auto err = decode_error("308400000004");
    CHECK(err.code == errc::too_large);
  }
  SUBCASE("a whole input over the bound") {
    bytes big(tls::max_signed_key_size + 1, 0);
    auto decoded = tls::decode_signed_key(big);
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().code == errc::too_large);
  }
}
