// Blocking control-API client: sockets with poll-bounded I/O, the p2pd
// codec, and PUBSUB subscriptions.

#include "canswarm/runtime/control_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "canswarm/p2pd/codec.hpp"

namespace canswarm::runtime {

namespace {

/// Bytes read per recv: a large PSMessage arrives in several reads.
constexpr std::size_t read_chunk = 64 * 1024;

error os_error(const char* what) {
  return make_error(errc::io, std::string{what} + ": " + std::strerror(errno));
}

int to_poll_ms(std::chrono::milliseconds wait) {
  return static_cast<int>(
    std::clamp<std::chrono::milliseconds::rep>(wait.count(), 0, 1 << 30));
}

/// Waits until `fd` has `events` (EINTR restarts with the full wait).
result<void> wait_fd(int fd, short events, std::chrono::milliseconds wait) {
  pollfd p{fd, events, 0};
  for (;;) {
    auto n = ::poll(&p, 1, to_poll_ms(wait));
    if (n > 0)
      return {};
    if (n == 0)
      return make_error(errc::timeout, "control API did not answer within "
                                         + std::to_string(wait.count())
                                         + " ms");
    if (errno != EINTR)
      return os_error("poll");
  }
}

/// Connects `fd` to `sa` within `timeout` (non-blocking connect + poll),
/// then makes the socket blocking again.
result<void> connect_fd(int fd, const sockaddr* sa, socklen_t len,
                        std::chrono::milliseconds timeout) {
  auto flags = ::fcntl(fd, F_GETFL, 0);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (::connect(fd, sa, len) != 0) {
    if (errno != EINPROGRESS)
      return os_error("connect");
    if (auto ok = wait_fd(fd, POLLOUT, timeout); !ok)
      return ok.error();
    int so_error = 0;
    socklen_t so_len = sizeof(so_error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len);
    if (so_error != 0) {
      errno = so_error;
      return os_error("connect");
    }
  }
  ::fcntl(fd, F_SETFL, flags);
  return {};
}

p2pd::request pubsub_request(p2pd::ps_request_type type) {
  p2pd::request r;
  r.type = p2pd::request_type::pubsub;
  r.pubsub = p2pd::ps_request{type, std::nullopt, std::nullopt};
  return r;
}

/// An ERROR response as errc::refused; OK as itself.
result<p2pd::response> expect_ok(result<p2pd::response> r) {
  if (!r)
    return r.error();
  if (r->type != p2pd::response_type::ok)
    return make_error(errc::refused, r->error ? r->error->msg : "ERROR");
  return r;
}

} // namespace

// -- control_connection -------------------------------------------------------

control_connection::control_connection(control_connection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), reader_(std::move(other.reader_)) {}

control_connection&
control_connection::operator=(control_connection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    reader_ = std::move(other.reader_);
  }
  return *this;
}

control_connection::~control_connection() {
  close();
}

result<control_connection>
control_connection::connect(const multiaddr& addr,
                            std::chrono::milliseconds timeout) {
  int fd = -1;
  auto attempt = [&](int family, const sockaddr* sa,
                     socklen_t len) -> result<control_connection> {
    fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return os_error("socket");
    control_connection conn{fd};
    if (auto ok = connect_fd(fd, sa, len, timeout); !ok)
      return make_error(ok.error().code,
                        ok.error().message + " (" + addr.to_string() + ")");
    return conn;
  };
  if (auto path = addr.value_of("unix")) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path->size() >= sizeof(sa.sun_path))
      return make_error(errc::invalid_argument,
                        "unix socket path too long: " + *path);
    std::memcpy(sa.sun_path, path->data(), path->size());
    return attempt(AF_UNIX, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  }
  auto port_text = addr.value_of("tcp");
  auto ip4 = addr.value_of("ip4");
  auto ip6 = addr.value_of("ip6");
  if (!port_text || (!ip4 && !ip6))
    return make_error(errc::invalid_argument,
                      "control address must be /ip4|ip6/<host>/tcp/<port> "
                      "or /unix/<path>, got "
                        + addr.to_string());
  auto port = static_cast<std::uint16_t>(std::stoul(*port_text));
  if (ip4) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (::inet_pton(AF_INET, ip4->c_str(), &sa.sin_addr) != 1)
      return make_error(errc::invalid_argument, "bad IPv4 address " + *ip4);
    return attempt(AF_INET, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  }
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  if (::inet_pton(AF_INET6, ip6->c_str(), &sa.sin6_addr) != 1)
    return make_error(errc::invalid_argument, "bad IPv6 address " + *ip6);
  return attempt(AF_INET6, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
}

result<void> control_connection::write(bytes_view data,
                                       std::chrono::milliseconds wait) {
  while (!data.empty()) {
    if (auto ok = wait_fd(fd_, POLLOUT, wait); !ok)
      return ok.error();
    auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
        continue;
      return os_error("send");
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

result<std::optional<bytes>> control_connection::buffered_frame() {
  return reader_.next();
}

result<void> control_connection::receive() {
  std::vector<std::uint8_t> buf(read_chunk);
  ssize_t n;
  do
    n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return {};
    return os_error("recv");
  }
  if (n == 0)
    return make_error(errc::io, "the control API closed the connection");
  return reader_.feed({buf.data(), static_cast<std::size_t>(n)});
}

result<bytes> control_connection::read_frame(std::chrono::milliseconds wait) {
  for (;;) {
    auto next = reader_.next();
    if (!next)
      return next.error();
    if (*next)
      return std::move(**next);
    if (auto ok = wait_fd(fd_, POLLIN, wait); !ok)
      return ok.error();
    if (auto ok = receive(); !ok)
      return ok.error();
  }
}

void control_connection::close() {
  if (fd_ >= 0)
    ::close(std::exchange(fd_, -1));
}

// -- subscription -------------------------------------------------------------

result<p2pd::ps_message> subscription::next(std::chrono::milliseconds wait) {
  auto body = conn_.read_frame(wait);
  if (!body)
    return body.error();
  return p2pd::decode_ps_message(*body);
}

result<std::optional<indexed_message>>
next_message(std::span<subscription> subs, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  std::vector<pollfd> fds(subs.size());
  for (;;) {
    for (std::size_t i = 0; i < subs.size(); ++i) {
      auto frame = subs[i].connection().buffered_frame();
      if (!frame)
        return frame.error();
      if (*frame) {
        auto msg = p2pd::decode_ps_message(**frame);
        if (!msg)
          return msg.error();
        return std::optional<indexed_message>{
          indexed_message{i, std::move(*msg)}};
      }
      fds[i] = pollfd{subs[i].connection().fd(), POLLIN, 0};
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::optional<indexed_message>{};
    auto n = ::poll(fds.data(), fds.size(), to_poll_ms(left));
    if (n < 0 && errno != EINTR)
      return os_error("poll");
    for (std::size_t i = 0; n > 0 && i < fds.size(); ++i)
      if (fds[i].revents != 0)
        if (auto ok = subs[i].connection().receive(); !ok)
          return make_error(ok.error().code, ok.error().message + " (topic "
                                               + subs[i].topic() + ")");
  }
}

// -- control_client -----------------------------------------------------------

result<control_client>
control_client::connect(const multiaddr& control,
                        std::chrono::milliseconds timeout) {
  auto conn = control_connection::connect(control, timeout);
  if (!conn)
    return conn.error();
  control_client c;
  c.conn_ = std::move(*conn);
  c.timeout_ = timeout;
  return c;
}

result<p2pd::response> control_client::call(const p2pd::request& req) {
  if (conn_.fd() < 0)
    return make_error(errc::invalid_argument,
                      "control client has no connection (after SUBSCRIBE)");
  bytes out;
  p2pd::write_message(req, out);
  if (auto ok = conn_.write(out, timeout_); !ok)
    return ok.error();
  auto body = conn_.read_frame(timeout_);
  if (!body)
    return body.error();
  return p2pd::decode_response(*body);
}

result<p2pd::identify_response> control_client::identify() {
  p2pd::request req;
  req.type = p2pd::request_type::identify;
  auto r = expect_ok(call(req));
  if (!r)
    return r.error();
  if (!r->identify)
    return make_error(errc::protocol,
                      "IDENTIFY reply without IdentifyResponse");
  return std::move(*r->identify);
}

result<std::vector<p2pd::peer_info>> control_client::list_peers() {
  p2pd::request req;
  req.type = p2pd::request_type::list_peers;
  auto r = expect_ok(call(req));
  if (!r)
    return r.error();
  return std::move(r->peers);
}

result<std::vector<std::string>> control_client::get_topics() {
  auto r = expect_ok(call(pubsub_request(p2pd::ps_request_type::get_topics)));
  if (!r)
    return r.error();
  if (!r->pubsub)
    return make_error(errc::protocol, "GET_TOPICS reply without PSResponse");
  return std::move(r->pubsub->topics);
}

result<std::vector<bytes>>
control_client::list_topic_peers(const std::optional<std::string>& topic) {
  auto req = pubsub_request(p2pd::ps_request_type::list_peers);
  req.pubsub->topic = topic;
  auto r = expect_ok(call(req));
  if (!r)
    return r.error();
  if (!r->pubsub)
    return make_error(errc::protocol, "LIST_PEERS reply without PSResponse");
  return std::move(r->pubsub->peer_ids);
}

result<std::string> control_client::stats() {
  p2pd::request req;
  req.type = p2pd::request_type::canswarm_stats;
  auto r = expect_ok(call(req));
  if (!r)
    return r.error();
  if (!r->canswarm_stats)
    return make_error(errc::protocol, "CANSWARM_STATS reply without stats "
                                      "(not a canswarm node?)");
  return std::move(*r->canswarm_stats);
}

result<std::string> control_client::inspect(bool text,
                                            const std::string& kill) {
  p2pd::request req;
  req.type = p2pd::request_type::canswarm_inspect;
  req.inspect = p2pd::inspect_request{text, kill};
  auto r = expect_ok(call(req));
  if (!r)
    return r.error();
  if (!r->canswarm_inspect)
    return make_error(errc::protocol, "CANSWARM_INSPECT reply without the "
                                      "tree (not a canswarm node?)");
  return std::move(*r->canswarm_inspect);
}

result<void> control_client::publish(const std::string& topic, bytes_view data,
                                     bool raw) {
  auto req = pubsub_request(p2pd::ps_request_type::publish);
  req.pubsub->topic = topic;
  req.pubsub->data = bytes(data.begin(), data.end());
  req.pubsub->canswarm_raw = raw;
  if (auto r = expect_ok(call(req)); !r)
    return r.error();
  return {};
}

result<subscription> control_client::subscribe(const std::string& topic) {
  auto req = pubsub_request(p2pd::ps_request_type::subscribe);
  req.pubsub->topic = topic;
  if (auto r = expect_ok(call(req)); !r)
    return r.error();
  return subscription{topic, std::move(conn_)};
}

} // namespace canswarm::runtime
