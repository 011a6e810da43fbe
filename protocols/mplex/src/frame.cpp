// mplex frame header codec.

#include "canswarm/mplex/frame.hpp"

#include <fmt/format.h>

#include "canswarm/varint/varint.hpp"

namespace canswarm::mplex {

namespace {

/// The one 3-bit value the spec leaves undefined.
constexpr std::uint64_t unknown_flag = 7;

} // namespace

const char* to_string(flag f) {
  switch (f) {
    case flag::new_stream: return "NewStream";
    case flag::message_receiver: return "MessageReceiver";
    case flag::message_initiator: return "MessageInitiator";
    case flag::close_receiver: return "CloseReceiver";
    case flag::close_initiator: return "CloseInitiator";
    case flag::reset_receiver: return "ResetReceiver";
    case flag::reset_initiator: return "ResetInitiator";
  }
  return "unknown";
}

frame_kind kind_of(flag f) {
  switch (f) {
    case flag::new_stream: return frame_kind::open;
    case flag::message_receiver:
    case flag::message_initiator: return frame_kind::message;
    case flag::close_receiver:
    case flag::close_initiator: return frame_kind::close;
    case flag::reset_receiver:
    case flag::reset_initiator: break;
  }
  return frame_kind::reset;
}

bool from_initiator(flag f) {
  switch (f) {
    case flag::new_stream:
    case flag::message_initiator:
    case flag::close_initiator:
    case flag::reset_initiator: return true;
    default: return false;
  }
}

flag flag_for(frame_kind kind, bool initiator) {
  switch (kind) {
    case frame_kind::open: return flag::new_stream;
    case frame_kind::message:
      return initiator ? flag::message_initiator : flag::message_receiver;
    case frame_kind::close:
      return initiator ? flag::close_initiator : flag::close_receiver;
    case frame_kind::reset: break;
  }
  return initiator ? flag::reset_initiator : flag::reset_receiver;
}

void encode_header(const header& h, bytes& out) {
  varint::encode(h.stream << 3 | static_cast<std::uint64_t>(h.tag), out);
  varint::encode(h.length, out);
}

void encode_frame(std::uint64_t stream, flag tag, bytes_view body, bytes& out) {
  encode_header(header{stream, tag, body.size()}, out);
  append(out, body);
}

decoded_header decode_header(bytes_view in) {
  decoded_header result;
  auto fail = [&](errc code, std::string message) {
    result.st = decoded_header::status::failed;
    result.err = make_error(code, std::move(message));
    return result;
  };
  auto first = varint::decode(in);
  if (first.st == varint::status::incomplete)
    return result;
  if (first.st != varint::status::ok)
    return fail(errc::malformed,
                fmt::format("mplex frame header: {}", first.reason));
  auto stream = first.value >> 3;
  auto tag = first.value & 7;
  if (tag == unknown_flag)
    return fail(errc::protocol,
                fmt::format("mplex frame with unknown flag 7 (stream {})",
                            stream));
  auto second = varint::decode(in.subspan(first.size), max_message_size);
  if (second.st == varint::status::incomplete)
    return result;
  if (second.st == varint::status::too_large)
    return fail(errc::too_large,
                fmt::format("mplex {} frame of {} bytes for stream {}, over "
                            "the {}-byte message limit",
                            to_string(static_cast<flag>(tag)), second.value,
                            stream, max_message_size));
  if (second.st != varint::status::ok)
    return fail(errc::malformed,
                fmt::format("mplex frame length: {}", second.reason));
  result.st = decoded_header::status::ok;
  result.value = header{stream, static_cast<flag>(tag), second.value};
  result.size = first.size + second.size;
  return result;
}

} // namespace canswarm::mplex
