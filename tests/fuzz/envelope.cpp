// Fuzz target: the CAN Swarm envelope wire codec and the ingress gate
// (protocols/envelope, decode / encode / gate_enforcer).
//
// Input: byte 0 selects the mode:
//   0  the rest is one envelope (decode);
//   1  the gate: byte 1 picks the replay table size (1..8 entries), the
//      payload bound, the policy-hash rule and the allowed kinds (every
//      other kind when bit 0x20 is set), then a list of (2-byte clock offset in
//      seconds, signed around envelope_seed_time; 2-byte length; envelope
//      bytes) runs through decode_and_validate in order.
// Properties:
//  - the codec is canonical: decode(w) succeeding implies encode gives w
//    back, and the fields pass check_fields;
//  - the gate allows only envelopes that decode, verify and are fresh; an
//    allowed envelope is refused as a replay when it comes again at once;
//    the counters add up; the replay tables stay within their bound;
//  - preflight_validate (the rules without the replay check) agrees with
//    the ingress verdict: allowed when it allowed, and the same reason when
//    it refused for anything but a replay; record_own refuses an accepted
//    envelope as a replay; every verdict has a name.

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>

#include "canswarm/envelope/codec.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/envelope/gate.hpp"
#include "envelope_fixture.hpp"
#include "fuzz_support.hpp"

using namespace canswarm;
using namespace canswarm::envelope;

namespace {

void check_codec(bytes_view wire) {
  auto e = decode(wire);
  if (!e)
    return;
  FUZZ_CHECK(check_fields(*e).ok());
  auto again = encode(*e);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == fuzz::copy(wire));
}

std::uint64_t total(const gate_stats& s) {
  return s.accepted + s.total_rejected();
}

void check_gate(fuzz::input& in) {
  auto selector = in.byte();
  gate_config cfg;
  cfg.max_replay_entries = 1 + selector % 8;
  if ((selector & 0x80) != 0)
    cfg.max_payload_bytes = 64;
  if ((selector & 0x40) != 0)
    cfg.require_policy_engine_hash = true;
  if ((selector & 0x20) != 0) {
    std::set<kind> some;
    bool keep = true;
    for (auto k : every_kind()) {
      if (keep)
        some.insert(k);
      keep = !keep;
    }
    cfg.allowed_kinds = std::move(some);
  }
  gate_enforcer gate{cfg};
  std::uint64_t calls = 0;
  while (!in.empty()) {
    auto offset = static_cast<std::int16_t>(in.u16());
    auto now = fuzz::envelope_seed_time
               + static_cast<std::uint64_t>(std::chrono::nanoseconds{
                 std::chrono::seconds{offset}}.count());
    auto wire = in.take_long();
    auto decoded = decode(wire);
    std::optional<decision> pre;
    if (decoded)
      pre = gate.preflight_validate(*decoded, now);
    auto result = gate.decode_and_validate(wire, now);
    ++calls;
    FUZZ_CHECK(std::string_view{to_string(result.verdict.code)} != "unknown");
    if (pre && result.verdict.allowed)
      FUZZ_CHECK(pre->allowed);
    if (pre && !pre->allowed && result.verdict.code != reject_reason::replay)
      FUZZ_CHECK(result.verdict.code == pre->code);
    FUZZ_CHECK(result.verdict.allowed == result.env.has_value());
    FUZZ_CHECK(result.verdict.allowed
               == (result.verdict.code == reject_reason::none));
    if (result.verdict.allowed) {
      FUZZ_CHECK(decoded.ok() && *decoded == *result.env);
      FUZZ_CHECK(verify(*result.env).ok());
      auto again = gate.decode_and_validate(wire, now);
      ++calls;
      FUZZ_CHECK(!again.verdict.allowed);
      FUZZ_CHECK(again.verdict.code == reject_reason::replay);
      auto own = gate.record_own(*result.env, now);
      ++calls;
      FUZZ_CHECK(!own.allowed && own.code == reject_reason::replay);
    } else {
      FUZZ_CHECK(!result.verdict.reason.empty());
    }
    FUZZ_CHECK(gate.remembered_ids() <= cfg.max_replay_entries);
    FUZZ_CHECK(gate.remembered_nonces() <= cfg.max_replay_entries);
  }
  FUZZ_CHECK(total(gate.stats()) == calls);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::input in(data, size);
  if (in.byte() % 2 == 0)
    check_codec(in.rest());
  else
    check_gate(in);
  return 0;
}
