#pragma once

// The CAN Swarm envelope: a signed message of one coordination thread. This
// header holds the plain struct, its bounds, the builder and the signature;
// codec.hpp holds the wire encoding, gate.hpp the policy gates.
//
// Signing encoding. The Ed25519 signature covers these bytes, built
// explicitly (never a protobuf serializer's output), in this order:
//
//   "canswarm-envelope-v1:"   21 ASCII bytes, domain separation
//   version                   4 bytes, big-endian
//   id                        uvarint length, then the bytes
//   thread_id                 uvarint length, then the UTF-8 bytes
//   kind                      4 bytes, big-endian (the wire enum number)
//   lamport                   8 bytes, big-endian
//   ts_ns                     8 bytes, big-endian
//   sender                    uvarint length, then the bytes
//   payload_hash              uvarint length, then the bytes
//   policy_engine_hash        uvarint length, then the bytes
//   nonce                     uvarint length, then the bytes
//   policy_capsule_hash       00 if absent; 01, uvarint length, bytes if set
//   policy_eval_digest        00 if absent; 01, uvarint length, bytes if set
//
// Lengths are multiformats uvarints. The payload itself is covered through
// `payload_hash` (SHA-256), so `verify` checks both the hash and the
// signature; the signature field is the only one not covered.
//
// Deviations from spec: none known (the source project describes the fields,
// not a byte encoding; this encoding and its prefix are ours).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/envelope/kind.hpp"
#include "canswarm/error.hpp"
#include "canswarm/identity/keys.hpp"

namespace canswarm::envelope {

/// The only envelope format version produced and accepted.
inline constexpr std::uint32_t current_version = 1;

/// Domain-separation prefix of the signing encoding.
inline constexpr std::string_view signing_prefix = "canswarm-envelope-v1:";

/// Envelope ids are 16 random bytes (128 bits: collisions negligible).
inline constexpr std::size_t id_size = 16;

/// `sender` is a raw Ed25519 public key.
inline constexpr std::size_t sender_size = 32;

/// `signature` is an Ed25519 signature.
inline constexpr std::size_t signature_size = 64;

/// `payload_hash` is a SHA-256 digest.
inline constexpr std::size_t payload_hash_size = 32;

/// Largest payload: the 1 MiB message cap of the CAN Swarm bus (also the
/// gossipsub default max message size).
inline constexpr std::size_t max_payload_size = std::size_t{1} << 20;

/// Longest thread id in bytes: keeps topics and NATS subjects short (an
/// escaped id can triple in length).
inline constexpr std::size_t max_thread_id_size = 256;

/// Longest nonce: 64 bytes bounds the replay table's memory per entry.
inline constexpr std::size_t max_nonce_size = 64;

/// Longest policy digest (policy_engine_hash, policy_capsule_hash,
/// policy_eval_digest): room for SHA-512 or a multihash of SHA-256.
inline constexpr std::size_t max_policy_digest_size = 64;

/// A CAN Swarm envelope. Empty byte fields mean "absent" (proto3); the gate
/// decides which fields are required.
struct envelope {
  /// Format version (`current_version`).
  std::uint32_t version = current_version;
  /// Unique id, `id_size` random bytes.
  bytes id;
  /// The coordination thread, UTF-8, 1..`max_thread_id_size` bytes.
  std::string thread_id;
  /// What the envelope does.
  canswarm::envelope::kind kind = canswarm::envelope::kind::unspecified;
  /// Sender's Lamport time for this send (>= 1).
  std::uint64_t lamport = 0;
  /// Sender's wall clock at creation, nanoseconds since the Unix epoch.
  std::uint64_t ts_ns = 0;
  /// Raw Ed25519 public key of the signer (`sender_size` bytes).
  bytes sender;
  /// Application payload, JSON by convention.
  bytes payload;
  /// SHA-256 of `payload`.
  bytes payload_hash;
  /// Hash of the policy engine that evaluated the envelope.
  bytes policy_engine_hash;
  /// Random bytes, 1..`max_nonce_size`.
  bytes nonce;
  /// Hash of the policy capsule applied, if any.
  std::optional<bytes> policy_capsule_hash;
  /// Digest of the policy evaluation, if any.
  std::optional<bytes> policy_eval_digest;
  /// Ed25519 signature over `signing_bytes(*this)`.
  bytes signature;

  friend bool operator==(const envelope&, const envelope&) = default;
};

/// Builds an unsigned envelope of the current version. The caller supplies
/// the randomness (`id`, `nonce`) and the time (`ts_ns`, Unix nanoseconds);
/// `lamport` is usually `lamport_clock::tick()`. Sets `payload_hash`; call
/// `sign` before publishing.
envelope make(kind k, std::string thread_id, bytes payload,
              std::uint64_t lamport, std::uint64_t ts_ns,
              bytes policy_engine_hash, bytes nonce, bytes id);

/// Returns the signing encoding of `e` (see the top of this file).
bytes signing_bytes(const envelope& e);

/// Fills `sender` with the key's public key, `payload_hash` with the
/// SHA-256 of the payload and `signature` over `signing_bytes`.
/// errc::unsupported unless `key` is Ed25519.
result<void> sign(envelope& e, const identity::private_key& key);

/// Returns whether `payload_hash` is the SHA-256 of `payload`.
bool payload_hash_matches(const envelope& e);

/// Checks the signature alone: errc::crypto naming the problem (sender not
/// a 32-byte Ed25519 key, signature not 64 bytes, does not verify).
result<void> verify_signature(const envelope& e);

/// Checks the payload hash, then the signature (errc::crypto on failure).
result<void> verify(const envelope& e);

/// Checks every field against its bound and form, as the codec does:
/// errc::too_large for a field over its maximum, errc::malformed for a
/// fixed-size field (id, sender, payload_hash, signature) of another
/// non-zero size or a thread id that is not UTF-8, errc::unsupported for a
/// kind number outside the enum. Absent (empty) fields pass.
result<void> check_fields(const envelope& e);

} // namespace canswarm::envelope
