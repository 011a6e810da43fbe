// Blocking control client and stream-handler listener for the tests.

#include "control_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace canswarm::test {

namespace {

error os_error(const char* what) {
  return make_error(errc::io, std::string{what} + ": " + std::strerror(errno));
}

bool wait_fd(int fd, short events, std::chrono::milliseconds wait = io_wait) {
  pollfd p{fd, events, 0};
  return poll(&p, 1, static_cast<int>(wait.count())) == 1;
}

p2pd::request pubsub_request(p2pd::ps_request_type type) {
  p2pd::request r;
  r.type = p2pd::request_type::pubsub;
  r.pubsub = p2pd::ps_request{type, std::nullopt, std::nullopt};
  return r;
}

/// An ERROR response as an error; OK as itself.
result<p2pd::response> expect_ok(result<p2pd::response> r) {
  if (!r)
    return r.error();
  if (r->type != p2pd::response_type::ok)
    return make_error(errc::refused, r->error ? r->error->msg : "ERROR");
  return r;
}

} // namespace

framed_socket::framed_socket(framed_socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      reader_(std::move(other.reader_)),
      pending_(std::move(other.pending_)) {}

framed_socket& framed_socket::operator=(framed_socket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    reader_ = std::move(other.reader_);
    pending_ = std::move(other.pending_);
  }
  return *this;
}

framed_socket::~framed_socket() {
  close();
}

result<framed_socket> framed_socket::connect(const multiaddr& addr) {
  int fd = -1;
  if (auto path = addr.value_of("unix")) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path->c_str(), sizeof(sa.sun_path) - 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
      auto err = os_error("connect");
      ::close(fd);
      return err;
    }
    return framed_socket{fd};
  }
  auto host = addr.value_of("ip4").value_or("127.0.0.1");
  auto port = std::stoi(addr.value_of("tcp").value_or("0"));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    auto err = os_error("connect");
    ::close(fd);
    return err;
  }
  return framed_socket{fd};
}

result<void> framed_socket::write(bytes_view data) {
  while (!data.empty()) {
    auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return os_error("send");
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

result<std::size_t> framed_socket::read_some(std::uint8_t* buf,
                                             std::size_t size,
                                             std::chrono::milliseconds wait) {
  if (!wait_fd(fd_, POLLIN, wait))
    return make_error(errc::timeout, "nothing to read within "
                                       + std::to_string(wait.count()) + " ms");
  auto n = ::recv(fd_, buf, size, 0);
  if (n < 0)
    return os_error("recv");
  return static_cast<std::size_t>(n);
}

result<bytes> framed_socket::read_frame(std::chrono::milliseconds wait) {
  std::uint8_t buf[4096];
  for (;;) {
    auto next = reader_.next();
    if (!next)
      return next.error();
    if (*next)
      return std::move(**next);
    auto n = read_some(buf, sizeof(buf), wait);
    if (!n)
      return n.error();
    if (*n == 0)
      return make_error(errc::io, "connection closed before a frame");
    if (auto ok = reader_.feed({buf, *n}); !ok)
      return ok.error();
  }
}

result<bytes> framed_socket::read_exact(std::size_t n) {
  append(pending_, reader_.take_rest());
  while (pending_.size() < n) {
    std::uint8_t buf[65536];
    auto got = read_some(buf, sizeof(buf));
    if (!got)
      return got.error();
    if (*got == 0)
      return make_error(errc::io, "connection closed after "
                                    + std::to_string(pending_.size())
                                    + " bytes");
    pending_.insert(pending_.end(), buf, buf + *got);
  }
  bytes out(pending_.begin(), pending_.begin() + static_cast<long>(n));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(n));
  return out;
}

result<bytes> framed_socket::read_to_end() {
  append(pending_, reader_.take_rest());
  auto out = std::exchange(pending_, bytes{});
  for (;;) {
    std::uint8_t buf[65536];
    auto got = read_some(buf, sizeof(buf));
    if (!got)
      return got.error();
    if (*got == 0)
      return out;
    out.insert(out.end(), buf, buf + *got);
  }
}

bool framed_socket::wait_closed() {
  auto r = read_to_end();
  return r.ok();
}

void framed_socket::shutdown_write() {
  if (fd_ >= 0)
    ::shutdown(fd_, SHUT_WR);
}

void framed_socket::close() {
  if (fd_ >= 0)
    ::close(std::exchange(fd_, -1));
}

result<control_client> control_client::connect(const multiaddr& control) {
  auto s = framed_socket::connect(control);
  if (!s)
    return s.error();
  control_client c;
  c.sock_ = std::move(*s);
  return c;
}

result<p2pd::response> control_client::call(const p2pd::request& req) {
  bytes out;
  p2pd::write_message(req, out);
  if (auto ok = sock_.write(out); !ok)
    return ok.error();
  return read_response();
}

result<void> control_client::send_raw(bytes_view data) {
  return sock_.write(data);
}

result<p2pd::response> control_client::read_response() {
  auto body = sock_.read_frame();
  if (!body)
    return body.error();
  return p2pd::decode_response(*body);
}

result<std::vector<std::string>> control_client::get_topics() {
  auto r = expect_ok(call(pubsub_request(p2pd::ps_request_type::get_topics)));
  if (!r)
    return r.error();
  if (!r->pubsub)
    return make_error(errc::protocol, "GET_TOPICS reply without PSResponse");
  return r->pubsub->topics;
}

result<std::vector<bytes>>
control_client::list_pubsub_peers(const std::optional<std::string>& topic) {
  auto req = pubsub_request(p2pd::ps_request_type::list_peers);
  req.pubsub->topic = topic;
  auto r = expect_ok(call(req));
  if (!r)
    return r.error();
  if (!r->pubsub)
    return make_error(errc::protocol, "LIST_PEERS reply without PSResponse");
  return r->pubsub->peer_ids;
}

result<void> control_client::publish(const std::string& topic,
                                     bytes_view data) {
  auto req = pubsub_request(p2pd::ps_request_type::publish);
  req.pubsub->topic = topic;
  req.pubsub->data = bytes(data.begin(), data.end());
  auto r = expect_ok(call(req));
  if (!r)
    return r.error();
  return {};
}

result<pubsub_reader> control_client::subscribe(const std::string& topic) {
  auto req = pubsub_request(p2pd::ps_request_type::subscribe);
  req.pubsub->topic = topic;
  auto r = expect_ok(call(req));
  if (!r)
    return r.error();
  return pubsub_reader{std::move(sock_)};
}

result<p2pd::ps_message> pubsub_reader::next(std::chrono::milliseconds wait) {
  auto body = sock_.read_frame(wait);
  if (!body)
    return body.error();
  return p2pd::decode_ps_message(*body);
}

test_listener::test_listener() {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = 0;
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  ::listen(fd_, 16);
  socklen_t len = sizeof(sa);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  port_ = ntohs(sa.sin_port);
}

test_listener::~test_listener() {
  if (fd_ >= 0)
    ::close(fd_);
}

multiaddr test_listener::addr() const {
  return multiaddr::parse("/ip4/127.0.0.1/tcp/" + std::to_string(port_))
    .value();
}

result<framed_socket> test_listener::accept() {
  if (!wait_fd(fd_, POLLIN))
    return make_error(errc::timeout, "no connection within io_wait");
  int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0)
    return os_error("accept");
  return framed_socket{fd};
}

} // namespace canswarm::test
