#pragma once

// Wire format of multistream-select 1.0 (/multistream/1.0.0), per the
// multiformats multistream-select README and libp2p/specs connections/.
//
// Every message is one uvarint-length-prefixed line: the length counts the
// text and its trailing '\n'. The messages are the header
// "/multistream/1.0.0", a protocol id (proposal or its echo), "na" (not
// available) and "ls" (list request).
//
// The answer to "ls" is ONE frame whose body is the concatenation of one
// length-prefixed line per protocol followed by a final '\n':
//   <len(body)> ( <len(p)+1> p '\n' )* '\n'
// The README's prose sketch differs (it mentions a protocol count); we follow
// what go-multistream (Ls -> delimWrite of the nested lines) and rust-libp2p
// (Message::Protocols) put on the wire, since those are the peers we meet.
//
// Deviations from spec: the spec sets no size limits; we refuse lines over
// 1024 bytes (including the newline) and ls answers over 16 KiB.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "canswarm/bytes.hpp"
#include "canswarm/error.hpp"

namespace canswarm::multistream {

/// The multistream-select 1.0 header (its own protocol id).
inline constexpr std::string_view protocol_id = "/multistream/1.0.0";

/// The listener's answer to an unsupported proposal.
inline constexpr std::string_view not_available = "na";

/// A request for the listener's protocol list.
inline constexpr std::string_view list_request = "ls";

/// Longest message body (text plus '\n') we accept or send: protocol ids are
/// short paths (tens of bytes), so 1 KiB is far above any id in use.
inline constexpr std::size_t max_line_size = 1024;

/// Longest protocol id: a line minus its newline.
inline constexpr std::size_t max_protocol_size = max_line_size - 1;

/// Largest ls answer body: rust-libp2p caps this frame with a 2-byte length
/// prefix (16383 bytes); our own listener must fit its list into it.
inline constexpr std::size_t max_ls_response_size = 16383;

/// Most protocols in an ls answer (rust-libp2p's MAX_PROTOCOLS is 1000).
inline constexpr std::size_t max_ls_protocols = 1000;

/// Checks that `protocol` can be proposed or supported: non-empty, at most
/// max_protocol_size bytes, no '\n', and not one of the reserved messages
/// "na" and "ls".
result<void> check_protocol(std::string_view protocol);

/// Renders remote text for an error message: at most 64 bytes, non-printable
/// bytes as \xNN, so a peer cannot inject control characters into logs.
std::string printable(std::string_view text);

/// Appends one message: uvarint(len + 1), `text`, '\n'.
void write_line(std::string_view text, bytes& out);

/// Returns one encoded message.
bytes encode_line(std::string_view text);

/// One message taken from the front of a buffer.
struct parsed_line {
  std::string text; ///< Without the trailing newline.
  std::size_t size = 0; ///< Bytes consumed (prefix + body).
};

/// Takes one message from the front of `in`. Returns an empty optional when
/// more bytes are needed. A length prefix above max_line_size is refused as
/// soon as it is readable (errc::too_large); an empty body or a body without
/// trailing '\n' is errc::malformed.
result<std::optional<parsed_line>> read_line(bytes_view in);

/// Appends the answer to "ls" for `protocols` (see the format above).
void write_ls_response(const std::vector<std::string>& protocols, bytes& out);

/// Parses the body of an ls answer frame (the caller takes the frame with
/// varint::read_frame(in, max_ls_response_size)). Errors name the entry
/// that was malformed or the bound that was exceeded.
result<std::vector<std::string>> parse_ls_response(bytes_view body);

} // namespace canswarm::multistream
