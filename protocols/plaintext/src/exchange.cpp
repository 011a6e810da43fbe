// Hand-coded protobuf of the plaintext Exchange message.

#include "canswarm/plaintext/exchange.hpp"

#include <fmt/format.h>

#include "canswarm/varint/varint.hpp"

namespace canswarm::plaintext {

namespace {

// Protobuf wire types.
constexpr std::uint64_t wire_varint = 0;
constexpr std::uint64_t wire_fixed64 = 1;
constexpr std::uint64_t wire_length_delimited = 2;
constexpr std::uint64_t wire_fixed32 = 5;

constexpr std::uint64_t field_id = 1;
constexpr std::uint64_t field_pubkey = 2;

error malformed(std::string reason) {
  return make_error(errc::malformed, "Exchange protobuf: " + reason);
}

/// Skips the value of an unknown field; returns the bytes it took.
result<std::size_t> skip_value(bytes_view in, std::uint64_t field,
                               std::uint64_t wire) {
  switch (wire) {
    case wire_varint: {
      auto v = varint::read(in);
      if (!v)
        return malformed(
          fmt::format("bad varint in field {}: {}", field, v.error().message));
      return v->second;
    }
    case wire_fixed64:
    case wire_fixed32: {
      std::size_t n = wire == wire_fixed64 ? 8 : 4;
      if (in.size() < n)
        return malformed(fmt::format("field {} truncated", field));
      return n;
    }
    case wire_length_delimited: {
      auto frame = varint::read_frame(in, in.size());
      if (frame.st != varint::status::ok)
        return malformed(fmt::format("field {} truncated", field));
      return frame.size;
    }
    default:
      return malformed(
        fmt::format("field {} has unsupported wire type {}", field, wire));
  }
}

} // namespace

bytes encode_exchange(const exchange& msg) {
  auto key = msg.key.to_protobuf();
  const auto& id = msg.id.to_bytes();
  bytes out;
  out.reserve(id.size() + key.size() + 8);
  varint::encode(field_id << 3 | wire_length_delimited, out);
  varint::write_frame(id, out);
  varint::encode(field_pubkey << 3 | wire_length_delimited, out);
  varint::write_frame(key, out);
  return out;
}

bytes encode_exchange(const identity::public_key& key) {
  return encode_exchange(exchange{peer_id::from_public_key(key), key});
}

result<exchange> decode_exchange(bytes_view body) {
  if (body.size() > max_exchange_size)
    return make_error(errc::too_large,
                      fmt::format("Exchange protobuf is {} bytes, over the "
                                  "{}-byte limit",
                                  body.size(), max_exchange_size));
  std::optional<bytes_view> id_bytes;
  std::optional<bytes_view> key_bytes;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto tag = varint::read(body.subspan(pos));
    if (!tag)
      return malformed(fmt::format("bad field tag at offset {}: {}", pos,
                                   tag.error().message));
    pos += tag->second;
    auto field = tag->first >> 3;
    auto wire = tag->first & 7;
    if (field != field_id && field != field_pubkey) {
      auto skipped = skip_value(body.subspan(pos), field, wire);
      if (!skipped)
        return skipped.error();
      pos += *skipped;
      continue;
    }
    const char* name = field == field_id ? "1 (id)" : "2 (pubkey)";
    if (wire != wire_length_delimited)
      return malformed(
        fmt::format("field {} has wire type {}, expected 2", name, wire));
    auto frame = varint::read_frame(body.subspan(pos), body.size());
    if (frame.st != varint::status::ok)
      return malformed(fmt::format("field {} truncated", name));
    auto& slot = field == field_id ? id_bytes : key_bytes;
    if (slot)
      return malformed(fmt::format("duplicate field {}", name));
    slot = frame.body;
    pos += frame.size;
  }
  if (!id_bytes)
    return malformed("missing field 1 (id)");
  if (!key_bytes)
    return malformed("missing field 2 (pubkey)");
  auto id = peer_id::from_bytes(*id_bytes);
  if (!id)
    return make_error(id.error().code,
                      fmt::format("Exchange id: {}", id.error().message));
  auto key = identity::public_key::from_protobuf(*key_bytes);
  if (!key)
    return make_error(key.error().code,
                      fmt::format("Exchange pubkey: {}", key.error().message));
  return exchange{std::move(*id), std::move(*key)};
}

} // namespace canswarm::plaintext
