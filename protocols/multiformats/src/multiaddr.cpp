// Multiaddr text and binary codecs.
//
// Text:   "/" name ["/" value] ... ; a unix path takes the rest of the text.
// Binary: <varint code><value> ... ; ip4/ip6/ports have fixed sizes, dns,
//         p2p and unix values carry a varint length prefix.
// Every multiaddr object holds validated binary bytes; the text form is
// rendered from them.

#include "canswarm/multiformats/multiaddr.hpp"

#include <fmt/format.h>

#include "canswarm/varint/varint.hpp"
#include "multiaddr_protocols.hpp"

namespace canswarm {

namespace detail = multiaddr_detail;

namespace {

/// One component located in a binary address.
struct located {
  const detail::protocol* proto;
  bytes_view value;
  std::size_t begin; ///< Offset of the component's code.
};

error size_error(const char* form, std::size_t size,
                 std::size_t limit = max_multiaddr_size) {
  return make_error(errc::too_large,
                    fmt::format("multiaddr {} is {} bytes, over the {}-byte "
                                "limit",
                                form, size, limit));
}

error varint_error(const varint::decoded& d, const char* what,
                   std::size_t offset) {
  if (d.st == varint::status::incomplete)
    return make_error(errc::malformed,
                      fmt::format("truncated {} at offset {}", what, offset));
  return make_error(errc::malformed, fmt::format("bad {} at offset {}: {}",
                                                 what, offset, d.reason));
}

/// Walks a binary address, validating every component.
result<std::vector<located>> split(bytes_view in) {
  std::vector<located> out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    auto code = varint::decode(in.subspan(pos));
    if (code.st != varint::status::ok)
      return varint_error(code, "protocol code", pos);
    const auto* p = detail::find_by_code(code.value);
    if (p == nullptr)
      return make_error(errc::malformed,
                        fmt::format("unknown protocol code {} at offset {}",
                                    code.value, pos));
    auto begin = pos;
    pos += code.size;
    auto size = detail::fixed_size(p->kind);
    if (size == SIZE_MAX) {
      auto len = varint::decode(in.subspan(pos), max_multiaddr_size);
      if (len.st != varint::status::ok)
        return varint_error(len, "value length", pos);
      pos += len.size;
      size = len.value;
    }
    if (in.size() - pos < size)
      return make_error(errc::malformed,
                        fmt::format("truncated /{} value at offset {}: need "
                                    "{} bytes, have {}",
                                    p->name, pos, size, in.size() - pos));
    auto value = in.subspan(pos, size);
    if (auto ok = detail::check_value(*p, value); !ok)
      return ok.error();
    out.push_back(located{p, value, begin});
    pos += size;
  }
  return out;
}

void append_component(const detail::protocol& p, bytes_view value, bytes& out) {
  varint::encode(p.code, out);
  if (detail::fixed_size(p.kind) == SIZE_MAX)
    varint::encode(value.size(), out);
  append(out, value);
}

} // namespace

result<multiaddr> multiaddr::parse(std::string_view text) {
  if (text.size() > max_multiaddr_text_size)
    return size_error("text", text.size(), max_multiaddr_text_size);
  if (text.empty())
    return make_error(errc::malformed, "empty multiaddr");
  if (text.front() != '/')
    return make_error(errc::malformed,
                      fmt::format("multiaddr '{}' does not start with '/'",
                                  text));
  multiaddr result;
  std::size_t pos = 0; // At a '/'.
  while (pos < text.size()) {
    auto name_end = text.find('/', pos + 1);
    if (name_end == std::string_view::npos)
      name_end = text.size();
    auto name = text.substr(pos + 1, name_end - pos - 1);
    if (name.empty())
      return make_error(errc::malformed,
                        fmt::format("empty protocol name at offset {} (a "
                                    "doubled or trailing '/')",
                                    pos + 1));
    const auto* p = detail::find_by_name(name);
    if (p == nullptr)
      return make_error(errc::malformed,
                        fmt::format("unknown protocol '{}'", name));
    pos = name_end;
    std::string_view value_text;
    if (p->kind == detail::value_kind::path) {
      value_text = text.substr(pos);
      pos = text.size();
    } else if (p->kind != detail::value_kind::none) {
      if (pos + 1 >= text.size())
        return make_error(errc::malformed,
                          fmt::format("missing value for /{}", p->name));
      auto value_end = text.find('/', pos + 1);
      if (value_end == std::string_view::npos)
        value_end = text.size();
      value_text = text.substr(pos + 1, value_end - pos - 1);
      if (value_text.empty())
        return make_error(errc::malformed,
                          fmt::format("missing value for /{}", p->name));
      pos = value_end;
    }
    auto value = detail::value_from_text(*p, value_text);
    if (!value)
      return value.error();
    append_component(*p, *value, result.bytes_);
  }
  if (result.bytes_.size() > max_multiaddr_size)
    return size_error("binary form", result.bytes_.size());
  return result;
}

result<multiaddr> multiaddr::from_bytes(bytes_view binary) {
  if (binary.size() > max_multiaddr_size)
    return size_error("binary form", binary.size());
  if (binary.empty())
    return make_error(errc::malformed, "empty multiaddr");
  auto parts = split(binary);
  if (!parts)
    return parts.error();
  for (std::size_t i = 0; i + 1 < parts->size(); ++i)
    if ((*parts)[i].proto->kind == detail::value_kind::path)
      return make_error(errc::malformed,
                        fmt::format("component after the /unix path at "
                                    "offset {}",
                                    (*parts)[i + 1].begin));
  multiaddr result;
  result.bytes_.assign(binary.begin(), binary.end());
  return result;
}

std::string multiaddr::to_string() const {
  std::string out;
  auto parts = split(bytes_);
  if (!parts)
    return out; // Unreachable: bytes_ are validated on construction.
  for (const auto& part : *parts) {
    out += '/';
    out += part.proto->name;
    if (part.proto->kind == detail::value_kind::none)
      continue;
    if (part.proto->kind != detail::value_kind::path)
      out += '/';
    out += detail::value_to_text(*part.proto, part.value);
  }
  return out;
}

std::vector<multiaddr::component> multiaddr::components() const {
  std::vector<component> out;
  if (auto parts = split(bytes_))
    for (const auto& part : *parts)
      out.push_back(component{part.proto->code, std::string{part.proto->name},
                              bytes{part.value.begin(), part.value.end()}});
  return out;
}

std::optional<std::string> multiaddr::value_of(std::string_view proto) const {
  const auto* wanted = detail::find_by_name(proto);
  if (wanted == nullptr)
    return std::nullopt;
  if (auto parts = split(bytes_))
    for (const auto& part : *parts)
      if (part.proto == wanted)
        return detail::value_to_text(*part.proto, part.value);
  return std::nullopt;
}

multiaddr multiaddr::encapsulate(const multiaddr& other) const {
  multiaddr result = *this;
  append(result.bytes_, other.bytes_);
  return result;
}

multiaddr multiaddr::decapsulate_p2p() const {
  auto parts = split(bytes_);
  if (!parts || parts->empty()
      || parts->back().proto->kind != detail::value_kind::p2p)
    return *this;
  multiaddr result;
  result.bytes_.assign(bytes_.begin(),
                       bytes_.begin()
                         + static_cast<std::ptrdiff_t>(parts->back().begin));
  return result;
}

std::optional<bytes> multiaddr::peer_id_bytes() const {
  std::optional<bytes> found;
  if (auto parts = split(bytes_))
    for (const auto& part : *parts)
      if (part.proto->kind == detail::value_kind::p2p)
        found = bytes{part.value.begin(), part.value.end()};
  return found;
}

} // namespace canswarm
