#include "canswarm/envelope/gate.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "canswarm/envelope/codec.hpp"

namespace canswarm::envelope {

namespace {

decision reject(reject_reason code, std::string reason) {
  return decision{false, code, std::move(reason)};
}

std::string seconds(std::chrono::nanoseconds d) {
  return fmt::format("{:.3f} s", std::chrono::duration<double>(d).count());
}

gate_config validated(gate_config cfg) {
  if (auto ok = cfg.validate(); !ok)
    throw std::invalid_argument("envelope gate: " + ok.error().message);
  return cfg;
}

/// Maps a codec error class to the gate's reason.
reject_reason reason_for(errc code) {
  switch (code) {
    case errc::unsupported: return reject_reason::unknown_kind;
    case errc::too_large: return reject_reason::too_large;
    default: return reject_reason::malformed;
  }
}

/// Rules 1 and 2: what the codec would refuse, and the version.
decision check_form(const envelope& e) {
  if (auto ok = check_fields(e); !ok)
    return reject(reason_for(ok.error().code), ok.error().message);
  if (e.version != current_version)
    return reject(reject_reason::unsupported_version,
                  fmt::format("envelope version {}, only {} is supported",
                              e.version, current_version));
  return {};
}

/// Rule 3: the fields every envelope must carry.
decision check_present(const envelope& e) {
  const char* missing = nullptr;
  if (e.kind == kind::unspecified)
    missing = "kind";
  else if (e.thread_id.empty())
    missing = "thread_id";
  else if (e.sender.empty())
    missing = "sender";
  else if (e.id.empty())
    missing = "id";
  else if (e.nonce.empty())
    missing = "nonce";
  else if (e.payload_hash.empty())
    missing = "payload_hash";
  else if (e.signature.empty())
    missing = "signature";
  if (missing)
    return reject(reject_reason::missing_field,
                  fmt::format("required field {} is missing", missing));
  return {};
}

/// Rule 8. Compares without overflow: ts_ns and now are both unsigned.
decision check_skew(std::uint64_t ts_ns, std::uint64_t now,
                    std::chrono::nanoseconds max_skew) {
  auto skew = static_cast<std::uint64_t>(max_skew.count());
  if (ts_ns > now && ts_ns - now > skew)
    return reject(reject_reason::timestamp_in_future,
                  fmt::format("timestamp is {} ahead of now (max skew {})",
                              seconds(std::chrono::nanoseconds(ts_ns - now)),
                              seconds(max_skew)));
  if (now > ts_ns && now - ts_ns > skew)
    return reject(reject_reason::timestamp_too_old,
                  fmt::format("timestamp is {} behind now (max skew {})",
                              seconds(std::chrono::nanoseconds(now - ts_ns)),
                              seconds(max_skew)));
  return {};
}

} // namespace

const char* to_string(reject_reason r) {
  switch (r) {
    case reject_reason::none: return "none";
    case reject_reason::malformed: return "malformed";
    case reject_reason::unsupported_version: return "unsupported_version";
    case reject_reason::unknown_kind: return "unknown_kind";
    case reject_reason::missing_field: return "missing_field";
    case reject_reason::disallowed_kind: return "disallowed_kind";
    case reject_reason::too_large: return "too_large";
    case reject_reason::zero_lamport: return "zero_lamport";
    case reject_reason::timestamp_in_future: return "timestamp_in_future";
    case reject_reason::timestamp_too_old: return "timestamp_too_old";
    case reject_reason::missing_policy_hash: return "missing_policy_hash";
    case reject_reason::payload_hash_mismatch: return "payload_hash_mismatch";
    case reject_reason::bad_signature: return "bad_signature";
    case reject_reason::replay: return "replay";
  }
  return "unknown";
}

std::set<kind> every_kind() {
  return {all_kinds.begin(), all_kinds.end()};
}

result<void> gate_config::validate() const {
  auto bad = [](std::string message) {
    return make_error(errc::invalid_argument, std::move(message));
  };
  if (allowed_kinds.empty())
    return bad("allowed_kinds is empty: every envelope would be refused");
  for (auto k : allowed_kinds)
    if (!is_valid(k))
      return bad(fmt::format("allowed_kinds holds invalid kind {}",
                             static_cast<std::uint32_t>(k)));
  if (max_payload_bytes == 0 || max_payload_bytes > max_payload_size)
    return bad(fmt::format("max_payload_bytes {} is not in 1..{}",
                           max_payload_bytes, max_payload_size));
  if (replay_window.count() <= 0)
    return bad("replay_window must be positive");
  if (max_replay_entries == 0)
    return bad("max_replay_entries must be at least 1");
  if (max_clock_skew.count() <= 0)
    return bad("max_clock_skew must be positive");
  return {};
}

std::uint64_t gate_stats::total_rejected() const {
  std::uint64_t sum = 0;
  for (auto n : rejected)
    sum += n;
  return sum;
}

gate_enforcer::gate_enforcer(gate_config cfg)
    : cfg_(validated(std::move(cfg))),
      ids_(cfg_.replay_window, cfg_.max_replay_entries),
      nonces_(cfg_.replay_window, cfg_.max_replay_entries) {}

decision gate_enforcer::check(const envelope& e, std::uint64_t now) const {
  if (auto d = check_form(e); !d.allowed)
    return d;
  if (auto d = check_present(e); !d.allowed)
    return d;
  if (!cfg_.allowed_kinds.contains(e.kind))
    return reject(reject_reason::disallowed_kind,
                  fmt::format("kind {} is not allowed", to_string(e.kind)));
  if (e.payload.size() > cfg_.max_payload_bytes)
    return reject(reject_reason::too_large,
                  fmt::format("payload is {} bytes, over {} "
                              "(max_payload_bytes)",
                              e.payload.size(), cfg_.max_payload_bytes));
  if (e.lamport == 0)
    return reject(reject_reason::zero_lamport, "lamport is 0");
  if (cfg_.require_policy_engine_hash && e.policy_engine_hash.empty())
    return reject(reject_reason::missing_policy_hash,
                  "policy_engine_hash is required but missing");
  if (auto d = check_skew(e.ts_ns, now, cfg_.max_clock_skew); !d.allowed)
    return d;
  if (!payload_hash_matches(e))
    return reject(reject_reason::payload_hash_mismatch,
                  "payload_hash is not the SHA-256 of the payload");
  if (auto ok = verify_signature(e); !ok)
    return reject(reject_reason::bad_signature, ok.error().message);
  return {};
}

decision gate_enforcer::check_replay(const envelope& e, std::uint64_t now) {
  ids_.expire(now);
  nonces_.expire(now);
  if (ids_.contains(e.id))
    return reject(reject_reason::replay,
                  fmt::format("id {} seen within the last {}", to_hex(e.id),
                              seconds(cfg_.replay_window)));
  if (nonces_.contains(e.nonce))
    return reject(reject_reason::replay,
                  fmt::format("nonce {} seen within the last {}",
                              to_hex(e.nonce), seconds(cfg_.replay_window)));
  ids_.insert(e.id, now);
  nonces_.insert(e.nonce, now);
  return {};
}

decision gate_enforcer::count(decision d) {
  if (d.allowed)
    ++stats_.accepted;
  else
    ++stats_.rejected[static_cast<std::size_t>(d.code)];
  return d;
}

decision gate_enforcer::preflight_validate(const envelope& e,
                                           std::uint64_t now_unix_ns) {
  auto d = check(e, now_unix_ns);
  if (!d.allowed)
    ++stats_.preflight_rejected[static_cast<std::size_t>(d.code)];
  return d;
}

decision gate_enforcer::ingress_validate(const envelope& e,
                                         std::uint64_t now_unix_ns) {
  // A copy of an envelope accepted before (the same envelope over the other
  // transport, or re-sent on failover) is refused before the signature is
  // verified: the id lookup is cheap, a verification is not. Only accepted
  // envelopes are remembered, so a forger cannot make a valid envelope a
  // replay in advance.
  ids_.expire(now_unix_ns);
  if (ids_.contains(e.id))
    return count(check_replay(e, now_unix_ns));
  if (auto d = check(e, now_unix_ns); !d.allowed)
    return count(std::move(d));
  return count(check_replay(e, now_unix_ns));
}

decision gate_enforcer::record_own(const envelope& e,
                                   std::uint64_t now_unix_ns) {
  return count(check_replay(e, now_unix_ns));
}

ingress_result gate_enforcer::decode_and_validate(bytes_view wire,
                                                  std::uint64_t now_unix_ns) {
  auto e = decode(wire);
  if (!e)
    return {count(reject(reason_for(e.error().code), e.error().message)),
            std::nullopt};
  auto d = ingress_validate(*e, now_unix_ns);
  if (!d.allowed)
    return {std::move(d), std::nullopt};
  return {std::move(d), std::move(*e)};
}

} // namespace canswarm::envelope
