#pragma once

// Unsigned varint of the multiformats project (LEB128, minimal encoding, at
// most 9 bytes so values fit 63 bits) and the uvarint-length-prefixed frames
// that multistream-select, identify and the daemon control protocol use.
//
// Deviations from spec: none.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::varint {

/// The multiformats spec caps varints at 9 bytes (63 bits of value).
inline constexpr std::size_t max_bytes = 9;

/// Largest value a 9-byte varint holds.
inline constexpr std::uint64_t max_value = (std::uint64_t{1} << 63) - 1;

/// Appends the varint encoding of `value` (must be <= max_value) to `out`.
void encode(std::uint64_t value, bytes& out);

/// Returns the varint encoding of `value`.
bytes encode(std::uint64_t value);

/// Returns the number of bytes `encode` produces for `value`.
std::size_t encoded_size(std::uint64_t value);

/// Outcome of decoding from a possibly incomplete buffer.
enum class status {
  ok, ///< A value was decoded.
  incomplete, ///< More bytes are needed.
  malformed, ///< Longer than 9 bytes or not minimally encoded.
  too_large, ///< The value exceeds the caller's bound.
};

/// Result of `decode`.
struct decoded {
  status st = status::incomplete;
  std::uint64_t value = 0; ///< Also set for too_large, for the message.
  std::size_t size = 0; ///< Bytes consumed when `st == ok`.
  std::string reason; ///< Why decoding failed, for malformed / too_large.
};

/// Decodes one varint from the front of `in`.
decoded decode(bytes_view in, std::uint64_t bound = max_value);

/// Decodes one varint from a complete buffer: the value and the bytes used.
result<std::pair<std::uint64_t, std::size_t>>
read(bytes_view in, std::uint64_t bound = max_value);

/// Appends one frame: the varint length of `body`, then `body`.
void write_frame(bytes_view body, bytes& out);

/// Result of `read_frame`.
struct frame {
  status st = status::incomplete;
  bytes_view body; ///< Points into the input when `st == ok`.
  std::size_t size = 0; ///< Bytes consumed (prefix + body) when `st == ok`.
  std::string reason;
};

/// Takes one length-prefixed frame from the front of `in`. A length above
/// `max_len` is `too_large` as soon as the prefix is readable, before any
/// body arrives, so callers never buffer an oversize frame.
frame read_frame(bytes_view in, std::size_t max_len);

} // namespace canswarm::varint
