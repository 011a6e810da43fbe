#pragma once

// Policy gates ("All envelopes are verified": the GateEnforcer of the P2P
// deployment guide). One actor owns a `gate_enforcer` and runs
//
//   - `preflight_validate` on each envelope it is about to publish, and
//   - `ingress_validate` (or `decode_and_validate` on raw bytes) on every
//     envelope received, from any transport, before anything acts on it.
//
// Rules, checked in this order (the first failure is the reason):
//
//   1. fields within their bounds and forms (`check_fields`)  malformed,
//                                              unknown_kind, too_large
//   2. version == current_version                      unsupported_version
//   3. kind, thread_id, sender, id, nonce, payload_hash and signature
//      present                                         missing_field
//   4. kind in `gate_config::allowed_kinds`            disallowed_kind
//   5. payload <= `gate_config::max_payload_bytes`     too_large
//   6. lamport > 0                                     zero_lamport
//   7. policy_engine_hash present, if required         missing_policy_hash
//   8. ts_ns <= now + max_clock_skew                   timestamp_in_future
//      ts_ns >= now - max_clock_skew                   timestamp_too_old
//   9. payload_hash == SHA-256(payload)                payload_hash_mismatch
//  10. Ed25519 signature by sender verifies            bad_signature
//  11. (ingress only) id and nonce not seen within
//      `replay_window`                                 replay
//
// Cheap checks run before the signature; ids and nonces are recorded only
// for envelopes that passed every other rule, so forged envelopes cannot
// fill the replay tables. Preflight skips rule 11 and records nothing: our
// own envelopes are recorded when (and if) a transport echoes them back,
// and a second copy of one envelope (e.g. over both gossipsub and NATS in
// hybrid mode) is then rejected as `replay`, i.e. de-duplicated.
//
// With the defaults (window 10 min = 2 x skew 5 min) every replay is caught
// by rule 8 or rule 11, as long as the tables are not full (see
// `replay_evictions`).
//
// The gate does not log and is not thread-safe (one actor owns it). Times
// are Unix nanoseconds passed in by the caller.
//
// Deviations from spec: the guide's `GateEnforcer.ingress_validate(envelope)`
// reads the clock itself; here `now` is a parameter. The guide names no
// reason codes; `reject_reason` is ours.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "canswarm/bytes.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/envelope/replay_cache.hpp"
#include "canswarm/error.hpp"

namespace canswarm::envelope {

/// Why an envelope was refused (`none` when it was allowed).
enum class reject_reason : std::uint8_t {
  none, ///< Allowed.
  malformed, ///< Wire bytes did not decode, or a field's form.
  unsupported_version, ///< version != current_version.
  unknown_kind, ///< Kind number outside the enum.
  missing_field, ///< A required field is absent.
  disallowed_kind, ///< Kind not in config::allowed_kinds.
  too_large, ///< Payload or another field over its bound.
  zero_lamport, ///< lamport is 0.
  timestamp_in_future, ///< ts_ns more than max_clock_skew ahead of now.
  timestamp_too_old, ///< ts_ns more than max_clock_skew behind now.
  missing_policy_hash, ///< policy_engine_hash required but absent.
  payload_hash_mismatch, ///< payload_hash is not SHA-256(payload).
  bad_signature, ///< The Ed25519 signature does not verify.
  replay, ///< id or nonce seen within the replay window.
};

/// Number of `reject_reason` values (size of the per-reason counters).
inline constexpr std::size_t reject_reason_count = 14;

/// Returns the reason's snake_case name ("replay", "bad_signature", ...).
const char* to_string(reject_reason r);

/// The gate's verdict.
struct decision {
  /// Whether the envelope may be published / acted on.
  bool allowed = true;
  /// Why not (`none` when allowed).
  reject_reason code = reject_reason::none;
  /// Human-readable detail for the log line (empty when allowed).
  std::string reason;
};

/// Default replay window: twice the default skew, so a replay is always
/// caught by the window or by the timestamp check.
inline constexpr std::chrono::nanoseconds default_replay_window = std::chrono::
  minutes{10};

/// Default bound of each replay table (ids, nonces): about 100 envelopes a
/// second for the default window; at most ~15 MB with 64-byte nonces.
inline constexpr std::size_t default_max_replay_entries = 100'000;

/// Default tolerated clock difference, into the future and the past.
inline constexpr std::chrono::nanoseconds default_max_clock_skew = std::chrono::
  minutes{5};

/// Returns a set of every valid kind (the default allowed set).
std::set<kind> every_kind();

/// Gate settings.
struct gate_config {
  /// Kinds accepted; others are `disallowed_kind`.
  std::set<kind> allowed_kinds = every_kind();
  /// Largest payload accepted; at most `max_payload_size`.
  std::size_t max_payload_bytes = max_payload_size;
  /// How long ids and nonces are remembered.
  std::chrono::nanoseconds replay_window = default_replay_window;
  /// Most entries in each replay table; the oldest are evicted beyond.
  std::size_t max_replay_entries = default_max_replay_entries;
  /// Largest accepted |ts_ns - now|.
  std::chrono::nanoseconds max_clock_skew = default_max_clock_skew;
  /// Whether envelopes must carry a policy_engine_hash.
  bool require_policy_engine_hash = false;

  /// Checks the settings: errc::invalid_argument naming the field (empty or
  /// invalid allowed kinds, payload bound 0 or over `max_payload_size`,
  /// window or skew not positive, no replay entries).
  result<void> validate() const;
};

/// Counters of the gate's verdicts.
struct gate_stats {
  /// Envelopes that passed `ingress_validate`.
  std::uint64_t accepted = 0;
  /// Ingress rejections, indexed by reject_reason.
  std::array<std::uint64_t, reject_reason_count> rejected{};
  /// Preflight rejections (our own envelopes), indexed by reject_reason.
  std::array<std::uint64_t, reject_reason_count> preflight_rejected{};

  /// Returns the ingress rejections for `r`.
  std::uint64_t rejections(reject_reason r) const {
    return rejected[static_cast<std::size_t>(r)];
  }

  /// Returns all ingress rejections.
  std::uint64_t total_rejected() const;
};

/// Result of `decode_and_validate`.
struct ingress_result {
  /// The verdict; decode errors are `malformed`, `unknown_kind` or
  /// `too_large`.
  decision verdict;
  /// The decoded envelope, set only when `verdict.allowed`.
  std::optional<envelope> env;
};

/// Validates envelopes against the rules above and remembers ids and
/// nonces for replay protection.
class gate_enforcer {
public:
  /// The settings type.
  using config = gate_config;

  /// Throws std::invalid_argument if `cfg.validate()` fails.
  explicit gate_enforcer(gate_config cfg = {});

  /// Checks one of our own envelopes before publishing: rules 1-10, nothing
  /// recorded. Rejections count in `stats().preflight_rejected`.
  decision preflight_validate(const envelope& e, std::uint64_t now_unix_ns);

  /// Checks a received envelope: rules 1-11; if allowed, records its id and
  /// nonce. Rejections count in `stats().rejected`.
  decision ingress_validate(const envelope& e, std::uint64_t now_unix_ns);

  /// Records one of our own envelopes that passed `preflight_validate`
  /// (rule 11 only: a replay of an id or nonce is refused), so its echo is
  /// a replay. Saves the second signature verification ingress_validate
  /// would make.
  decision record_own(const envelope& e, std::uint64_t now_unix_ns);

  /// Decodes `wire` (codec.hpp) and runs `ingress_validate`. A decode error
  /// is counted and returned as `unknown_kind` (errc::unsupported),
  /// `too_large` (errc::too_large) or `malformed` (anything else), with the
  /// decoder's message.
  ingress_result decode_and_validate(bytes_view wire,
                                     std::uint64_t now_unix_ns);

  /// Returns the verdict counters.
  const gate_stats& stats() const {
    return stats_;
  }

  /// Returns the settings.
  const gate_config& settings() const {
    return cfg_;
  }

  /// Returns the number of remembered ids (<= max_replay_entries).
  std::size_t remembered_ids() const {
    return ids_.size();
  }

  /// Returns the number of remembered nonces (<= max_replay_entries).
  std::size_t remembered_nonces() const {
    return nonces_.size();
  }

  /// Returns how many ids and nonces were evicted before their window
  /// passed; non-zero means the tables are too small for the traffic.
  std::uint64_t replay_evictions() const {
    return ids_.evictions() + nonces_.evictions();
  }

private:
  decision check(const envelope& e, std::uint64_t now_unix_ns) const;
  decision check_replay(const envelope& e, std::uint64_t now_unix_ns);
  decision count(decision d);

  gate_config cfg_;
  replay_cache ids_;
  replay_cache nonces_;
  gate_stats stats_;
};

} // namespace canswarm::envelope
