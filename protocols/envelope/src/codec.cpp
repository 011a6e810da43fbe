#include "canswarm/envelope/codec.hpp"

#include <array>
#include <limits>

#include <fmt/format.h>

namespace canswarm::envelope {

namespace {

// Protobuf wire types used by the Envelope message.
constexpr std::uint32_t wire_varint = 0;
constexpr std::uint32_t wire_len = 2;

// Field numbers of pb/envelope.proto.
enum field : std::uint32_t {
  f_version = 1,
  f_id,
  f_thread_id,
  f_kind,
  f_lamport,
  f_ts_ns,
  f_sender,
  f_payload,
  f_payload_hash,
  f_policy_engine_hash,
  f_nonce,
  f_policy_capsule_hash,
  f_policy_eval_digest,
  f_signature,
  f_last = f_signature,
};

/// Per field: its name, its wire type, and for length-delimited fields the
/// largest length and whether that length is the only one allowed.
struct field_info {
  const char* name;
  std::uint32_t wire_type;
  std::size_t limit;
  bool exact;
  const char* limit_name;
};

constexpr std::array<field_info, f_last + 1> fields = {{
  {"(none)", wire_varint, 0, false, ""},
  {"version", wire_varint, 0, false, ""},
  {"id", wire_len, id_size, true, "id_size"},
  {"thread_id", wire_len, max_thread_id_size, false, "max_thread_id_size"},
  {"kind", wire_varint, 0, false, ""},
  {"lamport", wire_varint, 0, false, ""},
  {"ts_ns", wire_varint, 0, false, ""},
  {"sender", wire_len, sender_size, true, "sender_size"},
  {"payload", wire_len, max_payload_size, false, "max_payload_size"},
  {"payload_hash", wire_len, payload_hash_size, true, "payload_hash_size"},
  {"policy_engine_hash", wire_len, max_policy_digest_size, false,
   "max_policy_digest_size"},
  {"nonce", wire_len, max_nonce_size, false, "max_nonce_size"},
  {"policy_capsule_hash", wire_len, max_policy_digest_size, false,
   "max_policy_digest_size"},
  {"policy_eval_digest", wire_len, max_policy_digest_size, false,
   "max_policy_digest_size"},
  {"signature", wire_len, signature_size, true, "signature_size"},
}};

bool is_optional(std::uint32_t f) {
  return f == f_policy_capsule_hash || f == f_policy_eval_digest;
}

// -- writing ----------------------------------------------------------------

/// Protobuf varint: up to 10 bytes, 64-bit values.
void put_varint(bytes& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

void put_tag(bytes& out, std::uint32_t f, std::uint32_t wire_type) {
  put_varint(out, (std::uint64_t{f} << 3) | wire_type);
}

void put_uint(bytes& out, std::uint32_t f, std::uint64_t value) {
  if (value == 0)
    return;
  put_tag(out, f, wire_varint);
  put_varint(out, value);
}

void put_bytes(bytes& out, std::uint32_t f, bytes_view value,
               bool present = false) {
  if (value.empty() && !present)
    return;
  put_tag(out, f, wire_len);
  put_varint(out, value.size());
  append(out, value);
}

// -- reading ----------------------------------------------------------------

struct reader {
  bytes_view in;
  std::size_t pos = 0;

  std::size_t remaining() const {
    return in.size() - pos;
  }

  /// Reads a minimal protobuf varint of at most 10 bytes / 64 bits.
  result<std::uint64_t> varint(std::string_view what) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 10; ++i) {
      if (pos == in.size())
        return make_error(errc::malformed,
                          fmt::format("truncated varint in {}", what));
      auto b = in[pos++];
      if (i == 9 && b > 0x01)
        return make_error(errc::malformed,
                          fmt::format("varint in {} exceeds 64 bits", what));
      value |= std::uint64_t{b & 0x7fu} << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0)
          return make_error(errc::malformed,
                            fmt::format("varint in {} is not minimally encoded",
                                        what));
        return value;
      }
    }
    return make_error(errc::malformed,
                      fmt::format("varint in {} is longer than 10 bytes",
                                  what));
  }
};

result<void> set_varint(envelope& e, std::uint32_t f, std::uint64_t value) {
  switch (f) {
    case f_version:
      if (value > std::numeric_limits<std::uint32_t>::max())
        return make_error(errc::malformed,
                          fmt::format("version {} exceeds 32 bits", value));
      e.version = static_cast<std::uint32_t>(value);
      return {};
    case f_kind:
      if (value > all_kinds.size())
        return make_error(errc::unsupported,
                          fmt::format("unknown envelope kind {}", value));
      e.kind = static_cast<kind>(value);
      return {};
    case f_lamport: e.lamport = value; return {};
    case f_ts_ns: e.ts_ns = value; return {};
  }
  return make_error(errc::malformed, "internal: not a varint field");
}

void set_bytes(envelope& e, std::uint32_t f, bytes_view value) {
  bytes v(value.begin(), value.end());
  switch (f) {
    case f_id: e.id = std::move(v); break;
    case f_thread_id: e.thread_id.assign(value.begin(), value.end()); break;
    case f_sender: e.sender = std::move(v); break;
    case f_payload: e.payload = std::move(v); break;
    case f_payload_hash: e.payload_hash = std::move(v); break;
    case f_policy_engine_hash: e.policy_engine_hash = std::move(v); break;
    case f_nonce: e.nonce = std::move(v); break;
    case f_policy_capsule_hash: e.policy_capsule_hash = std::move(v); break;
    case f_policy_eval_digest: e.policy_eval_digest = std::move(v); break;
    case f_signature: e.signature = std::move(v); break;
  }
}

/// Reads the value of length-delimited field `f`, checking its length
/// against the field's bound before copying anything.
result<void> read_len_field(reader& r, envelope& e, std::uint32_t f) {
  const auto& info = fields[f];
  auto len = r.varint(fmt::format("the length of {}", info.name));
  if (!len)
    return len.error();
  if (info.exact && *len != info.limit && *len != 0)
    return make_error(errc::malformed,
                      fmt::format("{} is {} bytes, not {}", info.name, *len,
                                  info.limit));
  if (*len > info.limit)
    return make_error(errc::too_large,
                      fmt::format("{} is {} bytes, over {} ({})", info.name,
                                  *len, info.limit, info.limit_name));
  if (*len > r.remaining())
    return make_error(errc::malformed,
                      fmt::format("{} is truncated: {} bytes announced, {} "
                                  "left",
                                  info.name, *len, r.remaining()));
  if (*len == 0 && !is_optional(f))
    return make_error(errc::malformed,
                      fmt::format("{} is present but empty (proto3 omits "
                                  "defaults)",
                                  info.name));
  set_bytes(e, f, r.in.subspan(r.pos, *len));
  r.pos += *len;
  return {};
}

result<void> read_field(reader& r, envelope& e, std::uint32_t& last) {
  auto tag = r.varint("a field tag");
  if (!tag)
    return tag.error();
  auto f64 = *tag >> 3;
  auto wire_type = static_cast<std::uint32_t>(*tag & 7);
  if (f64 == 0 || f64 > f_last)
    return make_error(errc::malformed,
                      fmt::format("unknown field {} at offset {}", f64, r.pos));
  auto f = static_cast<std::uint32_t>(f64);
  const auto& info = fields[f];
  if (f <= last)
    return make_error(errc::malformed,
                      fmt::format("field {} ({}) repeated or out of order", f,
                                  info.name));
  last = f;
  if (wire_type != info.wire_type)
    return make_error(errc::malformed,
                      fmt::format("field {} ({}) has wire type {}, not {}", f,
                                  info.name, wire_type, info.wire_type));
  if (wire_type == wire_len)
    return read_len_field(r, e, f);
  auto value = r.varint(info.name);
  if (!value)
    return value.error();
  if (*value == 0)
    return make_error(errc::malformed,
                      fmt::format("{} is present but 0 (proto3 omits "
                                  "defaults)",
                                  info.name));
  return set_varint(e, f, *value);
}

} // namespace

result<bytes> encode(const envelope& e) {
  if (auto ok = check_fields(e); !ok)
    return ok.error();
  bytes out;
  out.reserve(e.payload.size() + 256 + e.thread_id.size());
  put_uint(out, f_version, e.version);
  put_bytes(out, f_id, e.id);
  put_bytes(out, f_thread_id, as_bytes(e.thread_id));
  put_uint(out, f_kind, static_cast<std::uint32_t>(e.kind));
  put_uint(out, f_lamport, e.lamport);
  put_uint(out, f_ts_ns, e.ts_ns);
  put_bytes(out, f_sender, e.sender);
  put_bytes(out, f_payload, e.payload);
  put_bytes(out, f_payload_hash, e.payload_hash);
  put_bytes(out, f_policy_engine_hash, e.policy_engine_hash);
  put_bytes(out, f_nonce, e.nonce);
  if (e.policy_capsule_hash)
    put_bytes(out, f_policy_capsule_hash, *e.policy_capsule_hash, true);
  if (e.policy_eval_digest)
    put_bytes(out, f_policy_eval_digest, *e.policy_eval_digest, true);
  put_bytes(out, f_signature, e.signature);
  return out;
}

result<envelope> decode(bytes_view wire) {
  if (wire.size() > max_wire_size)
    return make_error(errc::too_large,
                      fmt::format("envelope is {} bytes, over {} "
                                  "(max_wire_size)",
                                  wire.size(), max_wire_size));
  envelope e;
  e.version = 0; // proto3: an absent field is its default
  reader r{wire};
  std::uint32_t last = 0;
  while (r.remaining() > 0) {
    if (last == f_last)
      return make_error(errc::malformed,
                        fmt::format("{} trailing bytes after the last field "
                                    "(signature)",
                                    r.remaining()));
    if (auto ok = read_field(r, e, last); !ok)
      return ok.error();
  }
  if (auto ok = check_fields(e); !ok)
    return ok.error();
  return e;
}

} // namespace canswarm::envelope
