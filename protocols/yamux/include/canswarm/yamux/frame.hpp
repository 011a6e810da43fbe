#pragma once

// Yamux frame header codec (hashicorp/yamux spec.md, "Framing"; libp2p
// /yamux/1.0.0). Every frame starts with a 12-byte big-endian header:
//
//   version (8) | type (8) | flags (16) | stream id (32) | length (32)
//
// `length` is the body size for DATA, the window delta for WINDOW_UPDATE,
// an opaque value for PING and the error code for GO_AWAY; only DATA frames
// carry a body.
//
// `decode_header` applies every check that needs no session state: version,
// type, known flag bits, stream id 0 exactly for PING / GO_AWAY, exactly one
// of SYN / ACK on a PING, never SYN together with ACK.
//
// Deviations from spec: the spec says PING and GO_AWAY "should" use stream
// 0 and leaves unknown flag bits undefined; we reject both as protocol
// errors, since no known implementation sends them.

#include <cstddef>
#include <cstdint>
#include <string>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::yamux {

/// The only version the spec defines.
inline constexpr std::uint8_t protocol_version = 0;

/// Size of the fixed frame header.
inline constexpr std::size_t header_size = 12;

/// Per-stream window both sides assume when a stream opens (spec: "Flow
/// Control", 256KB).
inline constexpr std::uint32_t initial_window = 256 * 1024;

/// The protocol id negotiated with multistream-select.
inline constexpr const char* protocol_id = "/yamux/1.0.0";

/// Frame type (spec: "Type Field").
enum class frame_type : std::uint8_t {
  data = 0x0, ///< Stream bytes; `length` is the body size.
  window_update = 0x1, ///< Receive-window credit; `length` is the delta.
  ping = 0x2, ///< RTT / keep-alive; `length` is echoed.
  go_away = 0x3, ///< Session end; `length` is the error code.
};

/// Returns "DATA", "WINDOW_UPDATE", "PING" or "GO_AWAY".
const char* to_string(frame_type type);

/// Flag bits (spec: "Flag Field").
inline constexpr std::uint16_t flag_syn = 0x1; ///< Opens a stream / ping.
inline constexpr std::uint16_t flag_ack = 0x2; ///< Accepts a stream / pong.
inline constexpr std::uint16_t flag_fin = 0x4; ///< Half-closes a stream.
inline constexpr std::uint16_t flag_rst = 0x8; ///< Resets a stream.

/// Every flag bit the spec defines.
inline constexpr std::uint16_t known_flags = flag_syn | flag_ack | flag_fin
                                             | flag_rst;

/// GO_AWAY error codes (spec: "Session termination").
enum class go_away_code : std::uint32_t {
  normal = 0x0,
  protocol_error = 0x1,
  internal_error = 0x2,
};

/// A decoded frame header.
struct header {
  std::uint8_t version = protocol_version;
  frame_type type = frame_type::data;
  std::uint16_t flags = 0;
  std::uint32_t stream = 0; ///< 0 addresses the session.
  std::uint32_t length = 0; ///< Meaning depends on `type`, see above.

  /// Returns whether all bits of `f` are set.
  bool has(std::uint16_t f) const {
    return (flags & f) == f;
  }

  bool operator==(const header&) const = default;
};

/// Writes the 12 header bytes to `out[0..12)`.
void encode_header(const header& h, std::uint8_t* out);

/// Appends the 12 header bytes to `out`.
void encode_header(const header& h, bytes& out);

/// Returns the 12 header bytes.
bytes encode_header(const header& h);

/// Decodes the header at the front of `in` (which must hold at least
/// `header_size` bytes, else errc::malformed). Rejects, with errc::protocol
/// and a message naming the field, an unsupported version, an unknown type,
/// unknown flag bits and the flag / stream-id combinations listed above.
result<header> decode_header(bytes_view in);

/// Renders a header for logs: "DATA flags=SYN|FIN stream=1 length=5".
std::string describe(const header& h);

} // namespace canswarm::yamux
