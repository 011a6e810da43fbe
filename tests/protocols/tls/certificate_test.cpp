// Certificate generation and verification: the go-libp2p / rust-libp2p test
// certificates (valid ones must verify to their peer ids, the known-bad one
// must fail), generated certificates, and every refusal.

#include <doctest/doctest.h>

#include <string>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "canswarm/tls/certificate.hpp"
#include "canswarm/tls/signed_key.hpp"
#include "tls_fixtures.hpp"

using namespace canswarm;
using namespace tls_test;

namespace {

// From go-libp2p p2p/security/tls/crypto_test.go (TestVectors) and
// rust-libp2p transports/tls/src/certificate.rs (tests): P-256 certificate
// keys, validity 1975-01-01 .. 4096-01-01, host keys of each type.
const std::string ed25519_cert
  = "308201773082011ea003020102020900f5bd0debaa597f52300a06082a8648ce3d0403"
    "0230003020170d3735303130313030303030305a180f3430393630313031303030303030"
    "5a30003059301306072a8648ce3d020106082a8648ce3d030107034200046bf9871220d7"
    "1dcb3483ecdfcbfcc7c103f8509d0974b3c18ab1f1be1302d643103a08f7a7722c1b247b"
    "a3876fe2c59e26526f479d7718a85202ddbe47562358a37f307d307b060a2b0601040183"
    "a25a01010101ff046a30680424080112207fda21856709c5ae12fd6e8450623f15f11955"
    "d384212b89f56e7e136d2e17280440aaa6bffabe91b6f30c35e3aa4f94b1188fed96b0ff"
    "dd393f4c58c1c047854120e674ce64c788406d1c2c4b116581fd7411b309881c3c7f20b4"
    "6e54c7e6fe7f0f300a06082a8648ce3d040302034700304402207d1a1dbd2bda235ff2ec"
    "87daf006f9b04ba076a5a5530180cd9c2e8f6399e09d0220458527178c7e77024601dbb1"
    "b256593e9b96d961b96349d1f560114f61a87595";

const std::string ecdsa_cert
  = "308201c030820166a003020102020900eaf419a6e3edb4a6300a06082a8648ce3d0403"
    "0230003020170d3735303130313030303030305a180f3430393630313031303030303030"
    "5a30003059301306072a8648ce3d020106082a8648ce3d030107034200048dbf1116c7c6"
    "08d6d5292bd826c3feb53483a89fce434bf64538a359c8e07538ff71f6766239be6a146d"
    "cc1a5f3bb934bcd4ae2ae1d4da28ac68b4a20593f06ba381c63081c33081c0060a2b0601"
    "040183a25a01010101ff0481ae3081ab045f0803125b3059301306072a8648ce3d020106"
    "082a8648ce3d0301070342000484b93fa456a74bd0153919f036db7bc63c802f055bc702"
    "3395d0203de718ee0fc7b570b767cdd858aca6c7c4113ff002e78bd2138ac1a3b26dde35"
    "19e06979ad04483046022100bc84014cea5a41feabdf4c161096564b9ccf4b62fbef4fe1"
    "cd382c84e11101780221009204f086a84cb8ed8a9ddd7868dc90c792ee434adf62c66f99"
    "a08a5eba11615b300a06082a8648ce3d0403020348003045022054b437be9a2edf591312"
    "d68ff24bf91367ad4143f76cf80b5658f232ade820da022100e23b48de9df9c25d4c83dd"
    "ddf75d2676f0b9318ee2a6c88a736d85eab94a912f";

const std::string secp256k1_cert
  = "3082018230820128a003020102020900f3b305f55622cfdf300a06082a8648ce3d0403"
    "0230003020170d3735303130313030303030305a180f3430393630313031303030303030"
    "5a30003059301306072a8648ce3d020106082a8648ce3d0301070342000458f7e9581748"
    "ff9bdd933b655cc0e5552a1248f840658cc221dec2186b5a2fe4641b86ab7590a3422cdb"
    "b1000cf97662f27e5910d7569f22feed8829c8b52e0fa38188308185308182060a2b0601"
    "040183a25a01010101ff0471306f042508021221026b053094d1112bce799dc8026040ae"
    "6d4eb574157929f1598172061f753d9b1b04463044022040712707e97794c478d93989aa"
    "a28ae1f71c03af524a8a4bd2d98424948a782302207b61b7f074b696a25fb9e0059141a8"
    "11cccc4cc28042d9301b9b2a4015e87470300a06082a8648ce3d04030203480030450220"
    "143ae4d86fdc8675d2480bb6912eca5e39165df7f572d836aa2f2d6acfab13f8022100831d"
    "1979a98f0c4a6fb5069ca374de92f1a1205c962a6d90ad3d7554cb7d9df4";

// The "Invalid certificate" of go / "bad certificate with ed25519 keypair"
// of rust: the extension signature does not cover this certificate's key.
const std::string bad_ed25519_cert
  = "308201773082011da003020102020830a73c5d896a1109300a06082a8648ce3d040302"
    "30003020170d3735303130313030303030305a180f34303936303130313030303030305a"
    "30003059301306072a8648ce3d020106082a8648ce3d03010703420004bbe62df9a7c1c4"
    "6b7f1f21d556deec5382a36df146fb29c7f1240e60d7d5328570e3b71d99602b77a65c9b"
    "3655f62837f8d66b59f1763b8c9beba3be07778043a37f307d307b060a2b0601040183a2"
    "5a01010101ff046a3068042408011220ec8094573afb9728088860864f7bcea2d4fd412f"
    "ef09a8e2d24d482377c20db60440ecabae8354afa2f0af4b8d2ad871e865cb5a7c0c8d3d"
    "bdbf42de577f92461a0ebb0a28703e33581af7d2a4f2270fc37aec6261fcc95f8af08f3f"
    "4806581c730a300a06082a8648ce3d040302034800304502202dfb17a6fa0f94ee0e2e6a"
    "3b9fb6e986f311dee27392058016464bd130930a61022100ba4b937a11c8d3172b81e7cd"
    "04aedb79b978c4379c2b5b24d565dd5d67d3cb3c";

/// PKCS#8 of the Ed25519 key with seed 0x40, 0x41, ..., 0x5f.
const std::string ed25519_pkcs8 = "302e020100300506032b657004220420"
                                  "404142434445464748494a4b4c4d4e4f505152535455"
                                  "565758595a5b5c5d5e5f";

error refusal(const bytes& der, tls::unix_time now = test_now) {
  auto verified = tls::verify_certificate(der, now);
  REQUIRE_FALSE(verified);
  return verified.error();
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

struct x509_view {
  explicit x509_view(const bytes& der) {
    const unsigned char* p = der.data();
    cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    REQUIRE(cert != nullptr);
  }
  ~x509_view() {
    X509_free(cert);
  }
  X509* cert = nullptr;
};

} // namespace

TEST_CASE("the go and rust Ed25519 test certificate verifies") {
  auto verified = tls::verify_certificate(hex(ed25519_cert), test_now);
  REQUIRE(verified);
  CHECK(verified->peer.to_string()
        == "12D3KooWJRSrypvnpHgc6ZAgyCni4KcSmbV7uGRaMw5LgMKT18fq");
  CHECK(verified->public_key.type() == identity::key_type::ed25519);
}

TEST_CASE("the go and rust ECDSA test certificate verifies") {
  auto verified = tls::verify_certificate(hex(ecdsa_cert), test_now);
  REQUIRE(verified);
  CHECK(verified->peer.to_string()
        == "QmZcrvr3r4S3QvwFdae3c2EWTfo792Y14UpzCZurhmiWeX");
  CHECK(verified->public_key.type() == identity::key_type::ecdsa);
}

TEST_CASE("the go and rust secp256k1 test certificate verifies") {
  auto verified = tls::verify_certificate(hex(secp256k1_cert), test_now);
  REQUIRE(verified);
  CHECK(verified->peer.to_string()
        == "16Uiu2HAm2dSCBFxuge46aEt7U1oejtYuBUZXxASHqmcfVmk4gsbx");
  CHECK(verified->public_key.type() == identity::key_type::secp256k1);
}

TEST_CASE("the known-bad go and rust test certificate is refused") {
  auto err = refusal(hex(bad_ed25519_cert));
  CHECK(err.code == errc::crypto);
  CHECK(contains(err.message, "libp2p extension signature invalid"));
}

TEST_CASE("the test certificates are only valid inside their window") {
  // NotBefore 1975-01-01T00:00:00Z = 157766400.
  CHECK(tls::verify_certificate(hex(ed25519_cert), 157766400));
  auto err = refusal(hex(ed25519_cert), 157766399);
  CHECK(err.code == errc::refused);
  CHECK(contains(err.message, "not yet valid at UNIX time 157766399"));
}

TEST_CASE("a generated certificate verifies to the host's peer id") {
  auto host = identity_from(0x01);
  auto cert = tls::certificate::generate(host);
  REQUIRE(cert);
  auto verified = tls::verify_certificate(cert->der(), test_now);
  REQUIRE(verified);
  CHECK(verified->peer == peer_of(host));
  CHECK(verified->public_key == host.public_key());

  x509_view view{cert->der()};
  CHECK(X509_get_version(view.cert) == X509_VERSION_3);
  CHECK(X509_get_signature_nid(view.cert) == NID_ecdsa_with_SHA256);
  CHECK(X509_NAME_entry_count(X509_get_subject_name(view.cert)) == 0);
  CHECK(X509_get_ext_count(view.cert) == 1);
  auto* ext = X509_get_ext(view.cert, 0);
  CHECK(X509_EXTENSION_get_critical(ext) == 1);
  char oid[64];
  OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1);
  CHECK(std::string{oid} == tls::extension_oid);
  time_t before = tls::default_not_before - 1;
  time_t after = tls::default_not_after;
  CHECK(X509_cmp_time(X509_get0_notBefore(view.cert), &before) == 1);
  CHECK(X509_cmp_time(X509_get0_notAfter(view.cert), &after) == -1);
  // Valid from 1975 until 4096.
  CHECK(tls::verify_certificate(cert->der(), tls::default_not_before));
  CHECK(tls::verify_certificate(cert->der(), tls::default_not_after - 1));
  CHECK_FALSE(tls::verify_certificate(cert->der(), tls::default_not_after));
}

TEST_CASE("each generated certificate has a fresh key and serial") {
  auto host = identity_from(0x01);
  auto a = tls::certificate::generate(host);
  auto b = tls::certificate::generate(host);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->key().spki() != b->key().spki());
  CHECK(a->der() != b->der());
}

TEST_CASE("a certificate without the libp2p extension is refused") {
  auto key = fresh_key();
  auto cert = make_cert(key, {});
  auto err = refusal(cert.der());
  CHECK(err.code == errc::protocol);
  CHECK(err.message == "certificate without libp2p extension");
}

TEST_CASE("an extension signed over another certificate key is refused") {
  auto host = identity_from(0x01);
  auto key = fresh_key();
  auto other = fresh_key();
  auto cert = make_cert(key, valid_fields(host, other));
  auto err = refusal(cert.der());
  CHECK(err.code == errc::crypto);
  CHECK(contains(err.message, "libp2p extension signature invalid"));
}

TEST_CASE("an extension signature by another host key is refused") {
  auto host = identity_from(0x01);
  auto impostor = identity_from(0x02);
  auto key = fresh_key();
  auto signed_key = tls::sign_certificate_key(impostor, key.spki());
  signed_key.public_key = host.public_key().to_protobuf();
  tls::certificate_fields fields;
  fields.libp2p_extension = *tls::encode_signed_key(signed_key);
  auto err = refusal(make_cert(key, fields).der());
  CHECK(err.code == errc::crypto);
  CHECK(contains(err.message, "libp2p extension signature invalid"));
}

TEST_CASE("a host key whose data does not match its type is refused") {
  auto host = identity_from(0x01);
  auto key = fresh_key();
  auto signed_key = tls::sign_certificate_key(host, key.spki());
  // Type Ed25519 (1), but the data is a 65-byte uncompressed P-256 point.
  signed_key.public_key = hex("08011241");
  auto spki = key.spki();
  append(signed_key.public_key, bytes_view{spki}.last(65));
  tls::certificate_fields fields;
  fields.libp2p_extension = *tls::encode_signed_key(signed_key);
  auto err = refusal(make_cert(key, fields).der());
  CHECK(err.code == errc::malformed);
  CHECK(contains(err.message,
                 "libp2p extension public key is not a valid Ed25519 key"));
  CHECK(contains(err.message, "65"));
}

TEST_CASE("a libp2p extension that is not a SignedKey is refused") {
  auto key = fresh_key();
  tls::certificate_fields fields;
  fields.libp2p_extension = hex("0403010203");
  auto err = refusal(make_cert(key, fields).der());
  CHECK(err.code == errc::malformed);
  CHECK(contains(err.message, "libp2p extension: SignedKey SEQUENCE"));
}

TEST_CASE("a duplicate libp2p extension is refused") {
  auto host = identity_from(0x01);
  auto key = fresh_key();
  auto fields = valid_fields(host, key);
  fields.extra_extensions.push_back(
    {std::string{tls::extension_oid}, false, *fields.libp2p_extension});
  auto cert = tls::certificate::self_sign(key, fields);
  if (!cert) {
    // OpenSSL may refuse to build it; then nothing can send it either.
    CHECK(cert.error().code == errc::crypto);
    return;
  }
  auto err = refusal(cert->der());
  CHECK(err.code == errc::protocol);
  CHECK(contains(err.message, "libp2p extension twice"));
}

TEST_CASE("unknown critical extensions are refused, others ignored") {
  auto host = identity_from(0x01);
  auto key = fresh_key();
  SUBCASE("unknown and critical") {
    auto fields = valid_fields(host, key);
    fields.extra_extensions.push_back(
      {"1.3.6.1.4.1.99999.1", true, hex("0500")});
    auto err = refusal(make_cert(key, fields).der());
    CHECK(err.code == errc::unsupported);
    CHECK(err.message
          == "certificate has unknown critical extension 1.3.6.1.4.1.99999.1");
  }
  SUBCASE("unknown and not critical") {
    auto fields = valid_fields(host, key);
    fields.extra_extensions.push_back(
      {"1.3.6.1.4.1.99999.1", false, hex("0500")});
    CHECK(tls::verify_certificate(make_cert(key, fields).der(), test_now));
  }
  SUBCASE("critical basic constraints") {
    auto fields = valid_fields(host, key);
    fields.extra_extensions.push_back({"2.5.29.19", true, hex("3000")});
    CHECK(tls::verify_certificate(make_cert(key, fields).der(), test_now));
  }
  SUBCASE("a non-critical libp2p extension") {
    auto fields = valid_fields(host, key);
    fields.libp2p_extension_critical = false;
    CHECK(tls::verify_certificate(make_cert(key, fields).der(), test_now));
  }
}

TEST_CASE("certificates outside their validity window are refused") {
  auto host = identity_from(0x01);
  auto key = fresh_key();
  auto fields = valid_fields(host, key);
  fields.not_before = test_now - 100;
  fields.not_after = test_now + 100;
  auto cert = make_cert(key, fields);
  CHECK(tls::verify_certificate(cert.der(), test_now));
  CHECK(tls::verify_certificate(cert.der(), test_now - 100));
  auto early = refusal(cert.der(), test_now - 101);
  CHECK(early.code == errc::refused);
  CHECK(contains(early.message, "not yet valid"));
  auto late = refusal(cert.der(), test_now + 100);
  CHECK(late.code == errc::refused);
  CHECK(contains(late.message, "expired"));
}

TEST_CASE("a certificate with a broken self-signature is refused") {
  auto host = identity_from(0x01);
  auto key = fresh_key();
  auto der = make_cert(key, valid_fields(host, key)).der();
  der.back() ^= 0x01; // last byte of the ECDSA signature's s
  auto err = refusal(der);
  CHECK(err.code == errc::crypto);
  CHECK(contains(err.message, "certificate self-signature invalid"));
}

TEST_CASE("a certificate signed with SHA-1 is refused") {
  auto host = identity_from(0x01);
  auto key = fresh_key();
  auto der = make_cert(key, valid_fields(host, key)).der();
  x509_view view{der};
  REQUIRE(X509_sign(view.cert, key.native(), EVP_sha1()) > 0);
  int len = i2d_X509(view.cert, nullptr);
  bytes sha1_der(static_cast<std::size_t>(len));
  unsigned char* p = sha1_der.data();
  i2d_X509(view.cert, &p);
  auto err = refusal(sha1_der);
  CHECK(err.code == errc::refused);
  CHECK(contains(err.message, "SHA1, a hash shorter than 256 bits"));
}

TEST_CASE("bytes that are not one DER certificate are refused") {
  auto host = identity_from(0x01);
  auto cert = tls::certificate::generate(host);
  REQUIRE(cert);
  SUBCASE("garbage") {
    auto err = refusal(hex("deadbeef"));
    CHECK(err.code == errc::malformed);
    CHECK(contains(err.message, "certificate is not valid DER"));
  }
  SUBCASE("trailing bytes") {
    auto der = cert->der();
    der.push_back(0);
    auto err = refusal(der);
    CHECK(err.code == errc::malformed);
    CHECK(err.message == "certificate has 1 trailing bytes");
  }
  SUBCASE("truncated") {
    auto der = cert->der();
    der.pop_back();
    CHECK(refusal(der).code == errc::malformed);
  }
  SUBCASE("over the size bound") {
    bytes der(tls::max_certificate_size + 1, 0x30);
    auto err = refusal(der);
    CHECK(err.code == errc::too_large);
    CHECK(contains(err.message, "16384-byte bound"));
  }
}

TEST_CASE("an Ed25519 certificate key from PKCS#8 signs a valid certificate") {
  auto key = tls::certificate_key::from_pkcs8(hex(ed25519_pkcs8));
  REQUIRE(key);
  CHECK(to_hex(key->to_pkcs8()) == ed25519_pkcs8);
  // SPKI: SEQUENCE { AlgorithmIdentifier { 1.3.101.112 }, BIT STRING key }
  CHECK(to_hex(bytes_view{key->spki()}.first(12))
        == "302a300506032b6570032100");
  auto host = identity_from(0x01);
  auto cert = make_cert(*key, valid_fields(host, *key));
  x509_view view{cert.der()};
  CHECK(X509_get_signature_nid(view.cert) == NID_ED25519);
  auto verified = tls::verify_certificate(cert.der(), test_now);
  REQUIRE(verified);
  CHECK(verified->peer == peer_of(host));
}

TEST_CASE("a P-256 certificate key survives a PKCS#8 round trip") {
  auto key = fresh_key();
  auto back = tls::certificate_key::from_pkcs8(key.to_pkcs8());
  REQUIRE(back);
  CHECK(back->spki() == key.spki());
  auto bad = tls::certificate_key::from_pkcs8(hex("3003020100"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::malformed);
  CHECK(contains(bad.error().message, "not a PKCS#8 private key"));
}
