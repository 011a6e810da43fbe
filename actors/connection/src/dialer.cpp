#include "canswarm/connection/dialer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <caf/blocking_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

namespace canswarm {

namespace {

std::string os_error(int code) {
  return std::strerror(code);
}

/// Renders a connected peer address as /ip4|ip6/<addr>/tcp/<port>.
multiaddr to_multiaddr(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = {};
  std::uint16_t port = 0;
  std::string proto = "ip4";
  if (ss.ss_family == AF_INET) {
    auto* sa = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &sa->sin_addr, host, sizeof(host));
    port = ntohs(sa->sin_port);
  } else {
    auto* sa = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &sa->sin6_addr, host, sizeof(host));
    port = ntohs(sa->sin6_port);
    proto = "ip6";
  }
  auto addr = multiaddr::parse(fmt::format("/{}/{}/tcp/{}", proto, host, port));
  return addr ? *addr : multiaddr{};
}

/// Connects one resolved address; returns the socket or the OS reason.
result<int> connect_one(const sockaddr* sa, socklen_t len,
                        time_point deadline) {
  int fd = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
  if (fd < 0)
    return make_error(errc::io, "socket: " + os_error(errno));
  auto fail = [fd](errc code, std::string what) {
    ::close(fd);
    return make_error(code, std::move(what));
  };
  if (::connect(fd, sa, len) != 0) {
    if (errno != EINPROGRESS)
      return fail(errc::io, os_error(errno));
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return fail(errc::timeout, "connect timed out");
      pollfd p{fd, POLLOUT, 0};
      int n = ::poll(&p, 1, static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fail(errc::io, "poll: " + os_error(errno));
      if (n == 0)
        return fail(errc::timeout, "connect timed out");
      break;
    }
    int err = 0;
    socklen_t err_len = sizeof(err);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err != 0)
      return fail(errc::io, os_error(err));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

} // namespace

result<tcp_target> tcp_target_of(const multiaddr& addr) {
  auto parts = addr.components();
  auto unsupported = [&] {
    return make_error(errc::unsupported,
                      fmt::format("cannot dial {}: only "
                                  "/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>"
                                  "[/p2p/<id>] is supported",
                                  addr.to_string()));
  };
  if (parts.size() < 2 || parts.size() > 3 || parts[1].name != "tcp")
    return unsupported();
  if (parts.size() == 3 && parts[2].name != "p2p")
    return unsupported();
  tcp_target t;
  const auto& first = parts[0].name;
  if (first == "ip4" || first == "ip6") {
    t.family = first == "ip4" ? AF_INET : AF_INET6;
  } else if (first == "dns4" || first == "dns6" || first == "dns") {
    t.family = first == "dns4"   ? AF_INET
               : first == "dns6" ? AF_INET6
                                 : AF_UNSPEC;
    t.resolve = true;
  } else {
    return unsupported();
  }
  t.host = *addr.value_of(first);
  t.port = static_cast<std::uint16_t>(std::stoul(*addr.value_of("tcp")));
  return t;
}

result<connected_socket> connect_tcp(const multiaddr& addr,
                                     time_point deadline) {
  auto target = tcp_target_of(addr);
  if (!target)
    return target.error();
  addrinfo hints{};
  hints.ai_family = target->family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = target->resolve ? AI_ADDRCONFIG : AI_NUMERICHOST;
  addrinfo* found = nullptr;
  auto port = std::to_string(target->port);
  if (int rc = ::getaddrinfo(target->host.c_str(), port.c_str(), &hints,
                             &found);
      rc != 0)
    return make_error(errc::io,
                      fmt::format("{}: cannot resolve {}: {}", addr.to_string(),
                                  target->host, gai_strerror(rc)));
  std::string reasons;
  std::size_t tried = 0;
  for (auto* ai = found; ai != nullptr && tried < max_resolved_addrs;
       ai = ai->ai_next, ++tried) {
    auto fd = connect_one(ai->ai_addr, ai->ai_addrlen, deadline);
    if (fd) {
      sockaddr_storage ss{};
      std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
      ::freeaddrinfo(found);
      return connected_socket{*fd, to_multiaddr(ss)};
    }
    if (!reasons.empty())
      reasons += "; ";
    reasons += fd.error().message;
    if (fd.error().code == errc::timeout) {
      ::freeaddrinfo(found);
      return make_error(errc::timeout,
                        fmt::format("{}: {}", addr.to_string(), reasons));
    }
  }
  ::freeaddrinfo(found);
  return make_error(errc::io,
                    fmt::format("{}: {}", addr.to_string(),
                                reasons.empty() ? "no address" : reasons));
}

result<connected_socket> connect_any(const std::vector<multiaddr>& addrs,
                                     time_point deadline) {
  if (addrs.empty())
    return make_error(errc::invalid_argument, "no address to dial");
  std::string reasons;
  errc code = errc::io;
  for (const auto& addr : addrs) {
    auto sock = connect_tcp(addr, deadline);
    if (sock)
      return sock;
    if (!reasons.empty())
      reasons += "; ";
    reasons += sock.error().message;
    code = sock.error().code;
    if (code == errc::timeout)
      break;
  }
  return make_error(code, std::move(reasons));
}

void dial_worker(caf::blocking_actor* self, caf::actor swarm, request_id req,
                 std::vector<multiaddr> addrs, time_point deadline) {
  dial_outcome out;
  out.req = req;
  auto sock = connect_any(addrs, deadline);
  if (sock) {
    out.fd = sock->fd;
    out.remote_addr = std::move(sock->remote);
  } else {
    out.failure = sock.error();
  }
  self->send(swarm, std::move(out));
}

} // namespace canswarm
