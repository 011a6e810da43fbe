#include <doctest/doctest.h>

#include <set>
#include <stdexcept>

#include "canswarm/envelope/codec.hpp"
#include "canswarm/envelope/gate.hpp"
#include "fixture.hpp"

using namespace canswarm;
namespace env = canswarm::envelope;
using std::chrono::minutes;
using std::chrono::nanoseconds;

namespace {

/// The receiver's clock in these tests: the golden envelope's own time.
constexpr std::uint64_t now = golden::ts_ns;

constexpr std::uint64_t ns(nanoseconds d) {
  return static_cast<std::uint64_t>(d.count());
}

/// Signs `e` with the golden key.
env::envelope resigned(env::envelope e) {
  REQUIRE(env::sign(e, golden::key()));
  return e;
}

/// A valid envelope with id and nonce derived from `seq`.
env::envelope numbered(std::uint32_t seq) {
  auto e = golden::unsigned_envelope();
  for (int i = 0; i < 4; ++i) {
    e.id[12 + i] = static_cast<std::uint8_t>(seq >> (8 * (3 - i)));
    e.nonce[i] = static_cast<std::uint8_t>(seq >> (8 * (3 - i)));
  }
  return resigned(e);
}

/// Expects a rejection with `code` whose text contains `text`.
void expect_reject(const env::decision& d, env::reject_reason code,
                   std::string_view text) {
  CHECK_FALSE(d.allowed);
  CHECK(std::string{env::to_string(d.code)}
        == std::string{env::to_string(code)});
  CHECK_MESSAGE(d.reason.find(text) != std::string::npos, d.reason);
}

} // namespace

TEST_CASE("a signed envelope passes preflight and ingress") {
  env::gate_enforcer gate;
  auto e = golden::signed_envelope();
  auto pre = gate.preflight_validate(e, now);
  CHECK(pre.allowed);
  CHECK(pre.code == env::reject_reason::none);
  CHECK(pre.reason.empty());
  CHECK(gate.ingress_validate(e, now).allowed);
  CHECK(gate.stats().accepted == 1);
  CHECK(gate.stats().total_rejected() == 0);
  CHECK(gate.remembered_ids() == 1);
  CHECK(gate.remembered_nonces() == 1);
}

TEST_CASE("tampering is caught by the hash or the signature") {
  env::gate_enforcer gate;
  auto payload = golden::signed_envelope();
  payload.payload.back() = ']';
  expect_reject(gate.ingress_validate(payload, now),
                env::reject_reason::payload_hash_mismatch, "SHA-256");
  auto signature = golden::signed_envelope();
  signature.signature[0] ^= 0x01;
  expect_reject(gate.ingress_validate(signature, now),
                env::reject_reason::bad_signature, "does not verify");
  auto thread = golden::signed_envelope();
  thread.thread_id = "thread-43";
  expect_reject(gate.ingress_validate(thread, now),
                env::reject_reason::bad_signature, "does not verify");
  auto sender = golden::signed_envelope();
  sender.sender = identity::private_key::generate_ed25519().public_key().data();
  expect_reject(gate.ingress_validate(sender, now),
                env::reject_reason::bad_signature, "does not verify");
  CHECK(gate.stats().rejections(env::reject_reason::bad_signature) == 3);
  CHECK(gate.stats().rejections(env::reject_reason::payload_hash_mismatch)
        == 1);
  CHECK(gate.stats().accepted == 0);
}

TEST_CASE("a second copy of an id or a nonce is a replay") {
  env::gate_enforcer gate;
  auto e = golden::signed_envelope();
  CHECK(gate.ingress_validate(e, now).allowed);
  expect_reject(gate.ingress_validate(e, now + 1), env::reject_reason::replay,
                "id 00112233445566778899aabbccddeeff seen within the last "
                "600.000 s");
  auto same_nonce = e;
  same_nonce.id[0] = 0x99;
  expect_reject(gate.ingress_validate(resigned(same_nonce), now),
                env::reject_reason::replay,
                "nonce 0f0e0d0c0b0a09080706050403020100 seen");
  auto same_id = e;
  same_id.nonce[0] = 0x99;
  expect_reject(gate.ingress_validate(resigned(same_id), now),
                env::reject_reason::replay, "id 0011");
  CHECK(gate.stats().rejections(env::reject_reason::replay) == 3);
  CHECK(gate.stats().accepted == 1);
}

TEST_CASE("a replay after the window has passed is accepted again") {
  env::gate_config cfg;
  cfg.replay_window = minutes{10};
  cfg.max_clock_skew = minutes{60}; // so only the window decides
  env::gate_enforcer gate{cfg};
  auto e = golden::signed_envelope();
  CHECK(gate.ingress_validate(e, now).allowed);
  expect_reject(gate.ingress_validate(e, now + ns(minutes{10})),
                env::reject_reason::replay, "seen");
  CHECK(gate.ingress_validate(e, now + ns(minutes{10}) + 1).allowed);
  CHECK(gate.stats().accepted == 2);
}

TEST_CASE("rejected envelopes are not remembered") {
  env::gate_enforcer gate;
  auto forged = golden::signed_envelope();
  forged.signature[10] ^= 0xff;
  CHECK_FALSE(gate.ingress_validate(forged, now).allowed);
  CHECK(gate.remembered_ids() == 0);
  // The genuine envelope with that id and nonce still gets through.
  CHECK(gate.ingress_validate(golden::signed_envelope(), now).allowed);
}

TEST_CASE("timestamps must be within the clock skew both ways") {
  env::gate_enforcer gate;
  auto skew = ns(env::default_max_clock_skew);
  expect_reject(gate.ingress_validate(numbered(1), now - skew - 1),
                env::reject_reason::timestamp_in_future,
                "timestamp is 300.000 s ahead of now (max skew 300.000 s)");
  expect_reject(gate.ingress_validate(numbered(2), now + skew + 1),
                env::reject_reason::timestamp_too_old,
                "timestamp is 300.000 s behind now");
  CHECK(gate.ingress_validate(numbered(3), now - skew).allowed);
  CHECK(gate.ingress_validate(numbered(4), now + skew).allowed);
  auto far = golden::unsigned_envelope();
  far.ts_ns = ~std::uint64_t{0};
  expect_reject(gate.ingress_validate(resigned(far), now),
                env::reject_reason::timestamp_in_future, "ahead");
  env::gate_config tight;
  tight.max_clock_skew = std::chrono::seconds{1};
  env::gate_enforcer strict{tight};
  expect_reject(strict.ingress_validate(numbered(5), now + ns(minutes{1})),
                env::reject_reason::timestamp_too_old, "max skew 1.000 s");
}

TEST_CASE("payloads over the configured bound are too large") {
  env::gate_enforcer gate;
  auto big = golden::unsigned_envelope();
  big.payload = bytes(env::max_payload_size + 1, 'x');
  expect_reject(gate.ingress_validate(resigned(big), now),
                env::reject_reason::too_large,
                "payload is 1048577 bytes, over 1048576");
  auto exact = numbered(7);
  exact.payload = bytes(env::max_payload_size, 'x');
  CHECK(gate.ingress_validate(resigned(exact), now).allowed);

  env::gate_config cfg;
  cfg.max_payload_bytes = 12;
  env::gate_enforcer small{cfg};
  // The golden payload {"task":"t1"} is 13 bytes.
  expect_reject(small.ingress_validate(golden::signed_envelope(), now),
                env::reject_reason::too_large,
                "payload is 13 bytes, over 12 (max_payload_bytes)");
  CHECK(small.stats().rejections(env::reject_reason::too_large) == 1);
}

TEST_CASE("unknown kinds are refused on the wire and in a struct") {
  env::gate_enforcer gate;
  auto wire = env::encode(golden::signed_envelope()).value();
  auto at = to_hex(wire).find("2003") / 2; // field 4 kind = CLAIM
  wire[at + 1] = 0x63;
  auto r = gate.decode_and_validate(wire, now);
  expect_reject(r.verdict, env::reject_reason::unknown_kind,
                "unknown envelope kind 99");
  CHECK_FALSE(r.env);
  auto e = golden::signed_envelope();
  e.kind = static_cast<env::kind>(99);
  expect_reject(gate.ingress_validate(e, now), env::reject_reason::unknown_kind,
                "unknown envelope kind 99");
  CHECK(gate.stats().rejections(env::reject_reason::unknown_kind) == 2);
}

TEST_CASE("every required field must be present") {
  env::gate_enforcer gate;
  std::vector<std::pair<const char*, void (*)(env::envelope&)>> removals = {
    {"kind", [](env::envelope& e) { e.kind = env::kind::unspecified; }},
    {"thread_id", [](env::envelope& e) { e.thread_id.clear(); }},
    {"id", [](env::envelope& e) { e.id.clear(); }},
    {"nonce", [](env::envelope& e) { e.nonce.clear(); }},
  };
  for (auto& [name, remove] : removals) {
    CAPTURE(name);
    auto e = golden::unsigned_envelope();
    remove(e);
    expect_reject(gate.ingress_validate(resigned(e), now),
                  env::reject_reason::missing_field,
                  std::string{"required field "} + name + " is missing");
  }
  auto no_sender = golden::signed_envelope();
  no_sender.sender.clear();
  expect_reject(gate.ingress_validate(no_sender, now),
                env::reject_reason::missing_field, "field sender is missing");
  auto no_signature = golden::signed_envelope();
  no_signature.signature.clear();
  expect_reject(gate.ingress_validate(no_signature, now),
                env::reject_reason::missing_field, "signature is missing");
  auto no_hash = golden::signed_envelope();
  no_hash.payload_hash.clear();
  expect_reject(gate.ingress_validate(no_hash, now),
                env::reject_reason::missing_field, "payload_hash is missing");
  CHECK(gate.stats().rejections(env::reject_reason::missing_field) == 7);
}

TEST_CASE("lamport 0, other versions and wrong field sizes are refused") {
  env::gate_enforcer gate;
  auto zero = golden::unsigned_envelope();
  zero.lamport = 0;
  expect_reject(gate.ingress_validate(resigned(zero), now),
                env::reject_reason::zero_lamport, "lamport is 0");
  auto v2 = golden::unsigned_envelope();
  v2.version = 2;
  expect_reject(gate.ingress_validate(resigned(v2), now),
                env::reject_reason::unsupported_version,
                "envelope version 2, only 1 is supported");
  auto short_id = golden::signed_envelope();
  short_id.id.pop_back();
  expect_reject(gate.ingress_validate(short_id, now),
                env::reject_reason::malformed, "id is 15 bytes, not 16");
}

TEST_CASE("kinds outside the allowed set are refused") {
  env::gate_config cfg;
  cfg.allowed_kinds = {env::kind::need, env::kind::propose};
  env::gate_enforcer gate{cfg};
  expect_reject(gate.ingress_validate(golden::signed_envelope(), now),
                env::reject_reason::disallowed_kind,
                "kind CLAIM is not allowed");
  auto need = golden::unsigned_envelope();
  need.kind = env::kind::need;
  CHECK(gate.ingress_validate(resigned(need), now).allowed);
}

TEST_CASE("a policy engine hash is required only when configured") {
  auto e = golden::unsigned_envelope();
  e.policy_engine_hash.clear();
  e = resigned(e);
  env::gate_enforcer lenient;
  CHECK(lenient.ingress_validate(e, now).allowed);
  env::gate_config cfg;
  cfg.require_policy_engine_hash = true;
  env::gate_enforcer strict{cfg};
  expect_reject(strict.ingress_validate(e, now),
                env::reject_reason::missing_policy_hash,
                "policy_engine_hash is required");
  CHECK(strict.ingress_validate(golden::signed_envelope(), now).allowed);
}

TEST_CASE("preflight checks our own envelopes without recording them") {
  env::gate_enforcer gate;
  auto e = golden::signed_envelope();
  CHECK(gate.preflight_validate(e, now).allowed);
  CHECK(gate.preflight_validate(e, now).allowed);
  CHECK(gate.remembered_ids() == 0);
  // The first copy back from a transport is accepted, the second (e.g. the
  // same envelope over the other transport) is a replay.
  CHECK(gate.ingress_validate(e, now).allowed);
  CHECK_FALSE(gate.ingress_validate(e, now).allowed);
  auto unsigned_envelope = golden::unsigned_envelope();
  expect_reject(gate.preflight_validate(unsigned_envelope, now),
                env::reject_reason::missing_field, "sender");
  CHECK(gate.stats().preflight_rejected[static_cast<std::size_t>(
          env::reject_reason::missing_field)]
        == 1);
  CHECK(gate.stats().rejections(env::reject_reason::missing_field) == 0);
  CHECK(gate.stats().rejections(env::reject_reason::replay) == 1);
}

TEST_CASE("decode_and_validate maps decode errors and returns the envelope") {
  env::gate_enforcer gate;
  auto wire = env::encode(golden::signed_envelope()).value();
  auto ok = gate.decode_and_validate(wire, now);
  CHECK(ok.verdict.allowed);
  REQUIRE(ok.env);
  CHECK(*ok.env == golden::signed_envelope());

  auto again = gate.decode_and_validate(wire, now);
  expect_reject(again.verdict, env::reject_reason::replay, "seen");
  CHECK_FALSE(again.env);

  auto cut = wire;
  cut.resize(cut.size() - 5);
  auto bad = gate.decode_and_validate(cut, now);
  expect_reject(bad.verdict, env::reject_reason::malformed, "truncated");
  CHECK_FALSE(bad.env);
  bytes huge(env::max_wire_size + 1, 0);
  expect_reject(gate.decode_and_validate(huge, now).verdict,
                env::reject_reason::too_large, "max_wire_size");
  CHECK(gate.stats().rejections(env::reject_reason::malformed) == 1);
  CHECK(gate.stats().rejections(env::reject_reason::too_large) == 1);
  CHECK(gate.stats().total_rejected() == 3);
  CHECK(gate.stats().accepted == 1);
}

TEST_CASE("the replay tables stay within their bound, oldest out first") {
  env::gate_config cfg;
  cfg.max_replay_entries = 8;
  env::gate_enforcer gate{cfg};
  std::vector<env::envelope> sent;
  for (std::uint32_t i = 0; i < 20; ++i) {
    sent.push_back(numbered(100 + i));
    CHECK(gate.ingress_validate(sent.back(), now).allowed);
    CHECK(gate.remembered_ids() <= 8);
    CHECK(gate.remembered_nonces() <= 8);
  }
  CHECK(gate.remembered_ids() == 8);
  CHECK(gate.replay_evictions() == 2 * 12);
  // The newest are still caught; the evicted oldest would slip through,
  // which is what replay_evictions() warns about.
  CHECK_FALSE(gate.ingress_validate(sent.back(), now).allowed);
  CHECK(gate.ingress_validate(sent.front(), now).allowed);
}

TEST_CASE("the gate configuration is validated") {
  env::gate_config cfg;
  CHECK(cfg.validate());
  CHECK(cfg.allowed_kinds.size() == 15);
  CHECK(cfg.max_payload_bytes == env::max_payload_size);
  CHECK(cfg.replay_window == minutes{10});
  CHECK(cfg.max_clock_skew == minutes{5});
  CHECK(cfg.max_replay_entries == 100'000);
  CHECK_FALSE(cfg.require_policy_engine_hash);
  auto bad = cfg;
  bad.allowed_kinds.clear();
  CHECK(bad.validate().error().message.find("allowed_kinds")
        != std::string::npos);
  bad = cfg;
  bad.allowed_kinds.insert(env::kind::unspecified);
  CHECK_FALSE(bad.validate());
  bad = cfg;
  bad.max_payload_bytes = env::max_payload_size + 1;
  CHECK(bad.validate().error().message.find("max_payload_bytes")
        != std::string::npos);
  bad = cfg;
  bad.max_replay_entries = 0;
  CHECK_FALSE(bad.validate());
  bad = cfg;
  bad.replay_window = nanoseconds{0};
  CHECK_FALSE(bad.validate());
  bad = cfg;
  bad.max_clock_skew = nanoseconds{-1};
  CHECK_FALSE(bad.validate());
  CHECK_THROWS_AS(env::gate_enforcer{bad}, std::invalid_argument);
}

TEST_CASE("every reject reason has its own name") {
  std::set<std::string> names;
  for (std::size_t i = 0; i < env::reject_reason_count; ++i)
    names.insert(env::to_string(static_cast<env::reject_reason>(i)));
  CHECK(names.size() == env::reject_reason_count);
  CHECK_FALSE(names.contains("unknown"));
  CHECK(std::string{env::to_string(env::reject_reason::replay)} == "replay");
  CHECK(std::string{env::to_string(env::reject_reason::none)} == "none");
}

TEST_CASE("a copy of an accepted envelope is a replay before any other "
          "rule; our own envelopes are recorded without a second check") {
  env::gate_enforcer gate;
  auto e = numbered(1);
  REQUIRE(gate.ingress_validate(e, now).allowed);
  // A tampered copy with the same id: refused as a replay (no verify).
  auto copy = e;
  copy.signature[0] ^= 0x01;
  expect_reject(gate.ingress_validate(copy, now + 1),
                env::reject_reason::replay, "seen");
  // A tampered envelope with a fresh id is still a bad signature.
  auto forged = numbered(2);
  forged.signature[0] ^= 0x01;
  expect_reject(gate.ingress_validate(forged, now + 2),
                env::reject_reason::bad_signature, "does not verify");
  // record_own: the preflighted envelope is remembered, once.
  auto own = numbered(3);
  REQUIRE(gate.preflight_validate(own, now).allowed);
  CHECK(gate.record_own(own, now).allowed);
  expect_reject(gate.record_own(own, now + 1), env::reject_reason::replay,
                "seen");
  expect_reject(gate.ingress_validate(own, now + 2), env::reject_reason::replay,
                "seen");
}
