#include "canswarm/yamux/frame.hpp"

#include <fmt/format.h>

namespace canswarm::yamux {

namespace {

void put_u16(std::uint8_t* out, std::uint16_t x) {
  out[0] = static_cast<std::uint8_t>(x >> 8);
  out[1] = static_cast<std::uint8_t>(x);
}

void put_u32(std::uint8_t* out, std::uint32_t x) {
  out[0] = static_cast<std::uint8_t>(x >> 24);
  out[1] = static_cast<std::uint8_t>(x >> 16);
  out[2] = static_cast<std::uint8_t>(x >> 8);
  out[3] = static_cast<std::uint8_t>(x);
}

std::uint16_t get_u16(const std::uint8_t* in) {
  return static_cast<std::uint16_t>((in[0] << 8) | in[1]);
}

std::uint32_t get_u32(const std::uint8_t* in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16)
         | (std::uint32_t{in[2]} << 8) | std::uint32_t{in[3]};
}

std::string flag_names(std::uint16_t flags) {
  static constexpr const char* names[] = {"SYN", "ACK", "FIN", "RST"};
  std::string out;
  for (int i = 0; i < 4; ++i) {
    if (flags & (1u << i)) {
      if (!out.empty())
        out += '|';
      out += names[i];
    }
  }
  if (auto unknown = flags & ~known_flags; unknown != 0)
    out += fmt::format("{}0x{:x}", out.empty() ? "" : "|", unknown);
  return out.empty() ? "0" : out;
}

error protocol_error(std::string msg) {
  return make_error(errc::protocol, std::move(msg));
}

} // namespace

const char* to_string(frame_type type) {
  switch (type) {
    case frame_type::data: return "DATA";
    case frame_type::window_update: return "WINDOW_UPDATE";
    case frame_type::ping: return "PING";
    case frame_type::go_away: return "GO_AWAY";
  }
  return "UNKNOWN";
}

void encode_header(const header& h, std::uint8_t* out) {
  out[0] = h.version;
  out[1] = static_cast<std::uint8_t>(h.type);
  put_u16(out + 2, h.flags);
  put_u32(out + 4, h.stream);
  put_u32(out + 8, h.length);
}

void encode_header(const header& h, bytes& out) {
  auto pos = out.size();
  out.resize(pos + header_size);
  encode_header(h, out.data() + pos);
}

bytes encode_header(const header& h) {
  bytes out;
  encode_header(h, out);
  return out;
}

result<header> decode_header(bytes_view in) {
  if (in.size() < header_size)
    return make_error(errc::malformed,
                      fmt::format("yamux header needs {} bytes, got {}",
                                  header_size, in.size()));
  const auto* p = in.data();
  if (p[0] != protocol_version)
    return protocol_error(
      fmt::format("unsupported yamux version {}", unsigned{p[0]}));
  if (p[1] > static_cast<std::uint8_t>(frame_type::go_away))
    return protocol_error(
      fmt::format("unknown yamux frame type 0x{:02x}", unsigned{p[1]}));
  header h;
  h.version = p[0];
  h.type = static_cast<frame_type>(p[1]);
  h.flags = get_u16(p + 2);
  h.stream = get_u32(p + 4);
  h.length = get_u32(p + 8);
  if ((h.flags & ~known_flags) != 0)
    return protocol_error(fmt::format("unknown flags 0x{:x} on {} frame",
                                      h.flags & ~known_flags,
                                      to_string(h.type)));
  switch (h.type) {
    case frame_type::ping:
      if (h.stream != 0)
        return protocol_error(
          fmt::format("PING on stream {} instead of 0", h.stream));
      if (h.has(flag_syn) == h.has(flag_ack))
        return protocol_error(
          fmt::format("PING needs exactly one of SYN and ACK, has {}",
                      flag_names(h.flags)));
      break;
    case frame_type::go_away:
      if (h.stream != 0)
        return protocol_error(
          fmt::format("GO_AWAY on stream {} instead of 0", h.stream));
      if (h.has(flag_syn | flag_ack))
        return protocol_error("GO_AWAY frame has both SYN and ACK");
      break;
    case frame_type::data:
    case frame_type::window_update:
      if (h.stream == 0)
        return protocol_error(
          fmt::format("{} frame on session stream 0", to_string(h.type)));
      if (h.has(flag_syn | flag_ack))
        return protocol_error(
          fmt::format("{} frame on stream {} has both SYN and ACK",
                      to_string(h.type), h.stream));
      break;
  }
  return h;
}

std::string describe(const header& h) {
  return fmt::format("{} flags={} stream={} length={}", to_string(h.type),
                     flag_names(h.flags), h.stream, h.length);
}

} // namespace canswarm::yamux
