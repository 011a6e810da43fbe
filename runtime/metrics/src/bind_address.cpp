#include <algorithm>
#include <cctype>
#include <charconv>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "canswarm/metrics/exposer.hpp"

namespace canswarm::metrics {

namespace {

/// Longest host accepted (a DNS name is at most 253 characters).
constexpr std::size_t max_host_size = 253;

bool is_host_char(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return std::isalnum(c) != 0 || ch == '.' || ch == '-';
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x))
           == std::tolower(static_cast<unsigned char>(y));
  });
}

} // namespace

result<bind_address> parse_bind_address(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(errc::invalid_argument, "metrics bind address '"
                                                + std::string{text}
                                                + "': " + std::string{why});
  };
  if (text.empty())
    return bad("empty; expected host:port such as 127.0.0.1:9464");
  if (text.find(',') != std::string_view::npos)
    return bad("one host:port only (civetweb would read a list)");
  std::string_view host;
  std::string_view port;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return bad("'[' without a closing ']'");
    host = text.substr(0, close + 1);
    auto rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':')
      return bad("missing ':port' after the IPv6 address");
    port = rest.substr(1);
    auto inner = std::string{host.substr(1, host.size() - 2)};
    in6_addr v6{};
    if (inet_pton(AF_INET6, inner.c_str(), &v6) != 1)
      return bad("not an IPv6 address inside [ ]");
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return bad("missing host (write 0.0.0.0:<port> to listen on every "
                 "interface)");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return bad("an IPv6 address must be written in brackets, [::1]:9464");
    if (host.empty())
      return bad("missing host (write 0.0.0.0:<port> to listen on every "
                 "interface)");
    if (host.size() > max_host_size)
      return bad("host longer than 253 characters");
    if (!std::all_of(host.begin(), host.end(), is_host_char))
      return bad("host may only contain letters, digits, '.' and '-'");
  }
  if (port.empty() || port.size() > 5
      || !std::all_of(port.begin(), port.end(),
                      [](char c) { return c >= '0' && c <= '9'; }))
    return bad("port must be a number from 0 to 65535");
  unsigned value = 0;
  std::from_chars(port.data(), port.data() + port.size(), value);
  if (value > 65535)
    return bad("port must be a number from 0 to 65535");
  return bind_address{std::string{host}, static_cast<std::uint16_t>(value)};
}

bool is_loopback_host(std::string_view host) {
  if (iequals(host, "localhost"))
    return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto inner = std::string{host.substr(1, host.size() - 2)};
    in6_addr v6{};
    if (inet_pton(AF_INET6, inner.c_str(), &v6) != 1)
      return false;
    if (IN6_IS_ADDR_LOOPBACK(&v6))
      return true;
    // ::ffff:127.x.y.z is IPv4 loopback seen through IPv6.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  in_addr v4{};
  auto text = std::string{host};
  if (inet_pton(AF_INET, text.c_str(), &v4) != 1)
    return false;
  return (ntohl(v4.s_addr) >> 24) == 127;
}

std::optional<std::string> bind_warning(const bind_address& address) {
  if (is_loopback_host(address.host))
    return std::nullopt;
  return "metrics endpoint " + address.host + ":" + std::to_string(address.port)
         + " is not a loopback address: other machines can read peer ids, "
           "topics and traffic counts without authentication; bind to "
           "127.0.0.1 or put an authenticating proxy in front";
}

result<void> exposer_config::validate() const {
  if (auto addr = parse_bind_address(bind_address); !addr)
    return addr.error();
  if (threads == 0 || threads > max_exposer_threads)
    return make_error(errc::invalid_argument,
                      "metrics exposer threads must be 1.."
                        + std::to_string(max_exposer_threads) + ", got "
                        + std::to_string(threads));
  return {};
}

} // namespace canswarm::metrics
