#include "canswarm/net/tcp_listen.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace canswarm::net {

namespace {

std::string endpoint_text(const tcp_endpoint& ep) {
  return ep.family == ip_family::v4 ? fmt::format("{}:{}", ep.host, ep.port)
                                    : fmt::format("[{}]:{}", ep.host, ep.port);
}

error os_error(const tcp_endpoint& ep, const char* what) {
  return make_error(errc::io, fmt::format("{} {}: {}", what, endpoint_text(ep),
                                          std::strerror(errno)));
}

std::string numeric(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf,
              sizeof(buf));
  else
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr,
              buf, sizeof(buf));
  return buf;
}

} // namespace

bool tcp_endpoint::is_wildcard() const {
  return family == ip_family::v4 ? host == "0.0.0.0" : host == "::";
}

multiaddr tcp_endpoint::to_multiaddr() const {
  auto text = fmt::format("/{}/{}/tcp/{}",
                          family == ip_family::v4 ? "ip4" : "ip6", host, port);
  auto parsed = multiaddr::parse(text);
  return parsed ? *parsed : multiaddr{};
}

result<tcp_endpoint> tcp_endpoint_of(const multiaddr& addr) {
  auto parts = addr.components();
  auto unsupported = [&] {
    return make_error(errc::unsupported,
                      fmt::format("cannot listen on {}: only /ip4/<addr>/tcp/"
                                  "<port> and /ip6/<addr>/tcp/<port> are "
                                  "supported",
                                  addr.to_string()));
  };
  if (parts.size() != 2 || parts[1].name != "tcp"
      || (parts[0].name != "ip4" && parts[0].name != "ip6"))
    return unsupported();
  tcp_endpoint ep;
  ep.family = parts[0].name == "ip4" ? ip_family::v4 : ip_family::v6;
  ep.host = addr.value_of(parts[0].name).value_or("");
  auto port_text = addr.value_of("tcp").value_or("");
  auto [ptr, ec] = std::from_chars(port_text.data(),
                                   port_text.data() + port_text.size(),
                                   ep.port);
  if (ec != std::errc{} || ptr != port_text.data() + port_text.size())
    return unsupported();
  return ep;
}

result<listen_socket> open_tcp_listener(const tcp_endpoint& where) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = where.family == ip_family::v4 ? AF_INET : AF_INET6;
  if (family == AF_INET) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(where.port);
    if (inet_pton(AF_INET, where.host.c_str(), &sa->sin_addr) != 1)
      return make_error(errc::invalid_argument,
                        "not an IPv4 address: " + where.host);
    len = sizeof(sockaddr_in);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(where.port);
    if (inet_pton(AF_INET6, where.host.c_str(), &sa->sin6_addr) != 1)
      return make_error(errc::invalid_argument,
                        "not an IPv6 address: " + where.host);
    len = sizeof(sockaddr_in6);
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return os_error(where, "cannot create a socket for");
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    auto err = os_error(where, "cannot bind");
    close(fd);
    return err;
  }
  if (listen(fd, listen_backlog) != 0) {
    auto err = os_error(where, "cannot listen on");
    close(fd);
    return err;
  }
  socklen_t got = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &got) != 0) {
    auto err = os_error(where, "cannot read the bound port of");
    close(fd);
    return err;
  }
  listen_socket result{fd, where};
  result.bound.port = ntohs(
    family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                      : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return result;
}

void close_socket(int fd) {
  if (fd >= 0)
    close(fd);
}

std::vector<std::string> interface_addresses(ip_family family) {
  std::vector<std::string> result;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0)
    return result;
  int want = family == ip_family::v4 ? AF_INET : AF_INET6;
  for (auto* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != want
        || (i->ifa_flags & IFF_UP) == 0)
      continue;
    if (want == AF_INET6) {
      auto& a6 = reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr;
      if (IN6_IS_ADDR_LINKLOCAL(&a6))
        continue;
    }
    auto text = numeric(i->ifa_addr);
    if (std::find(result.begin(), result.end(), text) == result.end())
      result.push_back(std::move(text));
  }
  freeifaddrs(list);
  return result;
}

std::vector<tcp_endpoint>
concrete_endpoints(const tcp_endpoint& bound,
                   const std::vector<std::string>& interfaces) {
  if (!bound.is_wildcard())
    return {bound};
  std::vector<tcp_endpoint> result;
  for (auto& host : interfaces)
    result.push_back({bound.family, host, bound.port});
  if (result.empty())
    result.push_back({bound.family,
                      bound.family == ip_family::v4 ? "127.0.0.1" : "::1",
                      bound.port});
  return result;
}

} // namespace canswarm::net
