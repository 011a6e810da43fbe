#pragma once

// The golden envelope shared by the envelope tests. Its vectors were computed
// independently of this code base (Python `cryptography` for Ed25519 and
// SHA-256, `protoc --decode/--encode` against pb/envelope.proto for the
// wire bytes).

#include <cstdint>
#include <stdexcept>

#include "canswarm/bytes.hpp"
#include "canswarm/envelope/envelope.hpp"
#include "canswarm/identity/keys.hpp"

namespace golden {

/// RFC 8032 section 7.1 test 1 secret key (seed).
inline constexpr const char* seed_hex = "9d61b19deffd5a60ba844af492ec2cc44449c5"
                                        "697b326919703bac031cae7f60";

/// Its public key (RFC 8032 section 7.1 test 1).
inline constexpr const char* public_key_hex
  = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

/// 2023-11-14T22:13:20Z in Unix nanoseconds (the golden ts_ns).
inline constexpr std::uint64_t ts_ns = 1'700'000'000'000'000'000;

/// SHA-256 of the golden payload {"task":"t1"}.
inline constexpr const char* payload_hash_hex
  = "9bf07361571eb80bdd9b1ee0d8bdf60cc7eda6d0ce7c731ac229fe2b9bb523f0";

/// Ed25519 signature of the golden signing bytes by the golden key.
inline constexpr const char* signature_hex
  = "58ea760e302a74b16cc73e821e9e12c2e859de4f346cae1f9b301d9ac936e78a"
    "909c5a8b544eef7f80078f29a7818dce59b3745b60a0a2a67edfac1b306f3a0b";

/// The golden Ed25519 key.
inline canswarm::identity::private_key key() {
  return canswarm::identity::private_key::ed25519_from_seed(
           canswarm::hex(seed_hex))
    .value();
}

/// The golden envelope before signing.
inline canswarm::envelope::envelope unsigned_envelope() {
  auto e = canswarm::envelope::make(canswarm::envelope::kind::claim,
                                    "thread-42",
                                    canswarm::to_bytes(R"({"task":"t1"})"), 7,
                                    ts_ns, canswarm::hex("cafef00d"),
                                    canswarm::hex(
                                      "0f0e0d0c0b0a09080706050403020100"),
                                    canswarm::hex(
                                      "00112233445566778899aabbccddeeff"));
  e.policy_capsule_hash = canswarm::hex("c0ffee");
  return e;
}

/// The golden envelope, signed by `key()`.
inline canswarm::envelope::envelope signed_envelope() {
  auto e = unsigned_envelope();
  if (!canswarm::envelope::sign(e, key()))
    throw std::logic_error("the golden key is Ed25519");
  return e;
}

/// The golden envelope written field by field, without the library.
inline canswarm::envelope::envelope literal_envelope() {
  canswarm::envelope::envelope e;
  e.version = 1;
  e.id = canswarm::hex("00112233445566778899aabbccddeeff");
  e.thread_id = "thread-42";
  e.kind = canswarm::envelope::kind::claim;
  e.lamport = 7;
  e.ts_ns = ts_ns;
  e.sender = canswarm::hex(public_key_hex);
  e.payload = canswarm::to_bytes(R"({"task":"t1"})");
  e.payload_hash = canswarm::hex(payload_hash_hex);
  e.policy_engine_hash = canswarm::hex("cafef00d");
  e.nonce = canswarm::hex("0f0e0d0c0b0a09080706050403020100");
  e.policy_capsule_hash = canswarm::hex("c0ffee");
  e.signature = canswarm::hex(signature_hex);
  return e;
}

} // namespace golden
