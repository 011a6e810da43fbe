// Multiaddr protocol table (codes from the multicodec table) and value
// codecs.

#include "multiaddr_protocols.hpp"

#include <array>
#include <cstdint>
#include <limits>

#include <arpa/inet.h>
#include <fmt/format.h>

#include "canswarm/multiformats/base58.hpp"
#include "canswarm/multiformats/cid.hpp"
#include "canswarm/multiformats/multihash.hpp"

namespace canswarm::multiaddr_detail {

namespace {

constexpr std::array<protocol, 14> protocols{{
  {4, "ip4", value_kind::ip4},
  {6, "tcp", value_kind::port},
  {41, "ip6", value_kind::ip6},
  {53, "dns", value_kind::dns},
  {54, "dns4", value_kind::dns},
  {55, "dns6", value_kind::dns},
  {273, "udp", value_kind::port},
  {290, "p2p-circuit", value_kind::none},
  {400, "unix", value_kind::path},
  {421, "p2p", value_kind::p2p},
  {460, "quic", value_kind::none},
  {461, "quic-v1", value_kind::none},
  {477, "ws", value_kind::none},
  {478, "wss", value_kind::none},
}};

result<bytes> port_from_text(const protocol& p, std::string_view text) {
  std::uint32_t port = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return make_error(errc::malformed,
                        fmt::format("/{} port '{}' is not a decimal number",
                                    p.name, text));
    port = port * 10 + static_cast<std::uint32_t>(c - '0');
    if (port > std::numeric_limits<std::uint16_t>::max())
      return make_error(errc::malformed,
                        fmt::format("/{} port '{}' is out of range 0..65535",
                                    p.name, text));
  }
  return bytes{static_cast<std::uint8_t>(port >> 8),
               static_cast<std::uint8_t>(port & 0xff)};
}

result<bytes> ip_from_text(const protocol& p, std::string_view text) {
  bool v4 = p.kind == value_kind::ip4;
  bytes out(v4 ? 4 : 16);
  // inet_pton needs a NUL-terminated string; the longest valid ip6 text is
  // 45 characters.
  if (text.size() <= 45) {
    std::string s{text};
    if (inet_pton(v4 ? AF_INET : AF_INET6, s.c_str(), out.data()) == 1)
      return out;
  }
  return make_error(errc::malformed,
                    fmt::format("bad {} address '{}'", p.name, text));
}

result<void> check_dns(const protocol& p, std::string_view name) {
  if (name.empty())
    return make_error(errc::malformed,
                      fmt::format("/{} name is empty", p.name));
  if (name.size() > max_dns_name)
    return make_error(errc::malformed,
                      fmt::format("/{} name is {} bytes, over the {}-byte "
                                  "limit",
                                  p.name, name.size(), max_dns_name));
  for (char c : name)
    if (c == '/' || static_cast<unsigned char>(c) < 0x21 || c == 0x7f)
      return make_error(errc::malformed,
                        fmt::format("/{} name contains a '/', space or "
                                    "control character",
                                    p.name));
  return {};
}

result<void> check_path(std::string_view path) {
  if (path.empty() || path == "/")
    return make_error(errc::malformed, "empty unix path");
  if (path.front() != '/')
    return make_error(errc::malformed, "unix path does not start with '/'");
  return {};
}

std::string_view as_text(bytes_view value) {
  return {reinterpret_cast<const char*>(value.data()), value.size()};
}

} // namespace

const protocol* find_by_name(std::string_view name) {
  if (name == "ipfs")
    name = "p2p";
  for (const auto& p : protocols)
    if (p.name == name)
      return &p;
  return nullptr;
}

const protocol* find_by_code(std::uint64_t code) {
  for (const auto& p : protocols)
    if (p.code == code)
      return &p;
  return nullptr;
}

std::size_t fixed_size(value_kind kind) {
  switch (kind) {
    case value_kind::none: return 0;
    case value_kind::ip4: return 4;
    case value_kind::ip6: return 16;
    case value_kind::port: return 2;
    default: return SIZE_MAX;
  }
}

result<bytes> value_from_text(const protocol& p, std::string_view text) {
  switch (p.kind) {
    case value_kind::none: return bytes{};
    case value_kind::ip4:
    case value_kind::ip6: return ip_from_text(p, text);
    case value_kind::port: return port_from_text(p, text);
    case value_kind::dns:
      if (auto ok = check_dns(p, text); !ok)
        return ok.error();
      return to_bytes(text);
    case value_kind::p2p: {
      auto mh = cid::peer_id_multihash_from_text(text);
      if (!mh)
        return make_error(mh.error().code,
                          fmt::format("bad /p2p peer id '{}': {}", text,
                                      mh.error().message));
      if (auto ok = check_value(p, *mh); !ok)
        return ok.error();
      return mh;
    }
    case value_kind::path:
      if (auto ok = check_path(text); !ok)
        return ok.error();
      return to_bytes(text);
  }
  return make_error(errc::invalid_argument, "unknown value kind");
}

result<void> check_value(const protocol& p, bytes_view value) {
  switch (p.kind) {
    case value_kind::dns: return check_dns(p, as_text(value));
    case value_kind::path: return check_path(as_text(value));
    case value_kind::p2p: {
      auto mh = multihash::parse(value);
      if (!mh)
        return make_error(mh.error().code, fmt::format("bad /p2p multihash: {}",
                                                       mh.error().message));
      // Peer ids only use these two; others would not survive the text form.
      if (mh->code != multihash::identity && mh->code != multihash::sha2_256)
        return make_error(errc::malformed,
                          fmt::format("bad /p2p multihash: code 0x{:x} is "
                                      "neither identity nor sha2-256",
                                      mh->code));
      // A shorter or longer SHA2-256 digest has no peer-id text form (it
      // would not start with "Qm"), so it could not round-trip.
      if (mh->code == multihash::sha2_256 && mh->digest.size() != 32)
        return make_error(errc::malformed,
                          fmt::format("bad /p2p multihash: sha2-256 digest of "
                                      "{} bytes instead of 32",
                                      mh->digest.size()));
      return {};
    }
    default: return {}; // Fixed sizes are checked by the caller.
  }
}

std::string value_to_text(const protocol& p, bytes_view value) {
  switch (p.kind) {
    case value_kind::none: return {};
    case value_kind::ip4:
    case value_kind::ip6: {
      char buf[INET6_ADDRSTRLEN] = {};
      inet_ntop(p.kind == value_kind::ip4 ? AF_INET : AF_INET6, value.data(),
                buf, sizeof(buf));
      return buf;
    }
    case value_kind::port:
      return std::to_string((unsigned{value[0]} << 8) | value[1]);
    case value_kind::dns:
    case value_kind::path: return std::string{as_text(value)};
    case value_kind::p2p: return base58btc_encode(value);
  }
  return {};
}

} // namespace canswarm::multiaddr_detail
