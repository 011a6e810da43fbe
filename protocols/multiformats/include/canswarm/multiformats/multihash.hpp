#pragma once

// Multihash: <varint hash code><varint digest length><digest>. Only the
// codes libp2p peer ids use are named here; parse accepts any code.
//
// Deviations from spec: digests are capped at `max_digest_size`.

#include <cstddef>
#include <cstdint>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::multihash {

/// The identity "hash": the digest is the data itself.
inline constexpr std::uint64_t identity = 0x00;

/// SHA2-256, 32-byte digest.
inline constexpr std::uint64_t sha2_256 = 0x12;

/// Largest digest accepted: a bound on what a remote peer can make us hold;
/// 128 bytes covers every hash function and identity-encoded small keys.
inline constexpr std::size_t max_digest_size = 128;

/// A parsed multihash; `digest` points into the parsed buffer.
struct view {
  std::uint64_t code = 0;
  bytes_view digest;
};

/// Parses `data`, which must be exactly one multihash (no trailing bytes).
result<view> parse(bytes_view data);

/// Builds the multihash bytes for `code` and `digest`.
bytes make(std::uint64_t code, bytes_view digest);

/// Returns the raw 32-byte SHA-256 of `data` (OpenSSL EVP).
bytes sha256(bytes_view data);

} // namespace canswarm::multihash
