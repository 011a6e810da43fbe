// Base58btc, base32, multihash and CIDv1 libp2p-key: golden vectors both ways
// and specific errors for bad input.

#include <doctest/doctest.h>

#include <string>

#include "canswarm/multiformats/base32.hpp"
#include "canswarm/multiformats/base58.hpp"
#include "canswarm/multiformats/cid.hpp"
#include "canswarm/multiformats/multihash.hpp"

using namespace canswarm;

TEST_CASE("base58btc matches the reference vectors both ways") {
  struct vec {
    bytes data;
    std::string text;
  };
  // IETF draft-msporny-base58 examples plus leading-zero edge cases.
  vec vectors[] = {
    {to_bytes("Hello World!"), "2NEpo7TZRRrLZSi2U"},
    {to_bytes("The quick brown fox jumps over the lazy dog."),
     "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"},
    {hex("0000287fb4cd"), "11233QC4"}, // two zero bytes -> "11"
    {hex("00"), "1"},
    {hex("0000"), "11"},
    {hex("3a"), "21"},
    {bytes{}, ""},
  };
  for (const auto& v : vectors) {
    CAPTURE(v.text);
    CHECK(base58btc_encode(v.data) == v.text);
    auto decoded = base58btc_decode(v.text);
    REQUIRE(decoded);
    CHECK(*decoded == v.data);
  }
}

TEST_CASE("base58btc rejects characters outside the bitcoin alphabet") {
  for (std::string bad : {"0abc", "abcO", "Il", "ab+c"}) {
    CAPTURE(bad);
    auto r = base58btc_decode(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::malformed);
    CHECK(r.error().message.find("invalid base58 character") == 0);
  }
  auto r = base58btc_decode("2NEpo0TZRR");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "invalid base58 character '0' at offset 5");
}

TEST_CASE("base58btc refuses text over its length bound") {
  auto r = base58btc_decode(std::string(max_base58_text + 1, '2'));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::too_large);
}

TEST_CASE("base32 matches the RFC 4648 vectors in lowercase without padding") {
  struct vec {
    const char* data;
    const char* text;
  };
  // RFC 4648 section 10, lowercased, padding removed.
  vec vectors[] = {{"", ""},
                   {"f", "my"},
                   {"fo", "mzxq"},
                   {"foo", "mzxw6"},
                   {"foob", "mzxw6yq"},
                   {"fooba", "mzxw6ytb"},
                   {"foobar", "mzxw6ytboi"}};
  for (const auto& v : vectors) {
    CAPTURE(v.text);
    CHECK(base32_encode(as_bytes(v.data)) == v.text);
    auto decoded = base32_decode(v.text);
    REQUIRE(decoded);
    CHECK(*decoded == to_bytes(v.data));
  }
}

TEST_CASE("base32 rejects padding, uppercase, bad lengths and stray bits") {
  auto check = [](std::string text, std::string message) {
    CAPTURE(text);
    auto r = base32_decode(text);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::malformed);
    CHECK(r.error().message == message);
  };
  check("my======", "invalid base32 character '=' at offset 2");
  check("MY", "invalid base32 character 'M' at offset 0");
  check("m1", "invalid base32 character '1' at offset 1");
  check("mzx", "base32 text length 3 is impossible");
  check("mz", "base32 text has non-zero trailing bits");
}

TEST_CASE("sha256 matches the FIPS 180-2 vectors") {
  CHECK(to_hex(multihash::sha256(bytes{}))
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(multihash::sha256(as_bytes("abc")))
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("multihash encodes and parses code, length and digest") {
  auto digest = multihash::sha256(as_bytes("abc"));
  // 12 = sha2-256, 20 = 32-byte digest, then the digest.
  auto expected = hex("12 20"
                      "ba7816bf8f01cfea414140de5dae2223"
                      "b00361a396177a9cb410ff61f20015ad");
  CHECK(multihash::make(multihash::sha2_256, digest) == expected);
  auto parsed = multihash::parse(expected);
  REQUIRE(parsed);
  CHECK(parsed->code == multihash::sha2_256);
  CHECK(bytes{parsed->digest.begin(), parsed->digest.end()} == digest);
  // 00 = identity, 03 = length, then the data itself.
  CHECK(to_hex(multihash::make(multihash::identity, as_bytes("abc")))
        == "0003616263");
}

TEST_CASE("multihash parsing rejects truncation, trailing bytes and huge "
          "digests") {
  auto check = [](const char* in, errc code, std::string message) {
    CAPTURE(in);
    auto r = multihash::parse(hex(in));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == code);
    CHECK(r.error().message == message);
  };
  check("", errc::malformed, "multihash truncated in its hash code");
  check("12", errc::malformed, "multihash truncated in its digest length");
  check("1203aabb", errc::malformed,
        "multihash digest truncated: length 3, 2 bytes present");
  check("1201aabb", errc::malformed,
        "multihash has 1 trailing bytes after its 1-byte digest");
  check("128102", errc::too_large,
        "multihash digest length 257 is over the 128-byte limit");
  check("ffffffffffffffffff01", errc::malformed,
        "multihash hash code: varint longer than 9 bytes");
}

TEST_CASE("CIDv1 libp2p-key text matches the peer-ids spec example") {
  // peer-ids spec: the same sha256 peer id as a CID and as bare base58btc.
  auto mh = base58btc_decode("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
  REQUIRE(mh);
  const char* cid_text = "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjb"
                         "x5xqxe";
  CHECK(cid::encode_libp2p_key(*mh) == cid_text);
  auto decoded = cid::decode_libp2p_key(cid_text);
  REQUIRE(decoded);
  CHECK(*decoded == *mh);
  // The raw CID bytes: 01 = CIDv1, 72 = libp2p-key, then the multihash.
  auto raw = base32_decode(std::string{cid_text}.substr(1));
  REQUIRE(raw);
  CHECK(to_hex(bytes_view{*raw}.first(4)) == "01721220");
  // The same CID in base58btc multibase ('z') decodes to the same multihash.
  auto z = cid::decode_libp2p_key("z" + base58btc_encode(*raw));
  REQUIRE(z);
  CHECK(*z == *mh);
}

TEST_CASE("peer id text is told apart by its first character") {
  auto from_base58 = cid::peer_id_multihash_from_text(
    "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
  auto from_cid = cid::peer_id_multihash_from_text(
    "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe");
  REQUIRE(from_base58);
  REQUIRE(from_cid);
  CHECK(*from_base58 == *from_cid);
  auto bad = cid::peer_id_multihash_from_text("fabc");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message
        == "unsupported multibase prefix 'f' (expected 'b' or 'z')");
}

TEST_CASE("CIDs with another version or codec are not peer ids") {
  // 01 55 (raw codec) + sha256 multihash of "abc".
  bytes raw = hex("0155");
  append(raw, multihash::make(multihash::sha2_256,
                              multihash::sha256(as_bytes("abc"))));
  auto r = cid::decode_libp2p_key("b" + base32_encode(raw));
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "CID codec 0x55 is not libp2p-key (0x72)");
  raw[0] = 0x02;
  r = cid::decode_libp2p_key("b" + base32_encode(raw));
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "CID version 2 is not 1");
}
