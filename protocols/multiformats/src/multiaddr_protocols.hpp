#pragma once

// The multiaddr protocol table and the per-protocol value codecs (text <->
// binary). Internal to canswarm_multiformats.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::multiaddr_detail {

/// How a protocol's value is written.
enum class value_kind {
  none, ///< No value (quic, quic-v1, ws, wss, p2p-circuit).
  ip4, ///< 4 bytes.
  ip6, ///< 16 bytes.
  port, ///< 2 bytes, big endian.
  dns, ///< Varint length + name.
  p2p, ///< Varint length + multihash.
  path, ///< Varint length + path; consumes the rest of the text form.
};

/// One supported protocol.
struct protocol {
  std::uint64_t code;
  std::string_view name;
  value_kind kind;
};

/// Longest DNS name accepted (RFC 1035: 255 octets).
inline constexpr std::size_t max_dns_name = 255;

/// Returns the protocol named `name` ("ipfs" is an alias of "p2p"), or null.
const protocol* find_by_name(std::string_view name);

/// Returns the protocol with `code`, or null.
const protocol* find_by_code(std::uint64_t code);

/// Returns the fixed binary value size of `kind`, or 0 for no value, or
/// SIZE_MAX for length-prefixed values.
std::size_t fixed_size(value_kind kind);

/// Converts the text value of `p` to its binary value (without the length
/// prefix). For paths, `text` is the rest of the address after the name,
/// starting with '/'.
result<bytes> value_from_text(const protocol& p, std::string_view text);

/// Validates a binary value of `p` read from the wire.
result<void> check_value(const protocol& p, bytes_view value);

/// Renders a validated binary value of `p` as text.
std::string value_to_text(const protocol& p, bytes_view value);

} // namespace canswarm::multiaddr_detail
