#include <doctest/doctest.h>

#include "canswarm/envelope/envelope.hpp"
#include "canswarm/envelope/kind.hpp"
#include "canswarm/multiformats/multihash.hpp"
#include "fixture.hpp"

using namespace canswarm;
namespace env = canswarm::envelope;

namespace {

// The signing encoding of the golden envelope; each line one field.
const char* golden_signing_bytes =
  // "canswarm-envelope-v1:"
  "63616e737761726d2d656e76656c6f70652d76313a"
  // version 1, u32 big-endian
  "00000001"
  // id: length 16, bytes
  "10 00112233445566778899aabbccddeeff"
  // thread_id: length 9, "thread-42"
  "09 7468726561642d3432"
  // kind CLAIM = 3, u32 big-endian
  "00000003"
  // lamport 7, u64 big-endian
  "0000000000000007"
  // ts_ns 1700000000000000000, u64 big-endian
  "17979cfe362a0000"
  // sender: length 32, RFC 8032 test 1 public key
  "20 d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
  // payload_hash: length 32, SHA-256 of {"task":"t1"}
  "20 9bf07361571eb80bdd9b1ee0d8bdf60cc7eda6d0ce7c731ac229fe2b9bb523f0"
  // policy_engine_hash: length 4
  "04 cafef00d"
  // nonce: length 16
  "10 0f0e0d0c0b0a09080706050403020100"
  // policy_capsule_hash: present, length 3
  "01 03 c0ffee"
  // policy_eval_digest: absent
  "00";

} // namespace

TEST_CASE("the signing encoding of the golden envelope matches its vector") {
  auto e = golden::signed_envelope();
  CHECK(to_hex(env::signing_bytes(e)) == to_hex(hex(golden_signing_bytes)));
  CHECK(env::signing_bytes(e).size() == 166);
  // The same bytes from the field-by-field literal: the encoding is a
  // function of the fields alone.
  CHECK(env::signing_bytes(golden::literal_envelope())
        == hex(golden_signing_bytes));
}

TEST_CASE("signing fills sender, payload hash and the golden signature") {
  auto e = golden::unsigned_envelope();
  e.sender.clear();
  e.payload_hash.clear();
  REQUIRE(env::sign(e, golden::key()));
  CHECK(to_hex(e.sender) == golden::public_key_hex);
  CHECK(to_hex(e.payload_hash) == golden::payload_hash_hex);
  // Ed25519 is deterministic, so the signature is a golden vector too.
  CHECK(to_hex(e.signature) == golden::signature_hex);
  CHECK(e == golden::literal_envelope());
  CHECK(env::verify(e));
}

TEST_CASE("make builds an unsigned envelope of the current version") {
  auto e = golden::unsigned_envelope();
  CHECK(e.version == env::current_version);
  CHECK(e.kind == env::kind::claim);
  CHECK(e.lamport == 7);
  CHECK(e.ts_ns == golden::ts_ns);
  CHECK(to_hex(e.payload_hash) == golden::payload_hash_hex);
  CHECK(e.sender.empty());
  CHECK(e.signature.empty());
  auto unsigned_check = env::verify_signature(e);
  REQUIRE_FALSE(unsigned_check);
  CHECK(unsigned_check.error().code == errc::crypto);
}

TEST_CASE("a fresh key signs envelopes that verify under its own key only") {
  auto key = identity::private_key::generate_ed25519();
  auto e = golden::unsigned_envelope();
  REQUIRE(env::sign(e, key));
  CHECK(e.sender == key.public_key().data());
  CHECK(env::verify(e));
  auto forged = e;
  forged.sender = hex(golden::public_key_hex);
  auto r = env::verify(forged);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("does not verify") != std::string::npos);
}

TEST_CASE("changing any covered field breaks the signature") {
  auto e = golden::signed_envelope();
  std::vector<std::pair<const char*, void (*)(env::envelope&)>> edits = {
    {"version", [](env::envelope& x) { x.version = 2; }},
    {"id", [](env::envelope& x) { x.id[0] ^= 1; }},
    {"thread_id", [](env::envelope& x) { x.thread_id = "thread-43"; }},
    {"kind", [](env::envelope& x) { x.kind = env::kind::commit; }},
    {"lamport", [](env::envelope& x) { x.lamport = 8; }},
    {"ts_ns", [](env::envelope& x) { x.ts_ns += 1; }},
    {"policy_engine_hash",
     [](env::envelope& x) { x.policy_engine_hash.push_back(0); }},
    {"nonce", [](env::envelope& x) { x.nonce[15] ^= 0x80; }},
    {"policy_capsule_hash",
     [](env::envelope& x) { x.policy_capsule_hash.reset(); }},
    {"policy_eval_digest",
     [](env::envelope& x) { x.policy_eval_digest = bytes{}; }},
    {"signature", [](env::envelope& x) { x.signature[63] ^= 1; }},
  };
  for (auto& [name, edit] : edits) {
    CAPTURE(name);
    auto copy = e;
    edit(copy);
    CHECK(env::payload_hash_matches(copy));
    CHECK_FALSE(env::verify_signature(copy));
  }
}

TEST_CASE("absent and empty optional policy fields sign differently") {
  auto a = golden::unsigned_envelope();
  auto b = a;
  b.policy_eval_digest = bytes{};
  CHECK(env::signing_bytes(a) != env::signing_bytes(b));
  CHECK(env::signing_bytes(b).back() == 0x00); // present, length 0
  CHECK(env::signing_bytes(b)[env::signing_bytes(b).size() - 2] == 0x01);
}

TEST_CASE("a tampered payload fails the hash check, not the signature") {
  auto e = golden::signed_envelope();
  e.payload.back() = '!';
  CHECK_FALSE(env::payload_hash_matches(e));
  CHECK(env::verify_signature(e)); // the hash, not the payload, is signed
  auto r = env::verify(e);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("payload_hash") != std::string::npos);
}

TEST_CASE("only Ed25519 keys sign envelopes") {
  auto e = golden::unsigned_envelope();
  auto r = env::sign(e, identity::private_key::generate_secp256k1());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::unsupported);
  CHECK(e.signature.empty());
}

TEST_CASE("kind names print and parse in any letter case") {
  CHECK(env::all_kinds.size() == 15);
  for (auto k : env::all_kinds) {
    CAPTURE(env::to_string(k));
    CHECK(env::is_valid(k));
    CHECK(env::parse_kind(env::to_string(k)).value() == k);
    CHECK(env::parse_kind(env::verb(k)).value() == k);
  }
  CHECK(std::string{env::to_string(env::kind::update_plan)} == "UPDATE_PLAN");
  CHECK(env::verb(env::kind::attest_plan) == "attest_plan");
  CHECK(env::parse_kind("Update_Plan").value() == env::kind::update_plan);
  CHECK(env::parse_kind("cHeCkPoInT").value() == env::kind::checkpoint);
  CHECK(static_cast<int>(env::kind::need) == 1);
  CHECK(static_cast<int>(env::kind::checkpoint) == 15);
  for (auto bad : {"", "unspecified", "UNKNOWN", "needs", "update plan"}) {
    CAPTURE(bad);
    auto r = env::parse_kind(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_argument);
  }
  CHECK_FALSE(env::is_valid(env::kind::unspecified));
  CHECK_FALSE(env::is_valid(static_cast<env::kind>(16)));
  CHECK(std::string{env::to_string(static_cast<env::kind>(99))} == "UNKNOWN");
}
