// Hand-coded libp2p key protobuf (peer-ids spec, "Keys").

#include "key_codec.hpp"

#include <fmt/format.h>

#include "canswarm/varint/varint.hpp"

namespace canswarm::identity::detail {

namespace {

// Protobuf wire types and the two field tags.
constexpr std::uint64_t wire_varint = 0;
constexpr std::uint64_t wire_length_delimited = 2;
constexpr std::uint64_t field_type = 1;
constexpr std::uint64_t field_data = 2;

/// Highest KeyType enum value (ECDSA).
constexpr std::uint64_t max_key_type = 3;

} // namespace

bytes encode_key_message(key_type type, bytes_view data) {
  bytes out;
  out.reserve(4 + varint::encoded_size(data.size()) + data.size());
  varint::encode(field_type << 3 | wire_varint, out);
  varint::encode(static_cast<std::uint64_t>(type), out);
  varint::encode(field_data << 3 | wire_length_delimited, out);
  varint::write_frame(data, out);
  return out;
}

result<key_message> decode_key_message(bytes_view in, std::string_view what,
                                       std::size_t max_size) {
  auto fail = [&](std::string reason) {
    return make_error(errc::malformed,
                      fmt::format("{} protobuf: {}", what, reason));
  };
  if (in.size() > max_size)
    return make_error(errc::too_large,
                      fmt::format("{} protobuf is {} bytes, over the {}-byte "
                                  "limit",
                                  what, in.size(), max_size));
  key_message msg;
  bool have_type = false;
  bool have_data = false;
  std::size_t pos = 0;
  while (pos < in.size()) {
    auto tag = varint::read(in.subspan(pos));
    if (!tag)
      return fail(fmt::format("bad field tag at offset {}: {}", pos,
                              tag.error().message));
    auto field = tag->first >> 3;
    auto wire = tag->first & 7;
    pos += tag->second;
    if (field == field_type) {
      if (wire != wire_varint)
        return fail(
          fmt::format("field 1 (Type) has wire type {}, expected 0", wire));
      if (have_type)
        return fail("duplicate field 1 (Type)");
      auto value = varint::read(in.subspan(pos));
      if (!value)
        return fail(fmt::format("bad Type value: {}", value.error().message));
      if (value->first > max_key_type)
        return fail(fmt::format("unknown key type {}", value->first));
      msg.type = static_cast<key_type>(value->first);
      have_type = true;
      pos += value->second;
    } else if (field == field_data) {
      if (wire != wire_length_delimited)
        return fail(
          fmt::format("field 2 (Data) has wire type {}, expected 2", wire));
      if (have_data)
        return fail("duplicate field 2 (Data)");
      auto frame = varint::read_frame(in.subspan(pos), in.size());
      if (frame.st != varint::status::ok)
        return fail(frame.st == varint::status::incomplete
                      ? std::string{"Data truncated"}
                      : fmt::format("bad Data length: {}", frame.reason));
      msg.data.assign(frame.body.begin(), frame.body.end());
      have_data = true;
      pos += frame.size;
    } else {
      return fail(fmt::format("unknown field {} (wire type {})", field, wire));
    }
  }
  if (!have_type)
    return fail("missing field 1 (Type)");
  if (!have_data)
    return fail("missing field 2 (Data)");
  return msg;
}

} // namespace canswarm::identity::detail
