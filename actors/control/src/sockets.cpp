// OS-level sockets of the control API (see sockets.hpp).

#include "sockets.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "canswarm/net/tcp_listen.hpp"

namespace canswarm::control::detail {

namespace {

error os_error(const multiaddr& addr, const char* what) {
  return make_error(errc::io, fmt::format("{} {}: {}", what, addr.to_string(),
                                          std::strerror(errno)));
}

/// A socket address for a tcp or unix multiaddr.
struct sock_address {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_UNSPEC;
  std::string unix_path;
};

result<sock_address> to_sock_address(const multiaddr& addr) {
  sock_address out;
  if (auto path = addr.value_of("unix")) {
    auto* sa = reinterpret_cast<sockaddr_un*>(&out.ss);
    if (path->empty() || path->size() >= sizeof(sa->sun_path))
      return make_error(errc::invalid_argument,
                        fmt::format("unix socket path of {} bytes, expected "
                                    "1..{}",
                                    path->size(), sizeof(sa->sun_path) - 1));
    sa->sun_family = AF_UNIX;
    std::memcpy(sa->sun_path, path->data(), path->size());
    out.len = sizeof(sockaddr_un);
    out.family = AF_UNIX;
    out.unix_path = *path;
    return out;
  }
  auto ep = net::tcp_endpoint_of(addr);
  if (!ep)
    return make_error(errc::unsupported,
                      fmt::format("{}: expected /ip4|ip6/<host>/tcp/<port> "
                                  "or /unix/<path>",
                                  addr.to_string()));
  if (ep->family == net::ip_family::v4) {
    auto* sa = reinterpret_cast<sockaddr_in*>(&out.ss);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(ep->port);
    inet_pton(AF_INET, ep->host.c_str(), &sa->sin_addr);
    out.len = sizeof(sockaddr_in);
    out.family = AF_INET;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&out.ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(ep->port);
    inet_pton(AF_INET6, ep->host.c_str(), &sa->sin6_addr);
    out.len = sizeof(sockaddr_in6);
    out.family = AF_INET6;
  }
  return out;
}

/// Replaces a stale unix socket file; fails if someone accepts on it.
result<void> clear_unix_path(const multiaddr& addr, const sock_address& sa) {
  struct stat st {};
  if (lstat(sa.unix_path.c_str(), &st) != 0)
    return {}; // Nothing there.
  if (!S_ISSOCK(st.st_mode))
    return make_error(errc::refused,
                      fmt::format("cannot listen on {}: the path exists and "
                                  "is not a socket",
                                  addr.to_string()));
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0)
    return os_error(addr, "cannot create a socket for");
  auto live = connect(probe, reinterpret_cast<const sockaddr*>(&sa.ss), sa.len)
              == 0;
  close(probe);
  if (live)
    return make_error(errc::refused,
                      fmt::format("cannot listen on {}: in use by another "
                                  "process",
                                  addr.to_string()));
  unlink(sa.unix_path.c_str());
  return {};
}

result<listen_socket> open_unix_listener(const multiaddr& addr) {
  auto sa = to_sock_address(addr);
  if (!sa)
    return sa.error();
  if (auto ok = clear_unix_path(addr, *sa); !ok)
    return ok.error();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return os_error(addr, "cannot create a socket for");
  if (bind(fd, reinterpret_cast<const sockaddr*>(&sa->ss), sa->len) != 0
      || listen(fd, net::listen_backlog) != 0) {
    auto err = os_error(addr, "cannot listen on");
    close(fd);
    return err;
  }
  return listen_socket{fd, addr, sa->unix_path};
}

} // namespace

result<listen_socket> open_listener(const multiaddr& addr) {
  if (addr.value_of("unix"))
    return open_unix_listener(addr);
  auto ep = net::tcp_endpoint_of(addr);
  if (!ep)
    return make_error(errc::unsupported,
                      fmt::format("cannot listen on {}: the control API "
                                  "needs /ip4|ip6/<host>/tcp/<port> or "
                                  "/unix/<path>",
                                  addr.to_string()));
  auto sock = net::open_tcp_listener(*ep);
  if (!sock)
    return sock.error();
  return listen_socket{sock->fd, sock->bound.to_multiaddr(), {}};
}

result<int> connect_to(const multiaddr& addr,
                       std::chrono::milliseconds timeout) {
  auto sa = to_sock_address(addr);
  if (!sa)
    return sa.error();
  int fd = socket(sa->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return os_error(addr, "cannot create a socket for");
  if (connect(fd, reinterpret_cast<const sockaddr*>(&sa->ss), sa->len) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) {
      auto err = os_error(addr, "cannot connect to");
      close(fd);
      return err;
    }
    pollfd p{fd, POLLOUT, 0};
    auto ready = poll(&p, 1, static_cast<int>(timeout.count()));
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    if (ready == 1)
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (ready != 1 || so_error != 0) {
      errno = ready == 0 ? ETIMEDOUT : (so_error != 0 ? so_error : errno);
      auto err = os_error(addr, "cannot connect to");
      close(fd);
      return err;
    }
  }
  if (sa->family != AF_UNIX) {
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  }
  return fd;
}

bool half_close(int fd) {
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
    return false;
  return ::shutdown(fd, SHUT_WR) == 0;
}

void close_socket(int fd) {
  if (fd >= 0)
    close(fd);
}

void remove_unix_socket(const std::string& path) {
  struct stat st {};
  if (!path.empty() && lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
    unlink(path.c_str());
}

} // namespace canswarm::control::detail
