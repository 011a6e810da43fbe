#include <doctest/doctest.h>

#include "canswarm/envelope/codec.hpp"
#include "fixture.hpp"

using namespace canswarm;
namespace env = canswarm::envelope;

namespace {

// The golden envelope on the wire; each line: tag, [length], value.
const char* golden_wire =
  // 1 version: varint 1
  "08 01"
  // 2 id: 16 bytes
  "12 10 00112233445566778899aabbccddeeff"
  // 3 thread_id: "thread-42"
  "1a 09 7468726561642d3432"
  // 4 kind: CLAIM = 3
  "20 03"
  // 5 lamport: 7
  "28 07"
  // 6 ts_ns: 1700000000000000000 as a 9-byte varint
  "30 8080a8b1e39fe7cb17"
  // 7 sender: RFC 8032 test 1 public key
  "3a 20 d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
  // 8 payload: {"task":"t1"}
  "42 0d 7b227461736b223a227431227d"
  // 9 payload_hash: SHA-256 of the payload
  "4a 20 9bf07361571eb80bdd9b1ee0d8bdf60cc7eda6d0ce7c731ac229fe2b9bb523f0"
  // 10 policy_engine_hash
  "52 04 cafef00d"
  // 11 nonce
  "5a 10 0f0e0d0c0b0a09080706050403020100"
  // 12 policy_capsule_hash (13 policy_eval_digest absent)
  "62 03 c0ffee"
  // 14 signature
  "72 40 58ea760e302a74b16cc73e821e9e12c2e859de4f346cae1f9b301d9ac936e78a"
  "      909c5a8b544eef7f80078f29a7818dce59b3745b60a0a2a67edfac1b306f3a0b";

/// Decodes hex that must fail and returns the error.
error decode_error(std::string_view wire_hex) {
  auto r = env::decode(hex(wire_hex));
  REQUIRE_FALSE(r);
  return r.error();
}

bool mentions(const error& e, std::string_view text) {
  return e.message.find(text) != std::string::npos;
}

} // namespace

TEST_CASE("the golden envelope matches its wire vector both ways") {
  auto wire = env::encode(golden::literal_envelope());
  REQUIRE(wire);
  CHECK(to_hex(*wire) == to_hex(hex(golden_wire)));
  CHECK(wire->size() == 223);
  auto decoded = env::decode(hex(golden_wire));
  REQUIRE(decoded);
  CHECK(*decoded == golden::literal_envelope());
  CHECK(env::verify(*decoded));
  CHECK(env::encode(golden::signed_envelope()).value() == hex(golden_wire));
}

TEST_CASE("decoding then encoding reproduces the input byte for byte") {
  auto base = golden::signed_envelope();
  std::vector<env::envelope> variants(6, base);
  variants[1].policy_capsule_hash.reset();
  variants[2].policy_eval_digest = bytes{}; // present but empty: "6a 00"
  variants[3].payload.clear();
  variants[4].kind = env::kind::unspecified;
  variants[4].lamport = 0;
  variants[5] = env::envelope{};
  for (std::size_t i = 0; i < variants.size(); ++i) {
    CAPTURE(i);
    auto wire = env::encode(variants[i]);
    REQUIRE(wire);
    auto back = env::decode(*wire);
    REQUIRE(back);
    CHECK(*back == variants[i]);
    CHECK(env::encode(*back).value() == *wire);
  }
  auto empty_digest = env::encode(variants[2]).value();
  CHECK(to_hex(empty_digest).find("6a0072") != std::string::npos);
}

TEST_CASE("absent fields decode as proto3 defaults") {
  auto e = env::decode(bytes{});
  REQUIRE(e);
  CHECK(e->version == 0);
  CHECK(e->kind == env::kind::unspecified);
  CHECK(e->thread_id.empty());
  CHECK_FALSE(e->policy_capsule_hash);
  auto only_kind = env::decode(hex("20 0f"));
  REQUIRE(only_kind);
  CHECK(only_kind->kind == env::kind::checkpoint);
}

TEST_CASE("a maximal envelope fits max_wire_size and round trips") {
  env::envelope e;
  e.version = 0xffffffff;
  e.id = bytes(env::id_size, 0xff);
  e.thread_id = std::string(env::max_thread_id_size, 'x');
  e.kind = env::kind::checkpoint;
  e.lamport = ~std::uint64_t{0};
  e.ts_ns = ~std::uint64_t{0};
  e.sender = bytes(env::sender_size, 1);
  e.payload = bytes(env::max_payload_size, 2);
  e.payload_hash = bytes(env::payload_hash_size, 3);
  e.policy_engine_hash = bytes(env::max_policy_digest_size, 4);
  e.nonce = bytes(env::max_nonce_size, 5);
  e.policy_capsule_hash = bytes(env::max_policy_digest_size, 6);
  e.policy_eval_digest = bytes(env::max_policy_digest_size, 7);
  e.signature = bytes(env::signature_size, 8);
  auto wire = env::encode(e);
  REQUIRE(wire);
  CHECK(wire->size() <= env::max_wire_size);
  CHECK(wire->size() > env::max_payload_size + 600);
  auto back = env::decode(*wire);
  REQUIRE(back);
  CHECK(*back == e);
}

TEST_CASE("decode rejects truncation and trailing garbage") {
  auto golden_bytes = hex(golden_wire);
  auto cut = golden_bytes;
  cut.pop_back();
  auto r = env::decode(cut);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::malformed);
  CHECK(mentions(r.error(), "signature is truncated: 64 bytes announced, 63"));

  auto trailing = golden_bytes;
  trailing.push_back(0x00);
  r = env::decode(trailing);
  REQUIRE_FALSE(r);
  CHECK(mentions(r.error(), "1 trailing bytes after the last field"));

  // Without a signature field, a stray zero byte is field number 0.
  auto e = decode_error("08 01 00");
  CHECK(e.code == errc::malformed);
  CHECK(mentions(e, "unknown field 0"));
  e = decode_error("08 01 20"); // a tag without its value
  CHECK(mentions(e, "truncated varint in kind"));
  e = decode_error("08 01 12"); // a length-delimited tag without its length
  CHECK(mentions(e, "truncated varint in the length of id"));
}

TEST_CASE("decode rejects every non-canonical protobuf form") {
  struct bad_case {
    const char* wire;
    const char* message;
  };
  bad_case cases[] = {
    {"12 10 00112233445566778899aabbccddeeff 08 01",
     "field 1 (version) repeated or out of order"},
    {"08 01 08 01", "field 1 (version) repeated or out of order"},
    {"0a 01 01", "field 1 (version) has wire type 2, not 0"},
    {"22 01 03", "field 4 (kind) has wire type 2, not 0"},
    {"08 00", "version is present but 0"},
    {"12 00", "id is present but empty"},
    {"08 81 00", "varint in version is not minimally encoded"},
    {"28 ffffffffffffffffff02", "varint in lamport exceeds 64 bits"},
    {"08 8080808010", "version 4294967296 exceeds 32 bits"},
    {"7a 01 00", "unknown field 15"},
    {"f8 01 01", "unknown field 31"},
    {"12 05 0102030405", "id is 5 bytes, not 16"},
    {"3a 21", "sender is 33 bytes, not 32"},
    {"1a 02 c328", "thread_id is not valid UTF-8"},
    {"1a 03 eda080", "thread_id is not valid UTF-8"}, // a surrogate
  };
  for (auto& c : cases) {
    CAPTURE(c.wire);
    auto e = decode_error(c.wire);
    CHECK(e.code == errc::malformed);
    CHECK_MESSAGE(mentions(e, c.message), e.message);
  }
}

TEST_CASE("decode names an unknown kind on the wire") {
  auto wire = hex(golden_wire);
  // "20 03" -> "20 63": kind 99, a kind from some future version.
  auto at = to_hex(wire).find("2003") / 2;
  wire[at + 1] = 0x63;
  auto r = env::decode(wire);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::unsupported);
  CHECK(r.error().message == "unknown envelope kind 99");
  // A negative int32 enum value is a 10-byte varint.
  auto e = decode_error("20 ffffffffffffffffff01");
  CHECK(e.code == errc::unsupported);
  CHECK(mentions(e, "unknown envelope kind 18446744073709551615"));
  e = decode_error("20 10");
  CHECK(e.code == errc::unsupported);
}

TEST_CASE("decode checks bounds before allocating") {
  // payload length 1 MiB + 1 announced with no body: refused as too large,
  // not as truncated, so nothing was buffered for it.
  auto e = decode_error("42 818040");
  CHECK(e.code == errc::too_large);
  CHECK(mentions(e, "payload is 1048577 bytes, over 1048576 "
                    "(max_payload_size)"));
  e = decode_error("1a 8102");
  CHECK(e.code == errc::too_large);
  CHECK(mentions(e, "thread_id is 257 bytes, over 256"));
  e = decode_error("5a 41");
  CHECK(e.code == errc::too_large);
  CHECK(mentions(e, "nonce is 65 bytes, over 64 (max_nonce_size)"));
  e = decode_error("62 41");
  CHECK(mentions(e, "policy_capsule_hash is 65 bytes"));
  // A length that does not even fit the remaining input.
  e = decode_error("42 10 00");
  CHECK(e.code == errc::malformed);
  CHECK(mentions(e, "payload is truncated: 16 bytes announced, 1 left"));
  bytes huge(env::max_wire_size + 1, 0);
  auto r = env::decode(huge);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::too_large);
  CHECK(mentions(r.error(), "max_wire_size"));
}

TEST_CASE("encode refuses what decode would refuse") {
  auto e = golden::signed_envelope();
  e.id = hex("0102");
  auto r = env::encode(e);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::malformed);
  CHECK(r.error().message == "id is 2 bytes, not 16");
  e = golden::signed_envelope();
  e.kind = static_cast<env::kind>(99);
  r = env::encode(e);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::unsupported);
  e = golden::signed_envelope();
  e.payload.resize(env::max_payload_size + 1);
  r = env::encode(e);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::too_large);
  e = golden::signed_envelope();
  e.thread_id = "\xff";
  r = env::encode(e);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "thread_id is not valid UTF-8");
}

TEST_CASE("every mutation of the golden wire decodes canonically or fails") {
  // Truncations, single-byte changes and insertions: decode must never
  // crash, and whatever it accepts must re-encode to the same bytes.
  auto golden_bytes = hex(golden_wire);
  std::size_t accepted = 0;
  auto probe = [&](const bytes& w) {
    auto e = env::decode(w);
    if (!e)
      return;
    ++accepted;
    auto again = env::encode(*e);
    REQUIRE(again);
    CHECK(*again == w);
  };
  for (std::size_t n = 0; n <= golden_bytes.size(); ++n)
    probe(bytes(golden_bytes.begin(), golden_bytes.begin() + n));
  for (std::size_t i = 0; i < golden_bytes.size(); ++i) {
    for (std::uint8_t v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      auto w = golden_bytes;
      w[i] = static_cast<std::uint8_t>(w[i] ^ v);
      probe(w);
      auto inserted = golden_bytes;
      inserted.insert(inserted.begin() + static_cast<std::ptrdiff_t>(i), v);
      probe(inserted);
    }
  }
  // Field-boundary truncations and value-byte changes do decode.
  CHECK(accepted > 100);
}
