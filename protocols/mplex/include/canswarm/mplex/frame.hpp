#pragma once

// mplex frames (libp2p specs mplex/README.md, "Message format"):
//
//   | uvarint (stream id << 3 | flag) | uvarint length | length bytes |
//
// Deviations from spec: none. The spec's "up to 1MiB per message" is
// enforced on every frame we receive (`max_message_size`).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::mplex {

/// The multistream-select protocol id.
inline constexpr std::string_view protocol_id = "/mplex/6.7.0";

/// Largest frame body (spec: "up to 1MiB per message"; go-mplex's
/// MaxMessageSize). A larger length fails the session from the header.
inline constexpr std::size_t max_message_size = 1024 * 1024;

/// Largest stream id: a 9-byte uvarint holds 63 bits, 3 are the flag.
inline constexpr std::uint64_t max_stream_number = (std::uint64_t{1} << 60) - 1;

/// Longest header: two 9-byte uvarints.
inline constexpr std::size_t max_header_size = 18;

/// Frame flags. "Initiator" frames are sent by the side that opened the
/// stream, "Receiver" frames by the other side.
enum class flag : std::uint8_t {
  new_stream = 0,
  message_receiver = 1,
  message_initiator = 2,
  close_receiver = 3,
  close_initiator = 4,
  reset_receiver = 5,
  reset_initiator = 6,
};

/// Returns the spec name ("NewStream", "MessageReceiver", ...).
const char* to_string(flag f);

/// What a frame does, regardless of who sends it.
enum class frame_kind { open, message, close, reset };

/// Returns the kind of `f`.
frame_kind kind_of(flag f);

/// Returns whether `f` is sent by the stream's initiator (NewStream,
/// MessageInitiator, CloseInitiator, ResetInitiator).
bool from_initiator(flag f);

/// Returns the flag for a frame of `kind` sent by the initiator or not.
flag flag_for(frame_kind kind, bool initiator);

/// A frame header.
struct header {
  std::uint64_t stream = 0; ///< At most `max_stream_number`.
  flag tag = flag::new_stream;
  std::uint64_t length = 0;

  friend bool operator==(const header&, const header&) = default;
};

/// Appends the encoded header (not the body) to `out`.
void encode_header(const header& h, bytes& out);

/// Appends a whole frame: header for `body.size()`, then `body`.
void encode_frame(std::uint64_t stream, flag tag, bytes_view body, bytes& out);

/// Outcome of `decode_header`.
struct decoded_header {
  enum class status { ok, incomplete, failed } st = status::incomplete;
  header value;
  std::size_t size = 0; ///< Header bytes consumed when ok.
  error err; ///< Why, when failed.
};

/// Decodes a header from the front of `in` (streaming: incomplete until
/// both varints are there). Fails with errc::protocol for an unknown flag
/// (7), errc::too_large for a length over `max_message_size` (as soon as
/// the length varint is readable) and errc::malformed for a bad varint.
decoded_header decode_header(bytes_view in);

} // namespace canswarm::mplex
